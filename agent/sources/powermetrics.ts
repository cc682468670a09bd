import { cpus } from 'node:os';
import { point, type Point } from '../metrics/catalog.js';
import {
  parsePowermetricsPlist, PowermetricsParseError, type PowerComponent, type PowermetricsSample,
} from '../parsers/powermetrics.js';
import { describeExit } from './child-process.js';
import { splitNulDocuments, NulDocumentSplitter } from './nul-stream.js';
import { CommandFailedError, readReplayFile, runCommand } from './run-command.js';
import { SourceError, type Source, type SourceContext, type SourceModule } from './source.js';
import { RejectedInput } from './rejected-input.js';
import { SupervisedChild, type ChildCommand, type ChildEnd, type NextStep } from './supervised-child.js';

// powermetrics runs as one long-lived child writing a plist document per interval, separated by
// NUL bytes, supervised by SupervisedChild (supervised-child.ts) with these rules:
// - the child exits: restart after 1 s, doubling per consecutive failure up to 60 s (reset by
//   the next good sample);
// - no document within 3 intervals (plus START_GRACE_MS for a new child's first document): the
//   child is killed (SIGTERM, then SIGKILL) and restarted;
// - every sources.powermetrics.recycle_after (6 h by default) the child is replaced, because a
//   long-running powermetrics grows to gigabytes;
// - it refuses to run without root, or is not installed: said once, retried every 5 minutes.
// The delays are DEFAULT_TIMING.

const COMMAND = 'powermetrics';
const SOURCE = 'powermetrics';
/** The path sudo is given, and the one the sudoers drop-in names: sudo matches commands by path. */
export const POWERMETRICS_PATH = '/usr/bin/powermetrics';

export interface PowermetricsTiming {
  /** Delay before the first restart after the child exits; doubles per consecutive failure. */
  readonly restartDelayMs: number;
  readonly maxRestartDelayMs: number;
  /** Delay between attempts when powermetrics needs root or is not installed. */
  readonly refusedRetryMs: number;
  /** Between SIGTERM and SIGKILL. */
  readonly killGraceMs: number;
  /** Replaces sources.powermetrics.recycle_after (tests use a shorter one than config allows). */
  readonly recycleAfterMs?: number;
  /** `--once`: how long the single short sample may take. */
  readonly onceTimeoutMs: number;
  /**
   * The daemon's first child takes one sample over this window, then the long-lived child starts:
   * powermetrics sends its first sample one interval after it starts, so without this power data
   * would first reach the collector about two intervals (20 s) after start.
   */
  readonly firstSampleMs: number;
}

export const DEFAULT_TIMING: PowermetricsTiming = {
  restartDelayMs: 1000,
  maxRestartDelayMs: 60_000,
  refusedRetryMs: 5 * 60_000,
  killGraceMs: 2000,
  onceTimeoutMs: 5000,
  firstSampleMs: 1000,
};

/** A sample older than this many intervals is stale, and a child this long silent is hung. */
const HANG_INTERVALS = 3;
/** A new child may take this long to start before its first document is due (sudo, a loaded Mac). */
const START_GRACE_MS = 1000;
/** `--once`: one sample over this window, so the whole run finishes in about 2 s. */
const ONCE_SAMPLE_MS = 500;
const DISABLE_HINT = 'disable the source with --set sources.powermetrics.enabled=false';

const HW_TYPE: Readonly<Record<PowerComponent, string>> = { cpu: 'cpu', gpu: 'gpu', ane: 'npu', package: 'cpu' };

