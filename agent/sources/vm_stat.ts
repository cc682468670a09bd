// The vm_stat source: memory by state, paging, swapping, compressor and fault counters.
//
// It runs the snapshot form (`vm_stat`, no arguments) once per collection rather than keeping a
// streaming `vm_stat INTERVAL` child, although a spawn costs the agent about 0.9 ms of CPU
// (measured on the 2-core test machine): the stream prints any counter over 99,999,999 cut to
// thousands (`2500287K`), and it starts again from those cut totals every 21 rows, so the fault
// and zero-fill counters of a busy Mac would be inexact and could step backwards, which a
// monitoring backend reads as a counter reset. The snapshot prints every value in full.

import { ATTR, type MetricKey, type Point, point } from '../metrics/catalog.js';
import { parseVmStat, VmStatParseError, type VmStatField, type VmStatSample } from '../parsers/vm_stat.js';
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

/** The one-shot command as the source runs it and as `capture` records it: one spec, so they cannot drift. */
const VM_STAT_RUN: RunCommandOptions = { source: 'vm_stat', command: VM_STAT_COMMAND, args: VM_STAT_ARGS, timeoutMs: TIMEOUT_MS, replayFile: REPLAY_FILE };

class VmStatSource implements Source {
  readonly name = 'vm_stat' as const;
  readonly #ctx: SourceContext;
  readonly #rejected: RejectedInput;
  /** Unknown fields already reported: each is counted and logged once, not every cycle. */
  readonly #reportedUnknown = new Set<string>();

  constructor(ctx: SourceContext) {
    this.#ctx = ctx;
    this.#rejected = new RejectedInput(ctx, 'vm_stat');
  }

  async collect(): Promise<Point[]> {
    const text = await runCommand({ ...VM_STAT_RUN, replayDir: this.#ctx.replayDir });
    let sample: VmStatSample;
    try {
      sample = parseVmStat(text);
    } catch (error) {
      if (error instanceof VmStatParseError) {
        throw new SourceError('vm_stat', 'parse', `${error.message} — is this macOS's vm_stat? Run \`macos-agent capture DIR\` and attach DIR to an issue`, { cause: error });
      }
      throw error;
    }
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

  async stop(): Promise<void> {}
}

export const vmStatModule: SourceModule = {
  name: 'vm_stat',
  create: (ctx) => new VmStatSource(ctx),
  replayFile: REPLAY_FILE,
  capture: () => runCommand(VM_STAT_RUN),
};
