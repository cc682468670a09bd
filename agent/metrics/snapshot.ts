import { DataPointType, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { Attributes } from './catalog.js';
import { registerInstruments, type PointStore } from './instruments.js';
import { VERSION } from '../version.js';

/** A reader that only collects when asked: `--once` uses it to see exactly what would be exported. */
class SnapshotReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

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

/** Runs the store's points through the SDK (instruments, aggregation, resource) once. */
export async function takeSnapshot(store: PointStore, resource: Attributes): Promise<Snapshot> {
  const reader = new SnapshotReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes(resource), readers: [reader] });
  registerInstruments(provider.getMeter('macos-agent', VERSION), store);
  const { resourceMetrics, errors } = await reader.collect();
  await provider.shutdown();
  if (errors.length > 0) throw new AggregateError(errors, 'collecting metrics through the SDK failed');
  return toSnapshot(resourceMetrics);
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
