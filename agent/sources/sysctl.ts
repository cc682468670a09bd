// The sysctl source: installed memory (hw.memsize) and swap use (vm.swapusage).
//
// On a Mac it reads both with sysctlbyname through the native addon (parsers/host-sysctl.ts): no
// process per collection, as for vm_stat. Without the addon (not built, built by an older
// version, or not macOS) it runs `sysctl` once per collection, and says so once. hw.model and
// machdep.cpu.brand_string ride along in that spawn (free once the process exists) so that a
// `capture` bundle's sysctl.txt also identifies the machine; they are not metrics, so the addon
// does not read them. `--replay` and `capture` use sysctl's text.

import { ATTR, type Point, point } from '../metrics/catalog.js';
import { sysctlSampleFromHost, type HostSysctlSample, type HostSysctls } from '../parsers/host-sysctl.js';
import { parseSwapUsage, parseSysctl, type SwapUsage } from '../parsers/sysctl.js';
import { AddonReader, type NativeAddonOptions } from '../native/addon.js';
import { CommandFailedError, runCommand, type RunCommandOptions } from './run-command.js';
import { SourceError, type Source, type SourceContext, type SourceModule } from './source.js';
import { RejectedInput } from './rejected-input.js';

export const SYSCTL_COMMAND = 'sysctl';
// kern.memorystatus_vm_pressure_level rides along for the memory_pressure source's replay: a
// bundle's sysctl.txt holds it.
export const SYSCTL_ARGS: readonly string[] = ['hw.memsize', 'vm.swapusage', 'hw.model', 'machdep.cpu.brand_string', 'kern.memorystatus_vm_pressure_level'];
const REPLAY_FILE = 'sysctl.txt';
const TIMEOUT_MS = 5000;
/** Linux's procps sysctl reads /proc/sys and says so when a macOS name is not there. */
const NOT_MACOS = /cannot stat \/proc\/sys\//;

export interface SysctlPoints {
  readonly points: Point[];
  /** Values that are present but unreadable or absurd, each with the reason. */
  readonly rejected: string[];
}

/** hw.memsize as the memory limit; `shown` is the value as the rejection quotes it. */
function addMemoryLimit(out: SysctlPoints, bytes: number, shown: string): void {
  // No Mac has less than 256 MiB or more than 1 PiB; outside that the value is not memory.
  if (Number.isSafeInteger(bytes) && bytes >= 2 ** 28 && bytes <= 2 ** 50) out.points.push(point('memoryLimit', bytes));
  else out.rejected.push(`absurd hw.memsize ${shown} (expected bytes between 256 MiB and 1 PiB)`);
}

function addSwapUsage(out: SysctlPoints, usage: SwapUsage): void {
  out.points.push(point('pagingUsage', usage.usedBytes, { [ATTR.pagingState]: 'used' }));
  out.points.push(point('pagingUsage', usage.freeBytes, { [ATTR.pagingState]: 'free' }));
}

/** The points of one `sysctl` output. A missing or unreadable value is a missing point. */
export function sysctlPoints(values: ReadonlyMap<string, string>): SysctlPoints {
  const out: SysctlPoints = { points: [], rejected: [] };
  const memsize = values.get('hw.memsize');
  if (memsize !== undefined) addMemoryLimit(out, /^\d+$/.test(memsize.trim()) ? Number(memsize.trim()) : NaN, JSON.stringify(memsize));
  const swap = values.get('vm.swapusage');
  if (swap !== undefined) {
    const usage = parseSwapUsage(swap);
    if (usage === undefined) out.rejected.push(`unreadable vm.swapusage ${JSON.stringify(swap)} (expected "total = …M  used = …M  free = …M")`);
    else addSwapUsage(out, usage);
  }
  return out;
}

/** The points of one sysctlbyname answer, by the same rules as sysctlPoints. */
export function hostSysctlPoints(sample: HostSysctlSample): SysctlPoints {
  const out: SysctlPoints = { points: [], rejected: [] };
  if (sample.memsize !== undefined) addMemoryLimit(out, sample.memsize, String(sample.memsize));
  if (sample.swap !== undefined) addSwapUsage(out, sample.swap);
  return out;
}

