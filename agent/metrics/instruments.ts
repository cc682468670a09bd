import type { Meter, Observable } from '@opentelemetry/api';
import { METRICS, type MetricKey, type MetricSpec, type Point, type SourceName } from './catalog.js';

/**
 * The latest points of every source. A collection replaces a source's points as a whole, so a
 * value that a source stopped reporting stops being exported: a missing value is a missing point.
 */
export class PointStore {
  readonly #bySource = new Map<SourceName, readonly Point[]>();

  set(source: SourceName, points: readonly Point[]): void {
    this.#bySource.set(source, points);
  }

  clear(source: SourceName): void {
    this.#bySource.delete(source);
  }

  *all(): Iterable<Point> {
    for (const points of this.#bySource.values()) yield* points;
  }

  count(source?: SourceName): number {
    if (source !== undefined) return this.#bySource.get(source)?.length ?? 0;
    let n = 0;
    for (const points of this.#bySource.values()) n += points.length;
    return n;
  }
}

function createObservable(meter: Meter, spec: MetricSpec): Observable {
  const options = { unit: spec.unit, description: spec.description };
  switch (spec.kind) {
    case 'gauge':
      return meter.createObservableGauge(spec.name, options);
    case 'counter':
      return meter.createObservableCounter(spec.name, options);
    case 'updowncounter':
      return meter.createObservableUpDownCounter(spec.name, options);
  }
}

/**
 * Creates one observable instrument per catalog entry and reports the store's points whenever the
 * SDK collects. The daemon and `--once` both go through here, so they show the same metrics.
 */
export function registerInstruments(meter: Meter, store: PointStore): void {
  const observables = new Map<MetricKey, Observable>();
  for (const [key, spec] of Object.entries(METRICS) as [MetricKey, MetricSpec][]) {
    observables.set(key, createObservable(meter, spec));
  }
  meter.addBatchObservableCallback((result) => {
    for (const p of store.all()) {
      const observable = observables.get(p.metric);
      if (observable !== undefined && Number.isFinite(p.value)) result.observe(observable, p.value, p.attributes);
    }
  }, [...observables.values()]);
}
