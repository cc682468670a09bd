// The iostat source: disk transfers and bytes since boot, CPU utilisation over the last interval
// and the load averages.
//
// The daemon keeps ONE long-lived child, `iostat -I -C -U -n 99 -w SECONDS`, instead of spawning
// per collection: a spawn costs the agent about 1 ms of CPU, a row read from the stream about
// 0.1 ms (both measured on the 2-core Linux test machine). The first row holds each
// disk's totals since boot and later rows the I/O since that first row (see parsers/iostat.ts),
// so disk totals stay exact to the 0.01 MB iostat prints, and every row after the first gives the
// CPU split of the last interval. The child is supervised (supervised-child.ts): restarted with
// backoff when it exits, killed and restarted when it stays silent for 3 intervals.
//
// `--once`, `--replay` and `capture` run a bounded `iostat -I -C -U -n 99 -c 2 -w 1` instead: the
// second row is one second of CPU, the disks are the same totals since boot.

import { StringDecoder } from 'node:string_decoder';
import { ATTR, type Point, point } from '../metrics/catalog.js';
import {
  IostatDiskTotals, IostatLineReader, parseIostat, summarizeIostat,
  type DiskTotal, type IostatMalformedLine, type IostatSummary,
} from '../parsers/iostat.js';
import { describeExit } from './child-process.js';
import { CommandFailedError, runCommand, type RunCommandOptions } from './run-command.js';
import { SourceError, type Source, type SourceContext, type SourceModule } from './source.js';
import { RejectedInput } from './rejected-input.js';
import { SupervisedChild, type ChildEnd, type NextStep } from './supervised-child.js';

export const IOSTAT_COMMAND = 'iostat';
export const IOSTAT_ONCE_ARGS: readonly string[] = ['-I', '-C', '-U', '-n', '99', '-c', '2', '-w', '1'];
/** iostat's -w takes whole seconds, at least 1. */
function iostatSeconds(intervalMs: number): number {
  return Math.max(1, Math.round(intervalMs / 1000));
}
export function iostatStreamArgs(intervalMs: number): string[] {
  return ['-I', '-C', '-U', '-n', '99', '-w', String(iostatSeconds(intervalMs))];
}
const REPLAY_FILE = 'iostat.txt';
const ONCE_TIMEOUT_MS = 5000;
/** A line longer than this is not iostat output; it is dropped rather than buffered. */
const MAX_LINE_CHARS = 64 * 1024;
const RESTART_BACKOFF = { restartDelayMs: 1000, maxRestartDelayMs: 60_000 } as const;
const KILL_GRACE_MS = 1000;
/** A child that prints no row for this many intervals is hung: it is killed and restarted. */
const SILENT_ROWS = 3;
/** How long `collect` waits for a fresh child's first row (iostat prints it at once). */
const FIRST_ROW_WAIT_MS = 2000;
/** Rounding of the MB column: totals of a restarted child may read this much lower. */
const BYTES_TOLERANCE = Math.ceil((1024 * 1024) / 100);

const CPU_MODE: Readonly<Record<string, string>> = { us: 'user', sy: 'system', id: 'idle', ni: 'nice', in: 'interrupt' };

/** The points of an iostat summary. */
export function iostatPoints(summary: IostatSummary): Point[] {
  const points: Point[] = [];
  for (const [device, total] of summary.disks) {
    points.push(point('iostatDiskOperations', total.operations, { [ATTR.device]: device }));
    points.push(point('iostatDiskIo', total.bytes, { [ATTR.device]: device }));
  }
  for (const [mode, percent] of summary.cpu ?? []) {
    points.push(point('cpuUtilization', percent / 100, { [ATTR.cpuMode]: CPU_MODE[mode] ?? mode }));
  }
  if (summary.loadAverage) {
    const [m1, m5, m15] = summary.loadAverage;
    points.push(point('loadAverage1m', m1), point('loadAverage5m', m5), point('loadAverage15m', m15));
  }
  return points;
}

/** sysstat's iostat (Linux) answers macOS flags with its own usage text. */
function looksLikeSysstat(text: string): boolean {
  return /Usage: iostat \[ options \]|sysstat/i.test(text);
}

function notMacosError(detail: string): SourceError {
  return new SourceError('iostat', 'missing',
    `the iostat on PATH is not macOS's (${detail}) — iostat metrics need macOS; disable the iostat source to silence this`);
}

