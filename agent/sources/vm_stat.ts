// The vm_stat source: memory by state, paging, swapping, compressor and fault counters.
//
// The daemon keeps ONE long-lived child, `vm_stat SECONDS`, instead of spawning the snapshot form
// per collection: a spawn costs the agent about 1.5 ms of CPU on the 2-core Linux test machine
// (fork copies the page tables), a row read from the stream far less. The stream's counters are
// rebuilt from its first totals row plus the changes of later rows (see VmStatStreamCounters in
// parsers/vm_stat.ts): exact in rate, and for a total the stream prints cut to thousands
// (`1122834K`) low by a constant under 1000; they never step backwards, across the re-printed
// headers and across child restarts. The child is supervised: restarted with backoff when it
// exits, killed and restarted when it stays silent for 3 intervals.
//
// `--once`, `--replay` and `capture` run the snapshot form (`vm_stat`, no arguments), which prints
// every value in full.

import { ATTR, type MetricKey, type Point, point } from '../metrics/catalog.js';
import {
  parseVmStat, VmStatParseError, VmStatStreamCounters, VmStatStreamReader,
  type VmStatField, type VmStatMalformedLine, type VmStatSample,
} from '../parsers/vm_stat.js';
import { spawnChild, type ChildExit, type LiveChild } from './child-process.js';
import { runCommand } from './run-command.js';
import { SourceError, type Source, type SourceContext, type SourceModule } from './source.js';
import { RejectedInput } from './rejected-input.js';

export const VM_STAT_COMMAND = 'vm_stat';
export const VM_STAT_ARGS: readonly string[] = [];
/** vm_stat's interval is whole seconds, at least 1. */
function vmStatSeconds(intervalMs: number): number {
  return Math.max(1, Math.round(intervalMs / 1000));
}
export function vmStatStreamArgs(intervalMs: number): string[] {
  return [String(vmStatSeconds(intervalMs))];
}
const REPLAY_FILE = 'vm_stat.txt';
const TIMEOUT_MS = 5000;
/** A line longer than this is not vm_stat output; it is dropped rather than buffered. */
const MAX_LINE_CHARS = 64 * 1024;
const RESTART_BACKOFF_MS = { first: 1000, max: 60_000 } as const;
/** How long `collect` waits for a fresh child's first row (vm_stat prints it at once). */
const FIRST_ROW_WAIT_MS = 2000;
/** No Mac has 1 PiB of memory (the largest have 512 GB): a page count worth more is not memory. */
const MAX_PLAUSIBLE_BYTES = 2 ** 50;

const MEMORY_STATES: readonly [VmStatField, string][] = [
  ['free', 'free'], ['active', 'active'], ['inactive', 'inactive'], ['speculative', 'speculative'],
  ['wired', 'wired'], ['occupiedByCompressor', 'compressed'],
];
const PAGE_KINDS: readonly [VmStatField, string][] = [
  ['purgeable', 'purgeable'], ['throttled', 'throttled'], ['fileBacked', 'file_backed'], ['anonymous', 'anonymous'],
];
const FAULT_TYPES: readonly [VmStatField, string][] = [
  ['translationFaults', 'translation'], ['copyOnWrite', 'copy_on_write'], ['zeroFilled', 'zero_fill'],
];

export interface VmStatPoints {
  readonly points: Point[];
  /** Values that could not become points (more than 1 PiB of memory), each with the reason. */
  readonly rejected: string[];
}

