import type { Logger } from 'pino';
import type { SourceName } from './metrics/catalog.js';
import type { PointStore } from './metrics/instruments.js';
import { SourceError, type Source } from './sources/source.js';
import type { AgentTelemetry } from './telemetry.js';

export interface SourceStatus {
  readonly name: SourceName;
  readonly ok: boolean;
  readonly points: number;
  readonly error?: string;
  readonly errorKind?: SourceError['kind'];
}

export interface CollectionSchedule {
  /** The daemon's cycle (ms): `interval`. */
  readonly cycleMs: number;
  /** Each source's own interval (ms); a source is collected on the cycles when it is due. */
  readonly intervalOf: (source: SourceName) => number;
}

/**
 * Runs every source's collection, puts the points in the store, and keeps the agent's own health
 * telemetry. A failing source never stops the others. A persistent fault is logged once when it
 * starts (or changes) and once when it clears, never once per cycle.
 */
export class Collection {
  readonly #sources: readonly Source[];
  readonly #store: PointStore;
  readonly #telemetry: AgentTelemetry;
  readonly #log: Logger;
  readonly #schedule: CollectionSchedule | undefined;
  readonly #lastError = new Map<SourceName, string>();
  readonly #lastCollected = new Map<SourceName, number>();

  /** Without a schedule every call collects every source (`--once`). */
  constructor(sources: readonly Source[], store: PointStore, telemetry: AgentTelemetry, log: Logger, schedule?: CollectionSchedule) {
    this.#sources = sources;
    this.#store = store;
    this.#telemetry = telemetry;
    this.#log = log;
    this.#schedule = schedule;
  }

  get sources(): readonly Source[] {
    return this.#sources;
  }

  async start(): Promise<void> {
    await Promise.all(this.#sources.map(async (s) => {
      try {
        await s.start?.();
      } catch (error) {
        this.#reportFailure(s.name, error);
      }
    }));
  }

  /**
   * Collects the sources that are due. A source that is not due this cycle exports nothing this
   * cycle: its points are exported once per collection, never repeated as if newly measured.
   */
  async collectAll(now: number = performance.now()): Promise<SourceStatus[]> {
    const due = this.#sources.filter((s) => this.#isDue(s.name, now));
    for (const s of this.#sources) if (!due.includes(s)) this.#store.clear(s.name);
    const statuses = await Promise.all(due.map((s) => this.#collectOne(s)));
    for (const s of due) this.#lastCollected.set(s.name, now);
    this.#store.set('agent', this.#telemetry.points());
    return statuses;
  }

  #isDue(name: SourceName, now: number): boolean {
    const last = this.#lastCollected.get(name);
    if (this.#schedule === undefined || last === undefined) return true;
    // Half a cycle of slack, so timer jitter never pushes a source one whole cycle late.
    return now - last >= this.#schedule.intervalOf(name) - this.#schedule.cycleMs / 2;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.#sources.map((s) => s.stop()));
  }

  async #collectOne(source: Source): Promise<SourceStatus> {
    const started = performance.now();
    try {
      const points = await source.collect();
      this.#store.set(source.name, points);
      this.#telemetry.recordCollection(source.name, (performance.now() - started) / 1000, points.length > 0);
      if (this.#lastError.delete(source.name)) this.#log.info({ source: source.name }, `${source.name} recovered`);
      return { name: source.name, ok: true, points: points.length };
    } catch (error) {
      this.#store.clear(source.name);
      this.#telemetry.recordCollection(source.name, (performance.now() - started) / 1000, false);
      const e = this.#reportFailure(source.name, error);
      return { name: source.name, ok: false, points: 0, error: e.message, errorKind: e.kind };
    }
  }

  #reportFailure(name: SourceName, error: unknown): SourceError {
    const e = error instanceof SourceError ? error : new SourceError(name, 'failed', `${name}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    this.#telemetry.recordError(name, e.kind);
    if (this.#lastError.get(name) !== e.message) {
      this.#lastError.set(name, e.message);
      const level = e.kind === 'missing' || e.kind === 'permission' ? 'warn' : 'error';
      this.#log[level]({ source: name, kind: e.kind }, e.message);
    }
    return e;
  }
}
