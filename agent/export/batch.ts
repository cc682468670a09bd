import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';

export function countPoints(rm: ResourceMetrics): number {
  let n = 0;
  for (const scope of rm.scopeMetrics) for (const m of scope.metrics) n += m.dataPoints.length;
  return n;
}

/** One collection on its way to the collector: the SDK's own ResourceMetrics, which OTLPMetricExporter encodes. */
export interface ExportBatch {
  readonly resourceMetrics: ResourceMetrics;
  /** Data points in the batch, for counting what is delivered or dropped. */
  readonly points: number;
}

/** One collection as a batch; undefined when it holds no point. */
export function toExportBatch(rm: ResourceMetrics): ExportBatch | undefined {
  const points = countPoints(rm);
  return points === 0 ? undefined : { resourceMetrics: rm, points };
}

/**
 * A batch as the spool keeps it: the ResourceMetrics as JSON, with the resource reduced to what the
 * OTLP encoding reads from it (attributes and schema URL). Everything else in a ResourceMetrics
 * is plain data, so restoreBatch gives OTLPMetricExporter the same request to send again.
 */
export function storeBatch(rm: ResourceMetrics): Uint8Array {
  const stored: StoredBatch = {
    resource: { attributes: rm.resource.attributes as StoredAttributes, ...(rm.resource.schemaUrl ? { schemaUrl: rm.resource.schemaUrl } : {}) },
    scopeMetrics: rm.scopeMetrics,
  };
  return Buffer.from(JSON.stringify(stored));
}

/** Attribute values as the agent's instruments report them. */
type StoredAttributes = Readonly<Record<string, string | number | boolean>>;

interface StoredBatch {
  readonly resource: { readonly attributes: StoredAttributes; readonly schemaUrl?: string };
  readonly scopeMetrics: ResourceMetrics['scopeMetrics'];
}

const DATA_POINT_TYPES = new Set<unknown>([DataPointType.GAUGE, DataPointType.SUM]);

function isHrTime(t: unknown): boolean {
  return Array.isArray(t) && t.length === 2 && Number.isSafeInteger(t[0]) && Number.isSafeInteger(t[1]);
}

function isAttributes(a: unknown): a is StoredAttributes {
  if (typeof a !== 'object' || a === null || Array.isArray(a)) return false;
  return Object.values(a).every((v) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)));
}

function isStoredMetric(m: unknown): boolean {
  if (typeof m !== 'object' || m === null) return false;
  const { descriptor, dataPointType, dataPoints } = m as Partial<MetricData>;
  return typeof descriptor?.name === 'string' && typeof descriptor.unit === 'string' && typeof descriptor.description === 'string'
    && DATA_POINT_TYPES.has(dataPointType) && Array.isArray(dataPoints)
    && dataPoints.every((dp: unknown) => {
      const p = dp as { startTime?: unknown; endTime?: unknown; attributes?: unknown; value?: unknown };
      return isHrTime(p.startTime) && isHrTime(p.endTime) && isAttributes(p.attributes) && typeof p.value === 'number' && Number.isFinite(p.value);
    });
}

/** The batch storeBatch wrote; throws when the bytes are not one (a damaged or foreign file). */
export function restoreBatch(bytes: Uint8Array): ExportBatch {
  let stored: Partial<StoredBatch>;
  try {
    stored = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as Partial<StoredBatch>;
  } catch (error) {
    throw new Error(`not a stored export batch: ${(error as Error).message}`);
  }
  const valid = typeof stored === 'object' && stored !== null && isAttributes(stored.resource?.attributes)
    && (stored.resource.schemaUrl === undefined || typeof stored.resource.schemaUrl === 'string')
    && Array.isArray(stored.scopeMetrics)
    && stored.scopeMetrics.every((s) => typeof s?.scope?.name === 'string' && Array.isArray(s.metrics) && s.metrics.every(isStoredMetric));
  if (!valid) throw new Error('not a stored export batch: its resource, scopes, metrics or data points are malformed');
  const { attributes, schemaUrl } = stored.resource!;
  const rm: ResourceMetrics = {
    resource: resourceFromAttributes(attributes, schemaUrl !== undefined ? { schemaUrl } : undefined),
    scopeMetrics: stored.scopeMetrics!,
  };
  const batch = toExportBatch(rm);
  if (batch === undefined) throw new Error('not a stored export batch: it holds no data point');
  return batch;
}