/** The one-shot command as the source runs it and as `capture` records it: one spec, so they cannot drift. */
const IOSTAT_ONCE_RUN: RunCommandOptions = { source: 'iostat', command: IOSTAT_COMMAND, args: IOSTAT_ONCE_ARGS, timeoutMs: ONCE_TIMEOUT_MS, replayFile: REPLAY_FILE };

class IostatSource implements Source {
  readonly name = 'iostat' as const;
  readonly #ctx: SourceContext;
  readonly #rejected: RejectedInput;
  readonly #streaming: boolean;
  readonly #intervalMs: number;
  readonly #child: SupervisedChild;

  #started = false;
  /** Why the child is not producing rows (exit, silence, unreadable output); cleared by a row. */
  #fault: SourceError | undefined;
  /** The command is missing or not macOS's: no restart will help. */
  #fatal: SourceError | undefined;

  // State of the current child's stream.
  #reader = new IostatLineReader();
  #totals = new IostatDiskTotals();
  #decoder = new StringDecoder('utf8');
  #partial = '';
  #rows = 0;
  #waiters: (() => void)[] = [];

  // The latest values, kept across child restarts.
  #disks = new Map<string, DiskTotal>();
  #cpu: ReadonlyMap<string, number> | undefined;
  #load: readonly [number, number, number] | undefined;

