import { point, type Point } from '../metrics/catalog.js';
import { parseSmcDump } from '../parsers/smc-dump.js';
import type { NativeAddonOptions } from '../native/addon.js';
import { openNativeSmc } from '../smc/addon.js';
import { formatDumpText, readFullDump } from '../smc/dump.js';
import { discoverKeys, type SmcBackend } from '../smc/keys.js';
import { isCandidateKey, planSmcReadings, readSmcCycle, type SmcReadingPlan } from '../smc/readings.js';
import { RecordedSmc } from '../smc/recorded.js';
import { numericSmcValue } from '../smc/decode.js';
import { readReplayFile } from './run-command.js';
import { SourceError, type Source, type SourceContext, type SourceModule } from './source.js';

export const SMC_REPLAY_FILE = 'smc.txt';

export type SmcSourceOptions = NativeAddonOptions;

/**
 * The live SMC through the addon or, with `--replay DIR`, DIR/smc.txt (a `macos-agent smc dump`,
 * an smcread dump or `smc -l` output) standing in for it.
 */
export async function openSmc(ctx: Pick<SourceContext, 'replayDir' | 'onParseError'>, opts: SmcSourceOptions = {}): Promise<SmcBackend> {
  if (ctx.replayDir === undefined) return openNativeSmc({ addonPath: opts.addonPath });
  const text = await readReplayFile('smc', ctx.replayDir, SMC_REPLAY_FILE);
  const dump = parseSmcDump(text);
  const where = `${ctx.replayDir}/${SMC_REPLAY_FILE}`;
  if (dump.entries.length === 0) {
    throw new SourceError('smc', 'parse', `${where} holds no SMC key line (expected a macos-agent smc dump, smcread or smc -l output)`);
  }
  if (dump.unparsed.length > 0) {
    const first = dump.unparsed[0]!;
    ctx.onParseError?.('smc', new Error(`${where}: ${dump.unparsed.length} line(s) not understood, first at line ${first.line}: ${JSON.stringify(first.text.slice(0, 80))}`));
  }
  return new RecordedSmc(dump, `${where} (${dump.format} format)`);
}

interface OpenSmc {
  readonly backend: SmcBackend;
  readonly plan: SmcReadingPlan;
}

class SmcSource implements Source {
  readonly name = 'smc' as const;
  readonly #ctx: SourceContext;
  readonly #opts: SmcSourceOptions;
  #open: OpenSmc | undefined;
  /** A missing SMC does not come back: remember it rather than retry every cycle. */
  #missing: SourceError | undefined;
  /** Dropped readings since start, by hw.id and reason: the macos.smc.readings.dropped counter. */
  readonly #dropped = new Map<string, { hwId: string; reason: string; count: number }>();

  constructor(ctx: SourceContext, opts: SmcSourceOptions) {
    this.#ctx = ctx;
    this.#opts = opts;
  }

  async collect(): Promise<Point[]> {
    const { backend, plan } = await this.#start();
    const range = { min: this.#ctx.config.sources.smc.min_celsius, max: this.#ctx.config.sources.smc.max_celsius };
    const cycle = readSmcCycle(backend, plan, range);
    for (const d of cycle.dropped) {
      const id = `${d.hwId}\0${d.reason}`;
      const entry = this.#dropped.get(id);
      if (entry !== undefined) {
        entry.count++;
      } else {
        this.#dropped.set(id, { hwId: d.hwId, reason: d.reason, count: 1 });
        this.#ctx.log.debug({ source: 'smc', key: d.key, reason: d.reason }, `SMC reading of ${d.key} dropped: ${d.detail}`);
      }
    }
    const droppedPoints = [...this.#dropped.values()].map((d) =>
      point('smcDroppedReadings', d.count, { 'hw.id': d.hwId, 'macos.agent.drop_reason': d.reason }));
    return [...cycle.points, ...droppedPoints];
  }

  async stop(): Promise<void> {
    this.#open?.backend.close();
    this.#open = undefined;
  }

  async #start(): Promise<OpenSmc> {
    if (this.#open !== undefined) return this.#open;
    if (this.#missing !== undefined) throw this.#missing;
    let backend: SmcBackend;
    try {
      backend = await openSmc(this.#ctx, this.#opts);
    } catch (error) {
      if (error instanceof SourceError && error.kind === 'missing' && this.#ctx.replayDir === undefined) this.#missing = error;
      throw error;
    }
    try {
      const { keys, failures, clamped } = discoverKeys(backend, isCandidateKey);
      if (clamped !== undefined) this.#ctx.log.warn({ source: 'smc' }, clamped);
      for (const f of failures) this.#ctx.log.debug({ source: 'smc', key: f.key }, f.message);
      const fanCountKey = backend.keyInfo('FNum');
      const fanCountRead = fanCountKey !== undefined ? backend.read(fanCountKey) : undefined;
      const fanCount = fanCountKey !== undefined && fanCountRead?.ok === true ? numericSmcValue(fanCountKey.type, fanCountRead.bytes) : undefined;
      const plan = planSmcReadings(keys, fanCount);
      if (plan.temperatures.length === 0 && plan.fans.length === 0 && plan.systemPower === undefined) {
        throw new SourceError('smc', 'missing', `${backend.description} has no temperature, fan or system power key (${keys.length} candidate keys of ${backend.keyCount()})`);
      }
      this.#ctx.log.debug({ source: 'smc', temperatures: plan.temperatures.length, fans: plan.fans.length, systemPower: plan.systemPower !== undefined },
        `SMC keys discovered on ${backend.description}`);
      this.#open = { backend, plan };
      return this.#open;
    } catch (error) {
      backend.close();
      if (error instanceof SourceError) throw error;
      throw new SourceError('smc', 'failed', `discovering the keys of ${backend.description} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}

export function createSmcSource(ctx: SourceContext, opts: SmcSourceOptions = {}): Source {
  return new SmcSource(ctx, opts);
}

export const smcModule: SourceModule = {
  name: 'smc',
  create: (ctx) => createSmcSource(ctx),
  replayFile: SMC_REPLAY_FILE,
  capture: async () => {
    const backend = openNativeSmc();
    try {
      return formatDumpText(readFullDump(backend));
    } finally {
      backend.close();
    }
  },
};
