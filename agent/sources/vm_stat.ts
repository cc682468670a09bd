// The vm_stat source: memory by state, paging, swapping, compressor and fault counters.
//
// On a Mac it asks the kernel for the counters vm_stat prints (host_statistics64, through the
// native addon) and applies vm_stat's arithmetic (parsers/host-vm-statistics.ts): no process per
// collection. A spawn cost the agent 2.5 ms of CPU per cycle in the daemon on the 2-core Linux
// test machine (fork, then a page fault for every page the agent wrote afterwards) and starts
// a process on the Mac every cycle; the addon makes one Mach call (not yet timed on a Mac).
//
// Without the addon (not built, or not macOS) it runs the snapshot form (`vm_stat`, no arguments)
// once per collection, and says so once. Not a streaming `vm_stat INTERVAL` child: the stream
// prints any counter over 99,999,999 cut to thousands (`2500287K`), and it starts again from those
// cut totals every 21 rows, so the fault and zero-fill counters of a busy Mac would be inexact and
// could step backwards, which a monitoring backend reads as a counter reset. `--replay` and
// `capture` use vm_stat's text.

import { ATTR, type Point, point } from '../metrics/catalog.js';
import { HostVmStatisticsError, vmStatSampleFromHost, type HostVmStatistics } from '../parsers/host-vm-statistics.js';
import { parseVmStat, VmStatParseError, type VmStatField, type VmStatSample } from '../parsers/vm_stat.js';
import { AddonReader, type NativeAddonOptions } from '../native/addon.js';
import { runCommand, type RunCommandOptions } from './run-command.js';
import { SourceError, type Source, type SourceContext, type SourceModule } from './source.js';
import { RejectedInput } from './rejected-input.js';

export const VM_STAT_COMMAND = 'vm_stat';
export const VM_STAT_ARGS: readonly string[] = [];
const REPLAY_FILE = 'vm_stat.txt';
const TIMEOUT_MS = 5000;
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
  const count = (field: VmStatField, toPoint: (value: number) => Point): void => {
    const v = f[field];
    if (v !== undefined) points.push(toPoint(v));
  };
  count('pageins', (v) => point('pagingOperations', v, { [ATTR.pagingDirection]: 'in' }));
  count('pageouts', (v) => point('pagingOperations', v, { [ATTR.pagingDirection]: 'out' }));
  count('swapins', (v) => point('swapOperations', v, { [ATTR.pagingDirection]: 'in' }));
  count('swapouts', (v) => point('swapOperations', v, { [ATTR.pagingDirection]: 'out' }));
  count('compressions', (v) => point('compressorOperations', v, { [ATTR.compressorOperation]: 'compress' }));
  count('decompressions', (v) => point('compressorOperations', v, { [ATTR.compressorOperation]: 'decompress' }));
  const stored = bytes('storedInCompressor');
  if (stored !== undefined) points.push(point('compressorStored', stored));
  for (const [field, kind] of PAGE_KINDS) {
    const b = bytes(field);
    if (b !== undefined) points.push(point('memoryPages', b, { [ATTR.pageKind]: kind }));
  }
  for (const [field, type] of FAULT_TYPES) count(field, (v) => point('memoryFaults', v, { [ATTR.faultType]: type }));
  count('reactivated', (v) => point('pageOperations', v, { [ATTR.pageOperation]: 'reactivated' }));
  count('purged', (v) => point('pageOperations', v, { [ATTR.pageOperation]: 'purged' }));
  return { points, rejected };
}

/** The one-shot command as the source runs it and as `capture` records it: one spec, so they cannot drift. */
const VM_STAT_RUN: RunCommandOptions = { source: 'vm_stat', command: VM_STAT_COMMAND, args: VM_STAT_ARGS, timeoutMs: TIMEOUT_MS, replayFile: REPLAY_FILE };

export interface VmStatSourceOptions extends NativeAddonOptions {
  /** How long `vm_stat` may run (default 5 s), and the grace between its SIGTERM and SIGKILL. */
  readonly command?: Pick<RunCommandOptions, 'timeoutMs' | 'killGraceMs'>;
}

const NOT_ON_MACOS = 'host_statistics64 is only available on macOS';

class VmStatSource implements Source {
  readonly name = 'vm_stat' as const;
  readonly #ctx: SourceContext;
  readonly #rejected: RejectedInput;
  /** Unknown fields already reported: each is counted and logged once, not every cycle. */
  readonly #reportedUnknown = new Set<string>();
  readonly #host: AddonReader<HostVmStatistics>;
  readonly #run: RunCommandOptions;

  constructor(ctx: SourceContext, opts: VmStatSourceOptions) {
    this.#ctx = ctx;
    this.#run = { ...VM_STAT_RUN, ...opts.command, replayDir: ctx.replayDir };
    this.#rejected = new RejectedInput(ctx, 'vm_stat');
    this.#host = new AddonReader({
      source: 'vm_stat', addonPath: opts.addonPath, notOnMacos: NOT_ON_MACOS, log: ctx.log,
      fn: 'readVmStatistics',
      reads: 'host_statistics64', command: 'vm_stat', what: 'the memory counters',
    });
  }

  async collect(): Promise<Point[]> {
    const sample = (this.#ctx.replayDir === undefined ? this.#fromHost() : undefined) ?? await this.#fromCommand();
    for (const bad of sample.malformed) this.#rejected.report(`vm_stat: skipped line ${JSON.stringify(bad.line.slice(0, 120))}: ${bad.reason}`);
    for (const [label, value] of sample.unknown) {
      if (this.#reportedUnknown.has(label)) continue;
      this.#reportedUnknown.add(label);
      this.#rejected.report(`vm_stat printed a field this agent does not know ("${label}": ${value}); it is not exported — please report it with \`macos-agent capture DIR\``);
    }
    const { points, rejected } = vmStatPoints(sample);
    for (const reason of rejected) this.#rejected.report(`vm_stat: ${reason}; the point is left out`);
    return points;
  }

  /** The kernel's counters through the addon, or undefined when vm_stat has to be run instead. */
  #fromHost(): VmStatSample | undefined {
    const stats = this.#host.read();
    if (stats === undefined) return undefined;
    try {
      return vmStatSampleFromHost(stats);
    } catch (error) {
      if (error instanceof HostVmStatisticsError) throw new SourceError('vm_stat', 'parse', error.message, { cause: error });
      throw error;
    }
  }

  async #fromCommand(): Promise<VmStatSample> {
    const text = await runCommand(this.#run);
    try {
      return parseVmStat(text);
    } catch (error) {
      if (error instanceof VmStatParseError) {
        throw new SourceError('vm_stat', 'parse', `${error.message} — is this macOS's vm_stat? Run \`macos-agent capture DIR\` and attach DIR to an issue`, { cause: error });
      }
      throw error;
    }
  }

  async stop(): Promise<void> {}
}

export function createVmStatSource(ctx: SourceContext, opts: VmStatSourceOptions = {}): Source {
  return new VmStatSource(ctx, opts);
}

export const vmStatModule: SourceModule = {
  name: 'vm_stat',
  create: (ctx) => createVmStatSource(ctx),
  replayFile: REPLAY_FILE,
  capture: () => runCommand(VM_STAT_RUN),
};