/** The points of one vm_stat sample. A field the sample lacks is a missing point. */
export function vmStatPoints(sample: VmStatSample): VmStatPoints {
  const f = sample.fields;
  const points: Point[] = [];
  const rejected: string[] = [];
  const bytes = (field: VmStatField): number | undefined => {
    const pages = f[field];
    if (pages === undefined) return undefined;
    const b = pages * sample.pageSize;
    if (!Number.isSafeInteger(b) || b > MAX_PLAUSIBLE_BYTES) {
      rejected.push(`absurd ${field}: ${pages} pages of ${sample.pageSize} bytes is more than 1 PiB`);
      return undefined;
    }
    return b;
  };
  for (const [field, state] of MEMORY_STATES) {
    const b = bytes(field);
    if (b !== undefined) points.push(point('memoryUsage', b, { [ATTR.memoryState]: state }));
  }
  const count = (metric: MetricKey, field: VmStatField, key: string, value: string): void => {
    const v = f[field];
    if (v !== undefined) points.push(point(metric, v, { [key]: value }));
  };
  count('pagingOperations', 'pageins', ATTR.pagingDirection, 'in');
  count('pagingOperations', 'pageouts', ATTR.pagingDirection, 'out');
  count('swapOperations', 'swapins', ATTR.pagingDirection, 'in');
  count('swapOperations', 'swapouts', ATTR.pagingDirection, 'out');
  count('compressorOperations', 'compressions', ATTR.compressorOperation, 'compress');
  count('compressorOperations', 'decompressions', ATTR.compressorOperation, 'decompress');
  const stored = bytes('storedInCompressor');
  if (stored !== undefined) points.push(point('compressorStored', stored));
  for (const [field, kind] of PAGE_KINDS) {
    const b = bytes(field);
    if (b !== undefined) points.push(point('memoryPages', b, { [ATTR.pageKind]: kind }));
  }
  for (const [field, type] of FAULT_TYPES) count('memoryFaults', field, ATTR.faultType, type);
  count('pageOperations', 'reactivated', ATTR.pageOperation, 'reactivated');
  count('pageOperations', 'purged', ATTR.pageOperation, 'purged');
  return { points, rejected };
}

class VmStatSource implements Source {
  readonly name = 'vm_stat' as const;
  readonly #ctx: SourceContext;
  readonly #rejected: RejectedInput;
  readonly #streaming: boolean;
  readonly #intervalMs: number;
  /** Unknown fields already reported: each is counted and logged once, not every cycle. */
  readonly #reportedUnknown = new Set<string>();

  #child: LiveChild | undefined;
  #childExited: Promise<void> | undefined;
  #stopping = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #backoffMs: number = RESTART_BACKOFF_MS.first;
  /** Why the child is not producing rows (exit, silence, unreadable output); cleared by a row. */
  #fault: SourceError | undefined;
  /** The command is missing: no restart will help. */
  #fatal: SourceError | undefined;

  // State of the current child's stream.
  #reader = new VmStatStreamReader();
  #partial = '';
  #rows = 0;
  #lastRowAt = 0;
  #stderrTail = '';
  #waiters: (() => void)[] = [];

  /** Kept across child restarts, so counters never step backwards. */
  readonly #counters = new VmStatStreamCounters();

  constructor(ctx: SourceContext) {
    this.#ctx = ctx;
    this.#rejected = new RejectedInput(ctx, 'vm_stat');
    this.#streaming = ctx.mode === 'daemon' && ctx.replayDir === undefined;
    this.#intervalMs = ctx.config.sources.vm_stat.interval;
  }