/** The points of one sample; `energyTotals` are the running hw.energy counters (J). */
export function samplePoints(sample: PowermetricsSample, energyTotals: ReadonlyMap<PowerComponent, number>): Point[] {
  const points: Point[] = [];
  for (const [component, watts] of Object.entries(sample.powerWatts) as [PowerComponent, number][]) {
    points.push(point('hwPower', watts, { 'hw.id': component, 'hw.type': HW_TYPE[component] }));
  }
  for (const [component, joules] of energyTotals) {
    points.push(point('hwEnergy', joules, { 'hw.id': component, 'hw.type': HW_TYPE[component] }));
  }
  for (const cpu of sample.cpus) {
    if (cpu.frequencyHz !== undefined) points.push(point('cpuFrequency', cpu.frequencyHz, { 'cpu.logical_number': cpu.logicalNumber }));
  }
  for (const cluster of sample.clusters) {
    const attributes = { 'macos.cpu.cluster': cluster.name };
    if (cluster.frequencyHz !== undefined) points.push(point('clusterFrequency', cluster.frequencyHz, attributes));
    if (cluster.utilization !== undefined) points.push(point('clusterUtilization', cluster.utilization, attributes));
  }
  if (sample.gpu?.utilization !== undefined) points.push(point('gpuActiveResidency', sample.gpu.utilization, { 'hw.id': 'gpu' }));
  if (sample.gpu?.frequencyHz !== undefined) points.push(point('gpuFrequency', sample.gpu.frequencyHz, { 'hw.id': 'gpu' }));
  if (sample.thermalPressure !== undefined) points.push(point('thermalPressure', sample.thermalPressure));
  return points;
}

/** Samplers that exist only on Apple Silicon: an Intel Mac's powermetrics has no Neural Engine. */
const APPLE_SILICON_SAMPLERS: ReadonlySet<string> = new Set(['ane_power']);

function isIntelMac(): boolean {
  return process.platform === 'darwin' && !(cpus()[0]?.model ?? '').startsWith('Apple');
}

/** The configured samplers this machine's powermetrics has (the default list names ane_power). */
export function samplersFor(configured: readonly string[], intelMac: boolean): string[] {
  return intelMac ? configured.filter((s) => !APPLE_SILICON_SAMPLERS.has(s)) : [...configured];
}

/**
 * How every run starts powermetrics with these arguments (the long-lived child, `--once`,
 * `capture`): the one place the `sudo -n` prefix goes. Only the daemon's child goes through sudo,
 * since the sudoers drop-in allows only its command lines; sudo relays SIGTERM, SIGINT and SIGHUP
 * to powermetrics, so stopping the child still stops powermetrics.
 */
export function powermetricsCommand(args: readonly string[], opts: { sudo?: boolean } = {}): ChildCommand {
  return opts.sudo === true ? { file: 'sudo', args: ['-n', POWERMETRICS_PATH, ...args] } : { file: COMMAND, args };
}

/** The arguments of the long-lived child (`daemon`) or of one short sample (`once`, `capture`). */
export function powermetricsArgs(samplers: readonly string[], intervalMs: number, count?: number): string[] {
  return ['--samplers', samplers.join(','), '-i', String(intervalMs), ...(count !== undefined ? ['-n', String(count)] : []), '-f', 'plist'];
}

/**
 * The argument lists the daemon starts powermetrics with, in order: a short first sample (when the
 * interval is longer than it), then the long-lived child. The sudoers drop-in allows exactly these.
 */
export function daemonPowermetricsArgs(samplers: readonly string[], intervalMs: number, firstSampleMs = DEFAULT_TIMING.firstSampleMs): string[][] {
  const steady = powermetricsArgs(samplers, intervalMs);
  return intervalMs > firstSampleMs ? [powermetricsArgs(samplers, firstSampleMs, 1), steady] : [steady];
}

/** The samplers and interval the daemon runs powermetrics with, from its config, on this Mac. */
export function configuredDaemonPowermetricsArgs(powermetrics: { samplers: readonly string[]; interval: number }): string[][] {
  return daemonPowermetricsArgs(samplersFor(powermetrics.samplers, isIntelMac()), powermetrics.interval);
}

function missingError(): SourceError {
  return new SourceError(SOURCE, 'missing', `powermetrics not found on PATH — it ships with macOS (/usr/bin/powermetrics); on another system ${DISABLE_HINT}`);
}

function refusesWithoutRoot(stderr: string): boolean {
  return /superuser|must be run as root|requires root/i.test(stderr);
}

