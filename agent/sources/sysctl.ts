// The sysctl source: installed memory (hw.memsize) and swap use (vm.swapusage), one spawn per
// collection. hw.model and machdep.cpu.brand_string ride along in the same spawn (free once the
// process exists) so that a `capture` bundle's sysctl.txt also identifies the machine.

import { ATTR, type Point, point } from '../metrics/catalog.js';
import { parseSwapUsage, parseSysctl } from '../parsers/sysctl.js';
import { runCommand, type RunCommandOptions } from './run-command.js';
import { SourceError, type Source, type SourceContext, type SourceModule } from './source.js';
import { RejectedInput } from './rejected-input.js';

export const SYSCTL_COMMAND = 'sysctl';
export const SYSCTL_ARGS: readonly string[] = ['hw.memsize', 'vm.swapusage', 'hw.model', 'machdep.cpu.brand_string'];
const REPLAY_FILE = 'sysctl.txt';
const TIMEOUT_MS = 5000;
/** Linux's procps sysctl reads /proc/sys and says so when a macOS name is not there. */
const NOT_MACOS = /cannot stat \/proc\/sys\//;

export interface SysctlPoints {
  readonly points: Point[];
  /** Values that are present but unreadable or absurd, each with the reason. */
  readonly rejected: string[];
}

/** The points of one `sysctl` output. A missing or unreadable value is a missing point. */
export function sysctlPoints(values: ReadonlyMap<string, string>): SysctlPoints {
  const points: Point[] = [];
  const rejected: string[] = [];
  const memsize = values.get('hw.memsize');
  if (memsize !== undefined) {
    const bytes = /^\d+$/.test(memsize.trim()) ? Number(memsize.trim()) : NaN;
    // No Mac has less than 256 MiB or more than 1 PiB; outside that the value is not memory.
    if (Number.isSafeInteger(bytes) && bytes >= 2 ** 28 && bytes <= 2 ** 50) points.push(point('memoryLimit', bytes));
    else rejected.push(`absurd hw.memsize ${JSON.stringify(memsize)} (expected bytes between 256 MiB and 1 PiB)`);
  }
  const swap = values.get('vm.swapusage');
  if (swap !== undefined) {
    const usage = parseSwapUsage(swap);
    if (usage === undefined) {
      rejected.push(`unreadable vm.swapusage ${JSON.stringify(swap)} (expected "total = …M  used = …M  free = …M")`);
    } else {
      points.push(point('pagingUsage', usage.usedBytes, { [ATTR.pagingState]: 'used' }));
      points.push(point('pagingUsage', usage.freeBytes, { [ATTR.pagingState]: 'free' }));
    }
  }
  return { points, rejected };
}

function notMacosError(detail: string, cause?: unknown): SourceError {
  return new SourceError('sysctl', 'missing',
    `this sysctl is not macOS's: no hw.memsize (${detail}) — memory limit and swap metrics need macOS; disable the sysctl source to silence this`,
    cause !== undefined ? { cause } : undefined);
}

/** The one-shot command as the source runs it and as `capture` records it: one spec, so they cannot drift. */
const SYSCTL_RUN: RunCommandOptions = { source: 'sysctl', command: SYSCTL_COMMAND, args: SYSCTL_ARGS, timeoutMs: TIMEOUT_MS, replayFile: REPLAY_FILE };

class SysctlSource implements Source {
  readonly name = 'sysctl' as const;
  readonly #ctx: SourceContext;
  readonly #rejected: RejectedInput;

  constructor(ctx: SourceContext) {
    this.#ctx = ctx;
    this.#rejected = new RejectedInput(ctx, 'sysctl');
  }

  async collect(): Promise<Point[]> {
    let text: string;
    try {
      text = await runCommand({ ...SYSCTL_RUN, replayDir: this.#ctx.replayDir });
    } catch (error) {
      if (error instanceof SourceError && error.kind === 'failed' && NOT_MACOS.test(error.message)) {
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
    const { points, rejected } = sysctlPoints(values);
    for (const reason of rejected) this.#rejected.report(`sysctl: ${reason}; the point is left out`);
    return points;
  }

  async stop(): Promise<void> {}
}

export const sysctlModule: SourceModule = {
  name: 'sysctl',
  create: (ctx) => new SysctlSource(ctx),
  replayFile: REPLAY_FILE,
  capture: () => runCommand(SYSCTL_RUN),
};
