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
  /**
   * How long a cycle waits for its sources (ms). A source still collecting then is left running:
   * its points are exported with the first cycle after it finishes. Default: half a cycle, at most
   * SLOW_SOURCE_WAIT_MS.
   */
  readonly waitMs?: number;
}

/** A cycle never waits longer than this for a slow source before it exports the others. */
export const SLOW_SOURCE_WAIT_MS = 1000;

/** One collection of one source: when it started, how it ended, and whether its cycle stopped waiting for it. */
interface InFlight {
  readonly startedAt: number;
  readonly done: Promise<void>;
  late: boolean;
  status: SourceStatus | undefined;
}

/**
 * Runs every source's collection, puts the points in the store, and keeps the agent's own health
 * telemetry. A failing source never stops the others, and with a schedule each source runs on its
 * own clock: a slow or hung one (a command that ignores its timeout's SIGTERM) delays neither the
 * others' collection nor the export, and is not started again while it is still running. A
 * persistent fault is logged once when it starts (or changes) and once when it clears, never once
 * per cycle.
 */
export class Collection {
  readonly #sources: readonly Source[];
  readonly #store: PointStore;
  readonly #telemetry: AgentTelemetry;
  readonly #log: Logger;
  readonly #schedule: CollectionSchedule | undefined;
  readonly #lastError = new Map<SourceName, string>();
  readonly #lastCollected = new Map<SourceName, number>();
  readonly #inFlight = new Map<SourceName, InFlight>();
  /** Sources whose late points reached the store since the last cycle: the next export carries them. */
  readonly #landedLate = new Set<SourceName>();
  /** Sources whose overrun was logged, until they finish again in time. */
  readonly #overrunLogged = new Set<SourceName>();

  /** Without a schedule every call collects every source and waits for all (`--once`). */
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
    const due = this.#sources.filter((s) => !this.#inFlight.has(s.name) && this.#isDue(s.name, now));
    for (const s of this.#sources) {
      if (!due.includes(s) && !this.#landedLate.delete(s.name)) this.#store.clear(s.name);
    }
    const flights = new Map(due.map((s) => [s, this.#begin(s, now)]));
    await this.#waitFor([...flights.values()].map((f) => f.done));
    const statuses: SourceStatus[] = [];
    for (const s of this.#sources) {
      const flight = flights.get(s) ?? this.#inFlight.get(s.name);
      if (flight === undefined) continue;
      if (flight.status !== undefined) {
        statuses.push(flight.status);
        continue;
      }
      if (flights.has(s)) {
        flight.late = true;
        this.#store.clear(s.name);
      }
      statuses.push(this.#stillRunning(s.name, flight));
    }
    this.#store.set('agent', this.#telemetry.points());
    return statuses;
  }

  #isDue(name: SourceName, now: number): boolean {
    const last = this.#lastCollected.get(name);
    if (this.#schedule === undefined || last === undefined) return true;
    // Half a cycle of slack, so timer jitter never pushes a source one whole cycle late.
    return now - last >= this.#schedule.intervalOf(name) - this.#schedule.cycleMs / 2;
  }

  /** Resolves when every collection has finished or, with a schedule, when the cycle's wait is over. */
  async #waitFor(collections: readonly Promise<void>[]): Promise<void> {
    const all = Promise.all(collections);
    if (this.#schedule === undefined) {
      await all;
      return;
    }
    const waitMs = this.#schedule.waitMs ?? Math.min(this.#schedule.cycleMs / 2, SLOW_SOURCE_WAIT_MS);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((resolve) => { timer = setTimeout(resolve, waitMs); })]);
    clearTimeout(timer);
  }

  #begin(source: Source, now: number): InFlight {
    this.#lastCollected.set(source.name, now);
    const startedAt = performance.now();
    const flight: InFlight = {
      startedAt,
      late: false,
      status: undefined,
      done: this.#collectOne(source, startedAt, () => flight.late).then((status) => {
        flight.status = status;
        this.#inFlight.delete(source.name);
      }),
    };
    this.#inFlight.set(source.name, flight);
    return flight;
  }

  /** The status of a source whose collection outlasted its cycle; its overrun is logged once. */
  #stillRunning(name: SourceName, flight: InFlight): SourceStatus {
    const error = `${name} is still collecting after ${Math.round(performance.now() - flight.startedAt)} ms; its points are exported with the first cycle after it finishes`;
    if (!this.#overrunLogged.has(name)) {
      this.#overrunLogged.add(name);
      this.#log.warn({ source: name }, `${name} is slower than the cycle; the other sources and the export do not wait for it`);
    }
    return { name, ok: false, points: 0, error, errorKind: 'timeout' };
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.#sources.map((s) => s.stop()));
  }

  async #collectOne(source: Source, startedAt: number, isLate: () => boolean): Promise<SourceStatus> {
    try {
      const points = await source.collect();
      this.#store.set(source.name, points);
      if (isLate()) this.#landedLate.add(source.name);
      else this.#overrunLogged.delete(source.name);
      this.#telemetry.recordCollection(source.name, (performance.now() - startedAt) / 1000, points.length > 0);
      if (this.#lastError.delete(source.name)) this.#log.info({ source: source.name }, `${source.name} recovered`);
      return { name: source.name, ok: true, points: points.length };
    } catch (error) {
      this.#store.clear(source.name);
      this.#landedLate.delete(source.name);
      this.#telemetry.recordCollection(source.name, (performance.now() - startedAt) / 1000, false);
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
