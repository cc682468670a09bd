import { DataPointType, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Attributes } from './catalog.js';

export interface SnapshotMetric {
  readonly name: string;
  readonly unit: string;
  readonly type: 'gauge' | 'sum';
  readonly monotonic?: boolean;
  readonly description: string;
  readonly points: { attributes: Attributes; value: number }[];
}

export interface Snapshot {
  readonly resource: Attributes;
  readonly metrics: SnapshotMetric[];
}

export function toSnapshot(rm: ResourceMetrics): Snapshot {
  const metrics: SnapshotMetric[] = [];
  for (const scope of rm.scopeMetrics) {
    for (const m of scope.metrics) {
      if (m.dataPoints.length === 0) continue;
      const isSum = m.dataPointType === DataPointType.SUM;
      metrics.push({
        name: m.descriptor.name,
        unit: m.descriptor.unit,
        type: isSum ? 'sum' : 'gauge',
        ...(isSum ? { monotonic: (m as { isMonotonic?: boolean }).isMonotonic === true } : {}),
        description: m.descriptor.description,
        points: m.dataPoints.map((dp) => ({ attributes: dp.attributes as Attributes, value: dp.value as number })),
      });
    }
  }
  return { resource: rm.resource.attributes as Attributes, metrics };
}
