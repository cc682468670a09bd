import { point, type Point, type SourceName } from './metrics/catalog.js';
import type { SourceErrorKind } from './sources/source.js';

export type ExportOutcome = 'success' | 'failure' | 'retry';

/**
 * The agent's own telemetry: collection health per source, child restarts, export outcomes and
 * the agent process's CPU and memory. Counters live here; `points()` turns them into points.
 */
export class AgentTelemetry {
  readonly #durations = new Map<SourceName, number>();
  readonly #up = new Map<SourceName, number>();
  readonly #errors = new Map<string, number>();
  readonly #restarts = new Map<SourceName, number>();
  readonly #exports = new Map<ExportOutcome, number>();
  readonly #dropped = new Map<string, number>();
  #queue = { batches: 0, bytes: 0 };

  recordCollection(source: SourceName, seconds: number, ok: boolean): void {
    this.#durations.set(source, seconds);
    this.#up.set(source, ok ? 1 : 0);
  }

  recordError(source: SourceName, kind: SourceErrorKind): void {
    const key = `${source}\u0000${kind}`;
    this.#errors.set(key, (this.#errors.get(key) ?? 0) + 1);
  }

  recordChildRestart(source: SourceName): void {
    this.#restarts.set(source, (this.#restarts.get(source) ?? 0) + 1);
  }

  recordExport(outcome: ExportOutcome): void {
    this.#exports.set(outcome, (this.#exports.get(outcome) ?? 0) + 1);
  }

  recordDroppedPoints(reason: string, count: number): void {
    this.#dropped.set(reason, (this.#dropped.get(reason) ?? 0) + count);
  }

  setQueue(batches: number, bytes: number): void {
    this.#queue = { batches, bytes };
  }

  errorCount(source: SourceName, kind: SourceErrorKind): number {
    return this.#errors.get(`${source}\u0000${kind}`) ?? 0;
  }

  points(): Point[] {
    const out: Point[] = [];
    for (const [source, s] of this.#durations) out.push(point('collectionDuration', s, { 'macos.agent.source': source }));
    for (const [source, up] of this.#up) out.push(point('sourceUp', up, { 'macos.agent.source': source }));
    for (const [key, n] of this.#errors) {
      const [source, kind] = key.split('\u0000') as [string, string];
      out.push(point('collectionErrors', n, { 'macos.agent.source': source, 'error.type': kind }));
    }
    for (const [source, n] of this.#restarts) out.push(point('childRestarts', n, { 'macos.agent.source': source }));
    for (const [outcome, n] of this.#exports) out.push(point('exportRequests', n, { 'macos.agent.export.outcome': outcome }));
    for (const [reason, n] of this.#dropped) out.push(point('exportDroppedPoints', n, { 'macos.agent.drop_reason': reason }));
    out.push(point('exportQueueSize', this.#queue.batches), point('exportQueueBytes', this.#queue.bytes));
    const cpu = process.cpuUsage();
    out.push(
      point('processCpuTime', cpu.user / 1e6, { 'cpu.mode': 'user' }),
      point('processCpuTime', cpu.system / 1e6, { 'cpu.mode': 'system' }),
      point('processMemoryUsage', process.memoryUsage.rss()),
    );
    return out;
  }
}
