import { AggregationTemporality, InstrumentType, MeterProvider, MetricReader, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { VERSION } from '../version.js';
import { METRICS, type Attributes } from './catalog.js';
import { PointStore, registerInstruments } from './instruments.js';

/** An attribute set's identity, names in order; the lengths keep any two different sets apart. */
function attributesKey(attributes: Readonly<Record<string, unknown>>): string {
  const names = Object.keys(attributes);
  if (names.length > 1) names.sort();
  let key = '';
  for (const n of names) {
    const v = attributes[n];
    const value = typeof v === 'string' ? `s${v}` : JSON.stringify(v);
    key += `${n.length}:${n}${value.length}:${value}`;
  }
  return key;
}

/**
 * The temporality the daemon asks the SDK for. Sums stay cumulative, as their sources count.
 * Gauges carry no temporality on the wire; asked for delta, the SDK reports only the attribute
 * sets observed in this collection rather than every set it ever saw, which is exactly what a
 * gauge should export, so keepObservedSeries has nothing to remove from them.
 */
export function exportTemporality(type: InstrumentType): AggregationTemporality {
  return type === InstrumentType.OBSERVABLE_GAUGE || type === InstrumentType.GAUGE
    ? AggregationTemporality.DELTA
    : AggregationTemporality.CUMULATIVE;
}

/** Collected on demand, once per cycle. Sums are cumulative, so a lost export never loses a counter's total; gauges report what this cycle observed (exportTemporality). */
export class CycleReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: exportTemporality });
  }

  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/**
 * Keeps only the series observed in this cycle. With cumulative temporality the SDK keeps every
 * attribute set an observable instrument ever reported and exports its last value again on each
 * collection, even after the source stopped reporting it (a disk that was ejected, a sensor that
 * went away; the SDK has no way to forget an attribute set, open-telemetry/opentelemetry-js#4096).
 * A missing value must be a missing point, so those stale series are removed here.
 * Everything observed is in the SDK's output, so a metric with as many points as distinct
 * observed series has none to remove and is kept without comparing its points one by one.
 */
export function keepObservedSeries(rm: ResourceMetrics, store: PointStore): ResourceMetrics {
  const cumulative = new Set<string>();
  for (const scope of rm.scopeMetrics) {
    for (const m of scope.metrics) if (m.aggregationTemporality === AggregationTemporality.CUMULATIVE) cumulative.add(m.descriptor.name);
  }
  if (cumulative.size === 0) return rm;
  const observed = new Map<string, Set<string>>();
  for (const p of store.all()) {
    const name = METRICS[p.metric].name;
    if (!cumulative.has(name) || !Number.isFinite(p.value)) continue;
    let keys = observed.get(name);
    if (keys === undefined) observed.set(name, (keys = new Set()));
    keys.add(attributesKey(p.attributes));
  }
  const keep = (m: MetricData): MetricData | undefined => {
    if (m.aggregationTemporality !== AggregationTemporality.CUMULATIVE) return m.dataPoints.length > 0 ? m : undefined;
    const keys = observed.get(m.descriptor.name);
    if (keys === undefined) return undefined;
    if (keys.size === m.dataPoints.length) return m;
    return { ...m, dataPoints: m.dataPoints.filter((dp) => keys.has(attributesKey(dp.attributes))) } as MetricData;
  };
  return {
    resource: rm.resource,
    scopeMetrics: rm.scopeMetrics.map((scope) => ({
      scope: scope.scope,
      metrics: scope.metrics.map(keep).filter((m): m is MetricData => m !== undefined),
    })).filter((s) => s.metrics.length > 0),
  };
}


/** The point store and the SDK behind it, as the daemon, `--once` and the benchmark all use them. */
export interface MetricsPipeline {
  /** Where sources put their latest points. */
  readonly store: PointStore;
  /** The resource every collection carries, once detected. */
  readonly resource: Promise<Attributes>;
  /** Runs the store's points through the SDK: what an export sends, stale series removed. */
  collect(): Promise<ResourceMetrics>;
  shutdown(): Promise<void>;
}

/**
 * Builds the one metrics pipeline: point store, instruments, MeterProvider with the resource,
 * CycleReader and the series filter. The resource may still be being detected: sources can fill
 * the store meanwhile, and the first collection waits for it.
 */
export function createMetricsPipeline(resource: Attributes | Promise<Attributes>): MetricsPipeline {
  const store = new PointStore();
  const resolved = Promise.resolve(resource);
  const sdk = resolved.then((attributes) => {
    const reader = new CycleReader();
    const provider = new MeterProvider({ resource: resourceFromAttributes(attributes), readers: [reader] });
    registerInstruments(provider.getMeter('macos-agent', VERSION), store);
    return { reader, provider };
  });
  // A failed resource detection surfaces in collect(), not as an unhandled rejection before it.
  sdk.catch(() => {});
  return {
    store,
    resource: resolved,
    async collect() {
      const { reader } = await sdk;
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new AggregateError(errors, `the metrics SDK reported ${errors.length} error(s) while collecting: ${String(errors[0])}`);
      return keepObservedSeries(resourceMetrics, store);
    },
    async shutdown() {
      await (await sdk).provider.shutdown();
    },
  };
}
