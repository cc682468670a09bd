// The memory_pressure source: the kernel's memory pressure level and the share of memory it counts
// as available (parsers/memory-pressure.ts; what they mean: docs/memory-pressure.md).
//
// On a Mac both are two sysctlbyname calls through the native addon: no process. The available
// share is the kernel variable `memory_pressure` itself prints (it reads it with the
// memorystatus_get_level call; kern.memorystatus_level is the same variable). Without the addon
// (not built, an older build, not macOS, or a kernel without the sysctls) it runs
// `sysctl kern.memorystatus_vm_pressure_level` and `memory_pressure` each collection, and says so
// once. `--replay` reads the level from the bundle's sysctl.txt (the sysctl source records it
// there) and the percentage from memory_pressure.txt; `capture` records memory_pressure.txt.

import { point, type Point } from '../metrics/catalog.js';
import {
  memoryPressureFromHost, parseMemoryPressure, pressureLevelFromSysctl, PRESSURE_LEVEL_SYSCTL,
  type HostMemoryPressure, type MemoryPressureSample,
} from '../parsers/memory-pressure.js';
import { parseSysctl } from '../parsers/sysctl.js';
import { AddonReader, type NativeAddonOptions } from '../native/addon.js';
import { runCommand, type RunCommandOptions } from './run-command.js';
import { SourceError, type Source, type SourceContext, type SourceModule } from './source.js';
import { RejectedInput } from './rejected-input.js';

const TIMEOUT_MS = 5000;
const REPLAY_FILE = 'memory_pressure.txt';

/** `memory_pressure` with no option prints the page statistics and the percentage, then exits. */
const MEMORY_PRESSURE_RUN: RunCommandOptions = {
  source: 'memory_pressure', command: 'memory_pressure', args: [], timeoutMs: TIMEOUT_MS, replayFile: REPLAY_FILE,
};
const LEVEL_RUN: RunCommandOptions = {
  source: 'memory_pressure', command: 'sysctl', args: [PRESSURE_LEVEL_SYSCTL], timeoutMs: TIMEOUT_MS, replayFile: 'sysctl.txt',
};

/** The points of one sample; a value it lacks is a missing point. */
export function memoryPressurePoints(sample: MemoryPressureSample): Point[] {
  const points: Point[] = [];
  if (sample.level !== undefined) points.push(point('memoryPressureLevel', sample.level));
  if (sample.freeRatio !== undefined) points.push(point('memoryPressureFree', sample.freeRatio));
  return points;
}

export type MemoryPressureSourceOptions = NativeAddonOptions;

class MemoryPressureSource implements Source {
  readonly name = 'memory_pressure' as const;
  readonly #ctx: SourceContext;
  readonly #rejected: RejectedInput;
  readonly #host: AddonReader<HostMemoryPressure>;

  constructor(ctx: SourceContext, opts: MemoryPressureSourceOptions) {
    this.#ctx = ctx;
    this.#rejected = new RejectedInput(ctx, 'memory_pressure');
    this.#host = new AddonReader({
      source: 'memory_pressure', addonPath: opts.addonPath, log: ctx.log,
      notOnMacos: 'kern.memorystatus_vm_pressure_level and kern.memorystatus_level are only available on macOS',
      fn: 'readMemoryPressure', reads: 'sysctlbyname', command: 'sysctl and memory_pressure', what: 'memory pressure',
    });
  }

  async collect(): Promise<Point[]> {
    const record = this.#ctx.replayDir === undefined ? this.#host.read() : undefined;
    const sample = record !== undefined ? memoryPressureFromHost(record) : await this.#fromCommands();
    for (const reason of sample.rejected) this.#rejected.report(`memory_pressure: ${reason}; the point is left out`);
    const points = memoryPressurePoints(sample);
    if (points.length === 0 && sample.rejected.length === 0) {
      throw new SourceError('memory_pressure', 'parse', this.#ctx.replayDir !== undefined
        ? `neither ${PRESSURE_LEVEL_SYSCTL} in sysctl.txt nor "System-wide memory free percentage" in ${REPLAY_FILE} of ${this.#ctx.replayDir}`
        : `neither sysctl ${PRESSURE_LEVEL_SYSCTL} nor memory_pressure printed a value — run \`macos-agent capture DIR\` and attach DIR to an issue`);
    }
    return points;
  }

  /**
   * The level from sysctl and the percentage from memory_pressure, each on its own: one that fails
   * leaves its point out and is said once; when they give no value at all, the collection fails
   * with the reasons.
   */
  async #fromCommands(): Promise<MemoryPressureSample> {
    const replayDir = this.#ctx.replayDir;
    const [level, free] = await Promise.allSettled([
      runCommand({ ...LEVEL_RUN, replayDir }).then((text) => pressureLevelFromSysctl(parseSysctl(text))),
      runCommand({ ...MEMORY_PRESSURE_RUN, replayDir }).then(parseMemoryPressure),
    ]);
    const fromLevel = level.status === 'fulfilled' ? level.value : { rejected: [] };
    const fromFree = free.status === 'fulfilled' ? free.value : { rejected: [] };
    const sample: MemoryPressureSample = { ...fromLevel, ...fromFree, rejected: [...fromLevel.rejected, ...fromFree.rejected] };
    const failures = [level, free].flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof SourceError ? r.reason : new SourceError('memory_pressure', 'failed', String(r.reason))] : []));
    const nothing = sample.level === undefined && sample.freeRatio === undefined && sample.rejected.length === 0;
    if (failures.length > 0 && nothing) throw this.#failure(failures);
    for (const e of failures) this.#rejected.warnOnce(`memory_pressure: ${e.message}; that value is left out`);
    return sample;
  }

  /** Why neither command gave a value: "needs macOS" off a Mac, else the commands' own errors. */
  #failure(errors: readonly SourceError[]): SourceError {
    const detail = errors.map((e) => e.message).join('; ');
    if (this.#ctx.replayDir === undefined && process.platform !== 'darwin') {
      return new SourceError('memory_pressure', 'missing', `memory pressure needs macOS (its kernel's memorystatus sysctls or memory_pressure): ${detail}`, { cause: errors[0] });
    }
    const kind = errors.every((e) => e.kind === 'missing') ? 'missing' : errors.find((e) => e.kind !== 'missing')!.kind;
    return new SourceError('memory_pressure', kind, detail, { cause: errors[0] });
  }

  async stop(): Promise<void> {}
}

export function createMemoryPressureSource(ctx: SourceContext, opts: MemoryPressureSourceOptions = {}): Source {
  return new MemoryPressureSource(ctx, opts);
}

export const memoryPressureModule: SourceModule = {
  name: 'memory_pressure',
  create: (ctx) => createMemoryPressureSource(ctx),
  replayFile: REPLAY_FILE,
  capture: () => runCommand(MEMORY_PRESSURE_RUN),
};
