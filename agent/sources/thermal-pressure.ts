// The thermal_pressure source: macos.thermal.pressure without root. It reads the level the system
// posts on com.apple.system.thermalpressurelevel through notify (the native addon:
// notify_register_check once, then notify_get_state, a read of shared memory), the level
// powermetrics' thermal sampler prints. It is on by default only when powermetrics does not report
// the metric (config.ts), so one source owns the name at a time.
//
// Without the addon it runs `notifyutil -g com.apple.system.thermalpressurelevel` each collection,
// and says so once. `--replay` and `capture` use notifyutil's text (notifyutil.txt).

import { point, type Point } from '../metrics/catalog.js';
import { parseNotifyutilThermalPressure, THERMAL_PRESSURE_NAME, thermalPressureLevel, type ThermalPressureReading } from '../parsers/thermal-pressure.js';
import { AddonReader, type NativeAddonOptions } from '../native/addon.js';
import { runCommand, type RunCommandOptions } from './run-command.js';
import { SourceError, type Source, type SourceContext, type SourceModule } from './source.js';
import { RejectedInput } from './rejected-input.js';

const REPLAY_FILE = 'notifyutil.txt';
const NOTIFYUTIL_RUN: RunCommandOptions = {
  source: 'thermal_pressure', command: 'notifyutil', args: ['-g', THERMAL_PRESSURE_NAME], timeoutMs: 5000, replayFile: REPLAY_FILE,
};

export type ThermalPressureSourceOptions = NativeAddonOptions;

class ThermalPressureSource implements Source {
  readonly name = 'thermal_pressure' as const;
  readonly #ctx: SourceContext;
  readonly #rejected: RejectedInput;
  readonly #host: AddonReader<unknown>;

  constructor(ctx: SourceContext, opts: ThermalPressureSourceOptions) {
    this.#ctx = ctx;
    this.#rejected = new RejectedInput(ctx, 'thermal_pressure');
    this.#host = new AddonReader({
      source: 'thermal_pressure', addonPath: opts.addonPath, log: ctx.log,
      notOnMacos: `${THERMAL_PRESSURE_NAME} (notify) is only available on macOS`,
      fn: 'readThermalPressure', reads: 'notify_get_state', command: 'notifyutil', what: 'the thermal pressure level',
    });
  }

  async collect(): Promise<Point[]> {
    const state = this.#ctx.replayDir === undefined ? this.#host.read() : undefined;
    const reading = state !== undefined ? thermalPressureLevel(state) : await this.#fromNotifyutil();
    if ('rejected' in reading) {
      this.#rejected.report(`thermal_pressure: ${reading.rejected}; the point is left out`);
      return [];
    }
    return [point('thermalPressure', reading.level)];
  }

  async #fromNotifyutil(): Promise<ThermalPressureReading> {
    const text = await runCommand({ ...NOTIFYUTIL_RUN, replayDir: this.#ctx.replayDir });
    const reading = parseNotifyutilThermalPressure(text);
    if (reading !== undefined) return reading;
    const where = this.#ctx.replayDir !== undefined ? `${REPLAY_FILE} in ${this.#ctx.replayDir}` : 'notifyutil output';
    throw new SourceError('thermal_pressure', 'parse', `${where} has no "${THERMAL_PRESSURE_NAME} N" line (expected \`notifyutil -g ${THERMAL_PRESSURE_NAME}\` output)`);
  }

  async stop(): Promise<void> {}
}

export function createThermalPressureSource(ctx: SourceContext, opts: ThermalPressureSourceOptions = {}): Source {
  return new ThermalPressureSource(ctx, opts);
}

export const thermalPressureModule: SourceModule = {
  name: 'thermal_pressure',
  create: (ctx) => createThermalPressureSource(ctx),
  replayFile: REPLAY_FILE,
  capture: () => runCommand(NOTIFYUTIL_RUN),
};