  constructor(ctx: SourceContext) {
    this.#ctx = ctx;
    this.#rejected = new RejectedInput(ctx, 'iostat');
    this.#streaming = ctx.mode === 'daemon' && ctx.replayDir === undefined;
    this.#intervalMs = ctx.config.sources.iostat.interval;
    this.#child = new SupervisedChild({
      command: () => ({ file: IOSTAT_COMMAND, args: iostatStreamArgs(this.#intervalMs) }),
      timing: { ...RESTART_BACKOFF, killGraceMs: KILL_GRACE_MS, silenceMs: SILENT_ROWS * iostatSeconds(this.#intervalMs) * 1000 },
      onStart: () => this.#onStart(),
      onStdout: (chunk) => this.#onStdout(this.#decoder.write(chunk)),
      onEnd: (end) => this.#onEnd(end),
      onRestart: () => this.#ctx.onChildRestart?.('iostat'),
    });
  }

  async start(): Promise<void> {
    if (!this.#streaming || this.#started) return;
    this.#started = true;
    this.#child.start();
  }

  async collect(): Promise<Point[]> {
    if (!this.#streaming) return this.#collectOnce();
    if (this.#fatal) throw this.#fatal;
    if (!this.#started) await this.start();
    // A fresh child (started or restarted) prints its first row at once: wait for it briefly.
    if (this.#rows === 0 && this.#child.running) await this.#firstRow(FIRST_ROW_WAIT_MS);
    if (this.#fatal) throw this.#fatal;
    if (this.#fault) throw this.#fault;
    if (this.#rows === 0) {
      throw new SourceError('iostat', 'timeout', `${this.#commandLine()} printed no row within ${FIRST_ROW_WAIT_MS} ms of starting`);
    }
    return iostatPoints({ disks: this.#disks, ...(this.#cpu ? { cpu: this.#cpu } : {}), ...(this.#load ? { loadAverage: this.#load } : {}) });
  }

  async stop(): Promise<void> {
    this.#started = false;
    await this.#child.stop();
    this.#wakeWaiters();
  }

  async #collectOnce(): Promise<Point[]> {
    let text: string;
    try {
      text = await runCommand({ ...IOSTAT_ONCE_RUN, replayDir: this.#ctx.replayDir });
    } catch (error) {
      if (error instanceof CommandFailedError && looksLikeSysstat(error.result.stderr)) throw notMacosError(error.message);
      throw error;
    }
    const doc = parseIostat(text);
    for (const bad of doc.malformed) this.#parseError(bad);
    if (doc.rows.length === 0) {
      const first = doc.malformed[0];
      throw new SourceError('iostat', 'parse', first
        ? `iostat output has no readable row (${first.reason}: ${JSON.stringify(first.line.slice(0, 120))})`
        : 'iostat printed no row');
    }
    return iostatPoints(summarizeIostat(doc.rows));
  }

  #commandLine(): string {
    return `${IOSTAT_COMMAND} ${iostatStreamArgs(this.#intervalMs).join(' ')}`;
  }

  #onStart(): void {
    this.#reader = new IostatLineReader();
    this.#totals = new IostatDiskTotals();
    this.#decoder = new StringDecoder('utf8');
    this.#partial = '';
    this.#rows = 0;
    this.#cpu = undefined;
  }

  #onStdout(chunk: string): void {
    this.#partial += chunk;
    let newline = this.#partial.indexOf('\n');
    while (newline !== -1) {
      this.#onLine(this.#partial.slice(0, newline));
      this.#partial = this.#partial.slice(newline + 1);
      newline = this.#partial.indexOf('\n');
    }
    if (this.#partial.length > MAX_LINE_CHARS) {
      this.#parseError({ line: this.#partial.slice(0, 120), reason: `a line longer than ${MAX_LINE_CHARS} characters was dropped` });
      this.#partial = '';
    }
  }

  #onLine(line: string): void {
    const r = this.#reader.read(line);
    if (r.kind === 'malformed') {
      this.#parseError(r.malformed);
      if (this.#rows === 0) {
        this.#fault = new SourceError('iostat', 'parse',
          `${this.#commandLine()} printed output this agent cannot read (${r.malformed.reason}: ${JSON.stringify(r.malformed.line.slice(0, 120))})`);
        this.#wakeWaiters();
      }
      return;
    }
    if (r.kind !== 'row') return;
    const first = this.#rows === 0;
    this.#rows++;
    this.#child.noteHealthy();
    this.#fault = undefined;
    this.#disks = this.#keepMonotonic(this.#totals.add(r.row));
    // The first row of a child is the average since boot, never the last interval's CPU.
    if (!first) this.#cpu = r.row.cpu.size > 0 ? r.row.cpu : undefined;
    this.#load = r.row.loadAverage;
    this.#wakeWaiters();
  }

  /**
   * A restarted child re-reads the totals since boot, rounded once instead of twice: they may read
   * up to 0.01 MB lower than what was reported. Keeping the reported value then avoids a false
   * counter reset; a larger drop (a disk replaced under the same name) passes through.
   */
  #keepMonotonic(next: Map<string, DiskTotal>): Map<string, DiskTotal> {
    for (const [device, total] of next) {
      const before = this.#disks.get(device);
      if (before && total.operations >= before.operations && total.bytes < before.bytes && before.bytes - total.bytes <= BYTES_TOLERANCE) {
        next.set(device, { operations: total.operations, bytes: before.bytes });
      }
    }
    return next;
  }

  #onEnd(end: ChildEnd): NextStep {
    const { exit } = end;
    const stderr = end.stderr.trim().split('\n')[0] ?? '';
    if (exit.notFound) {
      this.#fatal = new SourceError('iostat', 'missing',
        `${IOSTAT_COMMAND} not found on PATH — iostat metrics need macOS (iostat ships with it); disable the iostat source to silence this`);
    } else if (this.#rows === 0 && looksLikeSysstat(end.stderr)) {
      this.#fatal = notMacosError(`it answered "${stderr}"`);
    }
    this.#wakeWaiters();
    if (this.#fatal) return 'give-up';
    if (end.cause === 'silent') {
      this.#fault = new SourceError('iostat', 'timeout',
        `${this.#commandLine()} printed no row for ${Math.round(end.silentForMs / 1000)} s (${SILENT_ROWS} intervals); killed, it will be restarted`);
      return 'backoff';
    }
    this.#fault ??= new SourceError('iostat', 'failed',
      `${this.#commandLine()} ${describeExit(exit)}${stderr ? `: "${stderr}"` : ''}; restarting in ${end.backoffMs / 1000} s`);
    return 'backoff';
  }

  #firstRow(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #wakeWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #parseError(bad: IostatMalformedLine): void {
    this.#rejected.report(`iostat: skipped line ${JSON.stringify(bad.line.slice(0, 120))}: ${bad.reason}`);
  }
}

export const iostatModule: SourceModule = {
  name: 'iostat',
  create: (ctx) => new IostatSource(ctx),
  replayFile: REPLAY_FILE,
  capture: () => runCommand(IOSTAT_ONCE_RUN),
};
