import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { METRICS } from '../metrics/catalog.js';
import type { PointStore } from '../metrics/instruments.js';
import type { ExportBatch } from './exporter.js';

/** The series' identity: the metric name and its attributes in name order. */
function seriesKey(name: string, attributes: Readonly<Record<string, unknown>>): string {
  const names = Object.keys(attributes);
  if (names.length > 1) names.sort();
  let key = name;
  for (const n of names) key += `\u0000${n}\u0000${JSON.stringify(attributes[n])}`;
  return key;
}

/**
 * Keeps only the series observed in this cycle. With cumulative temporality the SDK keeps every
 * attribute set an observable instrument ever reported and exports its last value again on each
 * collection, even after the source stopped reporting it (a disk that was ejected, a sensor that
 * went away). A missing value must be a missing point, so those stale series are removed here.
 */
export function keepObservedSeries(rm: ResourceMetrics, store: PointStore): ResourceMetrics {
  const observed = new Set<string>();
  for (const p of store.all()) {
    if (Number.isFinite(p.value)) observed.add(seriesKey(METRICS[p.metric].name, p.attributes));
  }
  return {
    resource: rm.resource,
    scopeMetrics: rm.scopeMetrics.map((scope) => ({
      scope: scope.scope,
      metrics: scope.metrics
        .map((m) => ({ ...m, dataPoints: m.dataPoints.filter((dp) => observed.has(seriesKey(m.descriptor.name, dp.attributes))) }) as typeof m)
        .filter((m) => m.dataPoints.length > 0),
    })).filter((s) => s.metrics.length > 0),
  };
}

export function countPoints(rm: ResourceMetrics): number {
  let n = 0;
  for (const scope of rm.scopeMetrics) for (const m of scope.metrics) n += m.dataPoints.length;
  return n;
}

/** Encodes one collection as an OTLP ExportMetricsServiceRequest; undefined when it holds no point. */
export function encodeBatch(rm: ResourceMetrics): ExportBatch | undefined {
  const points = countPoints(rm);
  if (points === 0) return undefined;
  const payload = ProtobufMetricsSerializer.serializeRequest(rm);
  if (payload === undefined) throw new Error('the OTLP protobuf serializer returned nothing for a non-empty collection');
  return { payload, points };
}