function notMacosError(detail: string, cause?: unknown): SourceError {
  return new SourceError('sysctl', 'missing',
    `this sysctl is not macOS's: no hw.memsize (${detail}) — memory limit and swap metrics need macOS; disable the sysctl source to silence this`,
    cause !== undefined ? { cause } : undefined);
}

/** The one-shot command as the source runs it and as `capture` records it: one spec, so they cannot drift. */
const SYSCTL_RUN: RunCommandOptions = { source: 'sysctl', command: SYSCTL_COMMAND, args: SYSCTL_ARGS, timeoutMs: TIMEOUT_MS, replayFile: REPLAY_FILE };

export type SysctlSourceOptions = NativeAddonOptions;

const NOT_ON_MACOS = 'hw.memsize and vm.swapusage are only available on macOS';

class SysctlSource implements Source {
  readonly name = 'sysctl' as const;
  readonly #ctx: SourceContext;
  readonly #rejected: RejectedInput;
  readonly #host: AddonReader<HostSysctls>;

  constructor(ctx: SourceContext, opts: SysctlSourceOptions) {
    this.#ctx = ctx;
    this.#rejected = new RejectedInput(ctx, 'sysctl');
    this.#host = new AddonReader({
      source: 'sysctl', addonPath: opts.addonPath, notOnMacos: NOT_ON_MACOS, log: ctx.log,
      fn: 'readSysctls',
      reads: 'sysctlbyname', command: 'sysctl', what: 'installed memory and swap use',
    });
  }

  async collect(): Promise<Point[]> {
    const sample = this.#ctx.replayDir === undefined ? this.#fromHost() : undefined;
    const { points, rejected } = sample !== undefined ? hostSysctlPoints(sample) : sysctlPoints(await this.#fromCommand());
    for (const reason of rejected) this.#rejected.report(`sysctl: ${reason}; the point is left out`);
    return points;
  }

  /** hw.memsize and vm.swapusage through the addon, or undefined when sysctl has to be run instead. */
  #fromHost(): HostSysctlSample | undefined {
    const record = this.#host.read();
    if (record === undefined) return undefined;
    const sample = sysctlSampleFromHost(record);
    for (const bad of sample.malformed) this.#rejected.report(`sysctl: sysctlbyname answered ${bad.line}: ${bad.reason}; the value is left out`);
    return sample;
  }

  async #fromCommand(): Promise<Map<string, string>> {
    let text: string;
    try {
      text = await runCommand({ ...SYSCTL_RUN, replayDir: this.#ctx.replayDir });
    } catch (error) {
      if (error instanceof CommandFailedError && NOT_MACOS.test(error.result.stderr)) {
        throw notMacosError(error.message, error);
      }
      throw error;
    }
    const values = parseSysctl(text, (bad) => this.#rejected.report(`sysctl: skipped line ${JSON.stringify(bad.line.slice(0, 120))}: ${bad.reason}`));
    if (!values.has('hw.memsize') && !values.has('vm.swapusage')) {
      throw this.#ctx.replayDir !== undefined
        ? new SourceError('sysctl', 'parse', `${REPLAY_FILE} in ${this.#ctx.replayDir} has neither hw.memsize nor vm.swapusage (expected \`sysctl ${SYSCTL_ARGS.join(' ')}\` output)`)
        : notMacosError('its output has neither hw.memsize nor vm.swapusage');
    }
    return values;
  }

  async stop(): Promise<void> {}
}

export function createSysctlSource(ctx: SourceContext, opts: SysctlSourceOptions = {}): Source {
  return new SysctlSource(ctx, opts);
}

export const sysctlModule: SourceModule = {
  name: 'sysctl',
  create: (ctx) => createSysctlSource(ctx),
  replayFile: REPLAY_FILE,
  capture: () => runCommand(SYSCTL_RUN),
};