/** `sudo -n` says why it refused on stderr, each line starting `sudo: `. */
function sudoRefusal(stderr: string): string | undefined {
  return stderr.split('\n').find((line) => line.startsWith('sudo: '))?.trim();
}

function sudoRefusedError(how: string, refusal: string): SourceError {
  return new SourceError(SOURCE, 'permission',
    `sudo refused to start powermetrics (${how}): "${refusal}" — /etc/sudoers.d/macos-agent allows only the command lines written from the config at install time; after changing sources.powermetrics (samplers, interval) run: sudo macos-agent service install --system`);
}

function permissionError(how: string, stderrLine: string): SourceError {
  return new SourceError(SOURCE, 'permission',
    `powermetrics ${how}: "${stderrLine}" — it needs root: install the system service (macos-agent service install --system) or ${DISABLE_HINT}`);
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

/** runCommand's errors for a one-shot powermetrics, with the root refusal told apart. */
function classifyOneShotError(error: unknown): unknown {
  if (!(error instanceof SourceError)) return error;
  if (error.kind === 'missing') return missingError();
  if (error instanceof CommandFailedError && refusesWithoutRoot(error.result.stderr)) {
    return permissionError('refused to run', firstLine(error.result.stderr));
  }
  return error;
}

/** Running hw.energy totals: each sample's energy added, never reset while the agent runs. */
class EnergyTotals {
  readonly totals = new Map<PowerComponent, number>();

  add(sample: PowermetricsSample): void {
    for (const [component, joules] of Object.entries(sample.energyJoules) as [PowerComponent, number][]) {
      this.totals.set(component, (this.totals.get(component) ?? 0) + joules);
    }
  }
}

export class PowermetricsSource implements Source {
  readonly name = SOURCE;
  readonly #ctx: SourceContext;
  readonly #timing: PowermetricsTiming;
  readonly #intervalMs: number;
  readonly #samplers: readonly string[];
  readonly #energy = new EnergyTotals();
  readonly #splitter: NulDocumentSplitter;
  readonly #rejected: RejectedInput;
  readonly #child: SupervisedChild;

  #latest: PowermetricsSample | undefined;
  #latestAt = 0;
  #started = false;
  /** The next child is the short first-sample one; cleared when it starts. */
  #firstSamplePending = true;
  /** The running child is the short first-sample one. */
  #firstSampleRunning = false;
  #lastError: SourceError | undefined;
  #once: Promise<string> | undefined;

  constructor(ctx: SourceContext, timing: Partial<PowermetricsTiming> = {}) {
    this.#ctx = ctx;
    this.#rejected = new RejectedInput(ctx, SOURCE);
    this.#timing = { ...DEFAULT_TIMING, ...timing };
    this.#intervalMs = ctx.config.sources.powermetrics.interval;
    this.#samplers = samplersFor(ctx.config.sources.powermetrics.samplers, isIntelMac());
    this.#splitter = new NulDocumentSplitter({
      maxDocumentBytes: ctx.config.sources.powermetrics.max_document_bytes,
      onDocument: (text) => this.#onDocument(text),
      onOversize: (bytes) => this.#oversize(bytes),
    });
    this.#child = new SupervisedChild({
      command: () => this.#nextCommand(),
      timing: {
        restartDelayMs: this.#timing.restartDelayMs,
        maxRestartDelayMs: this.#timing.maxRestartDelayMs,
        killGraceMs: this.#timing.killGraceMs,
        silenceMs: HANG_INTERVALS * this.#intervalMs,
        startGraceMs: START_GRACE_MS,
        recycleAfterMs: this.#recycleAfterMs(),
      },
      onStart: () => this.#splitter.reset(),
      onStdout: (chunk) => this.#splitter.push(chunk),
      onEnd: (end) => this.#onEnd(end),
      onRecycle: () => {
        this.#splitter.reset();
        this.#ctx.log.info({ source: SOURCE }, `powermetrics recycled after ${this.#recycleAfterMs()} ms (a long-running powermetrics keeps growing)`);
      },
      onRestart: () => this.#ctx.onChildRestart?.(SOURCE),
    });
  }

  /** The pid of the running child, if any (for tests and diagnostics). */
  get childPid(): number | undefined {
    return this.#child.pid;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    if (this.#ctx.replayDir !== undefined) return;
    if (this.#ctx.mode === 'once') {
      const { file, args } = powermetricsCommand(powermetricsArgs(this.#samplers, ONCE_SAMPLE_MS, 1));
      this.#once = runCommand({
        source: SOURCE,
        command: file,
        args,
        timeoutMs: this.#timing.onceTimeoutMs,
        replayFile: powermetricsModule.replayFile,
      }).catch((error: unknown) => {
        throw classifyOneShotError(error);
      });
      this.#once.catch(() => undefined);
      return;
    }
    this.#child.start();
  }

  async collect(): Promise<Point[]> {
    if (!this.#started) await this.start();
    if (this.#ctx.replayDir !== undefined) {
      return this.#fromStream(await readReplayFile(SOURCE, this.#ctx.replayDir, powermetricsModule.replayFile), 'replay file');
    }
    if (this.#once !== undefined) return this.#fromStream(await this.#once, 'powermetrics output');
    const fresh = this.#latest !== undefined && Date.now() - this.#latestAt <= HANG_INTERVALS * this.#intervalMs;
    if (!this.#child.running || !fresh || this.#latest === undefined) {
      if (this.#lastError !== undefined) throw this.#lastError;
      if (!this.#child.running) throw new SourceError(SOURCE, 'failed', 'powermetrics is not running (the source was stopped)');
      // A fresh child's first sample comes one interval after it starts: no data yet, not a fault.
      // A child that stays silent is the hang watchdog's to kill, and that sets #lastError.
      if (this.#latest === undefined) return [];
      throw new SourceError(SOURCE, 'timeout', `powermetrics sent no sample for ${HANG_INTERVALS} intervals (${HANG_INTERVALS * this.#intervalMs} ms)`);
    }
    return samplePoints(this.#latest, this.#energy.totals);
  }

  async stop(): Promise<void> {
    await this.#child.stop();
    await this.#once?.catch(() => undefined);
  }

  #recycleAfterMs(): number {
    return this.#timing.recycleAfterMs ?? this.#ctx.config.sources.powermetrics.recycle_after;
  }

  /**
   * The daemon's first child takes one short sample, the next ones stream. Samples of the short
   * child and of the long-lived one that follows it cover consecutive windows, so the energy
   * totals count each moment once.
   */
  #nextCommand(): ChildCommand {
    this.#firstSampleRunning = this.#firstSamplePending && this.#intervalMs > this.#timing.firstSampleMs;
    this.#firstSamplePending = false;
    const args = this.#firstSampleRunning
      ? powermetricsArgs(this.#samplers, this.#timing.firstSampleMs, 1)
      : powermetricsArgs(this.#samplers, this.#intervalMs);
    return powermetricsCommand(args, { sudo: this.#ctx.config.sources.powermetrics.sudo });
  }

  /**
   * All documents of a finished stream (`--once` output, a replay file): energy integrated over
   * all of them, points from the last. Read afresh on every call, so a replayed file gives the
   * same values each cycle.
   */
  #fromStream(stream: string, what: string): Point[] {
    const documents = splitNulDocuments(stream, this.#ctx.config.sources.powermetrics.max_document_bytes, (bytes) => this.#oversize(bytes));
    const energy = new EnergyTotals();
    let last: PowermetricsSample | undefined;
    for (const text of documents) {
      const sample = this.#read(text);
      if (sample === undefined) continue;
      energy.add(sample);
      last = sample;
    }
    if (last === undefined) {
      throw new SourceError(SOURCE, 'parse', documents.length === 0
        ? `${what} holds no powermetrics document`
        : `no readable powermetrics document in ${what} (${documents.length} rejected; see the log)`);
    }
    return samplePoints(last, energy.totals);
  }

  /** A document from the live child: it becomes the latest sample and adds to the energy totals. */
  #onDocument(text: string): void {
    this.#child.noteProgress();
    const sample = this.#read(text);
    if (sample === undefined) return;
    this.#energy.add(sample);
    this.#latest = sample;
    this.#latestAt = Date.now();
    this.#child.noteHealthy();
    this.#lastError = undefined;
  }

  /** Parses a document, counting what it rejects; undefined when the whole document is unreadable. */
  #read(text: string): PowermetricsSample | undefined {
    let sample: PowermetricsSample;
    try {
      sample = parsePowermetricsPlist(text);
    } catch (error) {
      const message = error instanceof PowermetricsParseError ? error.message : `powermetrics document could not be read: ${(error as Error).message}`;
      this.#rejected.report(new SourceError(SOURCE, 'parse', `${message} — document dropped`, { cause: error }));
      return undefined;
    }
    for (const r of sample.rejected) {
      this.#rejected.report(new SourceError(SOURCE, 'parse', `powermetrics ${r.field} = ${JSON.stringify(r.value)} rejected: ${r.reason}`), `${r.field}: ${r.reason}`);
    }
    for (const w of sample.warnings) this.#rejected.warnOnce(`powermetrics printed "warning: ${w}" inside its output`, 'powermetrics-warning');
    return sample;
  }

  #oversize(bytes: number): void {
    const limit = this.#ctx.config.sources.powermetrics.max_document_bytes;
    this.#rejected.report(new SourceError(SOURCE, 'parse',
      `powermetrics document larger than sources.powermetrics.max_document_bytes (${limit} bytes; ${bytes} seen) dropped; reading resumes at the next document — raise the limit if this machine needs it`));
  }

  #onEnd(end: ChildEnd): NextStep {
    // A child that ended by itself may have left a last document without its NUL; the parser decides.
    if (end.cause === 'exited') this.#splitter.end();
    else this.#splitter.reset();
    if (this.#firstSampleRunning && end.cause === 'exited' && end.exit.exitCode === 0 && this.#latest !== undefined) return 'continue';
    const error = this.#endError(end);
    this.#lastError = error;
    if (error.kind === 'permission' || error.kind === 'missing') {
      this.#rejected.warnOnce(`${error.message} (trying again every ${Math.round(this.#timing.refusedRetryMs / 1000)} s)`, `refused:${error.message}`);
      return { retryAfterMs: this.#timing.refusedRetryMs };
    }
    this.#ctx.log.warn({ source: SOURCE, restart_in_ms: end.backoffMs, failures: end.failures }, `${error.message}; restarting`);
    return 'backoff';
  }

  #endError(end: ChildEnd): SourceError {
    const { exit } = end;
    if (exit.notFound) return missingError();
    if (exit.startError !== undefined) {
      return new SourceError(SOURCE, 'failed', `powermetrics could not be started: ${exit.startError.message}`, { cause: exit.startError });
    }
    const stderr = firstLine(end.stderr);
    const how = describeExit(exit);
    const refusal = this.#ctx.config.sources.powermetrics.sudo ? sudoRefusal(end.stderr) : undefined;
    if (refusal !== undefined) return sudoRefusedError(how, refusal);
    if (refusesWithoutRoot(end.stderr)) return permissionError(how, stderr);
    if (end.cause === 'silent') {
      return new SourceError(SOURCE, 'timeout', `powermetrics sent no sample for ${HANG_INTERVALS} intervals (${HANG_INTERVALS * this.#intervalMs} ms) and was killed`);
    }
    return new SourceError(SOURCE, 'failed', `powermetrics ${how}${stderr ? `: "${stderr}"` : ''}`);
  }
}

export const powermetricsModule: SourceModule = {
  name: SOURCE,
  replayFile: 'powermetrics.plist',
  create: (ctx) => new PowermetricsSource(ctx),
  capture: async (ctx) => {
    const { file, args } = powermetricsCommand(powermetricsArgs(samplersFor(ctx.config.sources.powermetrics.samplers, isIntelMac()), 1000, 1));
    try {
      return await runCommand({
        source: SOURCE,
        command: file,
        args,
        timeoutMs: 10_000,
        replayFile: 'powermetrics.plist',
      });
    } catch (error) {
      throw classifyOneShotError(error);
    }
  },
};