  async start(): Promise<void> {
    if (!this.#streaming || this.#watchdog !== undefined) return;
    this.#stopping = false;
    this.#spawn();
    const rowEveryMs = vmStatSeconds(this.#intervalMs) * 1000;
    this.#watchdog = setInterval(() => this.#checkSilence(3 * rowEveryMs), rowEveryMs);
    this.#watchdog.unref();
  }

  async collect(): Promise<Point[]> {
    if (!this.#streaming) return this.#collectOnce();
    if (this.#fatal) throw this.#fatal;
    if (this.#watchdog === undefined) await this.start();
    // A fresh child (started or restarted) prints its first row at once: wait for it briefly.
    if (this.#rows === 0 && this.#child !== undefined) await this.#firstRow(FIRST_ROW_WAIT_MS);
    if (this.#fatal) throw this.#fatal;
    if (this.#fault) throw this.#fault;
    const sample = this.#counters.sample();
    if (this.#rows === 0 || sample === undefined) {
      throw new SourceError('vm_stat', 'timeout', `${this.#commandLine()} printed no row within ${FIRST_ROW_WAIT_MS} ms of starting`);
    }
    return this.#points(sample);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    clearInterval(this.#watchdog);
    this.#restartTimer = undefined;
    this.#watchdog = undefined;
    const child = this.#child;
    if (child) {
      child.terminate();
      await this.#childExited;
    }
    this.#wakeWaiters();
  }

  async #collectOnce(): Promise<Point[]> {
    const text = await runCommand({
      source: 'vm_stat', command: VM_STAT_COMMAND, args: VM_STAT_ARGS, timeoutMs: TIMEOUT_MS,
      replayDir: this.#ctx.replayDir, replayFile: REPLAY_FILE,
    });
    let sample: VmStatSample;
    try {
      sample = parseVmStat(text);
    } catch (error) {
      if (error instanceof VmStatParseError) {
        throw new SourceError('vm_stat', 'parse', `${error.message} — is this macOS's vm_stat? Run \`macos-agent capture DIR\` and attach DIR to an issue`, { cause: error });
      }
      throw error;
    }
    for (const bad of sample.malformed) this.#parseError(bad);
    return this.#points(sample);
  }

  #points(sample: VmStatSample): Point[] {
    for (const [label, value] of sample.unknown) {
      if (this.#reportedUnknown.has(label)) continue;
      this.#reportedUnknown.add(label);
      this.#rejected.report(`vm_stat printed a field this agent does not know ("${label}": ${value}); it is not exported — please report it with \`macos-agent capture DIR\``);
    }
    const { points, rejected } = vmStatPoints(sample);
    for (const reason of rejected) this.#rejected.report(`vm_stat: ${reason}; the point is left out`);
    return points;
  }

  #commandLine(): string {
    return `${VM_STAT_COMMAND} ${vmStatStreamArgs(this.#intervalMs).join(' ')}`;
  }

  #spawn(): void {
    this.#reader = new VmStatStreamReader();
    this.#partial = '';
    this.#rows = 0;
    this.#lastRowAt = Date.now();
    this.#stderrTail = '';
    const child = spawnChild(VM_STAT_COMMAND, vmStatStreamArgs(this.#intervalMs), { killGraceMs: 1000 });
    this.#child = child;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.#onStdout(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-2048);
    });
    this.#childExited = child.exited.then((exit) => this.#onExit(child, exit));
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
        this.#fault = new SourceError('vm_stat', 'parse',
          `${this.#commandLine()} printed output this agent cannot read (${r.malformed.reason}: ${JSON.stringify(r.malformed.line.slice(0, 120))}) — is this macOS's vm_stat? Run \`macos-agent capture DIR\` and attach DIR to an issue`);
        this.#wakeWaiters();
      }
      return;
    }
    if (r.kind !== 'row') return;
    this.#rows++;
    this.#lastRowAt = Date.now();
    this.#fault = undefined;
    this.#backoffMs = RESTART_BACKOFF_MS.first;
    this.#counters.add(r.row);
    this.#wakeWaiters();
  }

  #onExit(child: LiveChild, exit: ChildExit): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    if (this.#stopping) return;
    if (exit.notFound) {
      this.#fatal = new SourceError('vm_stat', 'missing',
        `${VM_STAT_COMMAND} not found on PATH — vm_stat metrics need macOS (vm_stat ships with it); disable the vm_stat source to silence this`);
      this.#wakeWaiters();
      return;
    }
    const stderr = this.#stderrTail.trim().split('\n')[0] ?? '';
    const how = exit.startError !== undefined ? `could not be started (${exit.startError.message})`
      : exit.exitCode !== null ? `exited (code ${exit.exitCode})` : `was killed (${exit.signal ?? 'unknown signal'})`;
    this.#fault ??= new SourceError('vm_stat', 'failed',
      `${this.#commandLine()} ${how}${stderr ? `: "${stderr}"` : ''}; restarting in ${this.#backoffMs / 1000} s`);
    this.#wakeWaiters();
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, RESTART_BACKOFF_MS.max);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#stopping) return;
      this.#ctx.onChildRestart?.('vm_stat');
      this.#spawn();
    }, delay);
    this.#restartTimer.unref();
  }

  #checkSilence(silenceMs: number): void {
    const child = this.#child;
    if (child === undefined || Date.now() - this.#lastRowAt < silenceMs) return;
    this.#fault = new SourceError('vm_stat', 'timeout',
      `${this.#commandLine()} printed no row for ${Math.round((Date.now() - this.#lastRowAt) / 1000)} s (3 intervals); killed, it will be restarted`);
    this.#wakeWaiters();
    child.kill();
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

  #parseError(bad: VmStatMalformedLine): void {
    this.#rejected.report(`vm_stat: skipped line ${JSON.stringify(bad.line.slice(0, 120))}: ${bad.reason}`);
  }
}

export const vmStatModule: SourceModule = {
  name: 'vm_stat',
  create: (ctx) => new VmStatSource(ctx),
  replayFile: REPLAY_FILE,
  capture: () => runCommand({ source: 'vm_stat', command: VM_STAT_COMMAND, args: VM_STAT_ARGS, timeoutMs: TIMEOUT_MS, replayFile: REPLAY_FILE }),
};
