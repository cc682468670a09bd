// The battery source (laptops): charge, capacities and health, cycle count, voltage, current,
// temperature, state and time left, from the AppleSmartBattery entry of the I/O Registry (addon,
// else `ioreg -rn AppleSmartBattery -w0`). When ioreg cannot be had (not on PATH, or a replay
// bundle without ioreg-battery.txt), `pmset -g batt` still gives the charge, the state and the
// time left. A Mac without a battery has no AppleSmartBattery: the source says so, once.

import { ATTR, type Point, point } from '../metrics/catalog.js';
import type { NativeAddonOptions } from '../native/addon.js';
import {
  BATTERY_CLASS, BATTERY_KEYS, BATTERY_STATES, batterySampleOf, findBattery, type BatterySample,
} from '../parsers/ioreg-battery.js';
import { parsePmsetBatt } from '../parsers/pmset-batt.js';
import { IOREG_TIMEOUT_MS, RegistryEntries, type RegistryQuery } from './io-registry.js';
import { runCommand, type RunCommandOptions } from './run-command.js';
import { SourceError, type Source, type SourceContext, type SourceModule } from './source.js';

const REPLAY_FILE = 'ioreg-battery.txt';

export const BATTERY_QUERY: RegistryQuery = {
  source: 'battery',
  className: BATTERY_CLASS,
  keys: BATTERY_KEYS,
  childKeys: [],
  run: { source: 'battery', command: 'ioreg', args: ['-r', '-n', BATTERY_CLASS, '-w0'], timeoutMs: IOREG_TIMEOUT_MS, replayFile: REPLAY_FILE },
  what: 'the battery',
};

export const PMSET_BATT_RUN: RunCommandOptions = {
  source: 'battery', command: 'pmset', args: ['-g', 'batt'], timeoutMs: IOREG_TIMEOUT_MS, replayFile: 'pmset-batt.txt',
};

/** The name macOS's power-source API (and `pmset -g batt`) gives a Mac's built-in battery. */
export const INTERNAL_BATTERY_ID = 'InternalBattery-0';

function noBattery(how: string): SourceError {
  return new SourceError('battery', 'missing', `this Mac has no battery (${how}): battery metrics are absent — disable the battery source (sources.battery.enabled=false) to silence this`);
}

export function batteryPoints(id: string, b: Omit<BatterySample, 'rejected'>): Point[] {
  const battery = { [ATTR.hwId]: id };
  const points: Point[] = [];
  if (b.charge !== undefined) points.push(point('batteryCharge', b.charge, battery));
  if (b.state !== undefined) {
    for (const state of BATTERY_STATES) points.push(point('batteryState', state === b.state ? 1 : 0, { ...battery, [ATTR.batteryState]: state }));
    if (b.timeLeftSeconds !== undefined) points.push(point('batteryTimeLeft', b.timeLeftSeconds, { ...battery, [ATTR.batteryState]: b.state }));
  }
  const capacities = [['current', b.currentCapacityMah], ['full_charge', b.fullChargeCapacityMah], ['design', b.designCapacityMah]] as const;
  for (const [type, mah] of capacities) if (mah !== undefined) points.push(point('batteryCapacity', mah, { ...battery, [ATTR.batteryCapacityType]: type }));
  if (b.fullChargeCapacityMah !== undefined && b.designCapacityMah !== undefined && b.designCapacityMah > 0) {
    points.push(point('batteryHealth', b.fullChargeCapacityMah / b.designCapacityMah, battery));
  }
  if (b.cycleCount !== undefined) points.push(point('batteryCycles', b.cycleCount, battery));
  if (b.voltageV !== undefined) points.push(point('batteryVoltage', b.voltageV, battery));
  if (b.currentA !== undefined) points.push(point('batteryCurrent', b.currentA, battery));
  if (b.temperatureCelsius !== undefined) points.push(point('batteryTemperature', b.temperatureCelsius, battery));
  return points;
}

class BatterySource implements Source {
  readonly name = 'battery' as const;
  readonly #ctx: SourceContext;
  readonly #entries: RegistryEntries;

  constructor(ctx: SourceContext, opts: NativeAddonOptions) {
    this.#ctx = ctx;
    this.#entries = new RegistryEntries(ctx, BATTERY_QUERY, opts);
  }

  async collect(): Promise<Point[]> {
    let entries;
    try {
      entries = await this.#entries.read();
    } catch (error) {
      if (error instanceof SourceError && error.kind === 'missing') return this.#fromPmset(error);
      throw error;
    }
    const battery = findBattery(entries);
    if (battery === undefined) throw noBattery(`no ${BATTERY_CLASS} in the I/O Registry`);
    const sample = batterySampleOf(battery);
    for (const reason of sample.rejected) this.#entries.rejected.report(`battery: ${reason}; left out`);
    return batteryPoints(INTERNAL_BATTERY_ID, sample);
  }

  /** pmset's view when ioreg's is missing; if pmset is missing too, ioreg's reason stands. */
  async #fromPmset(ioregMissing: SourceError): Promise<Point[]> {
    let text: string;
    try {
      text = await runCommand({ ...PMSET_BATT_RUN, replayDir: this.#ctx.replayDir });
    } catch (error) {
      if (error instanceof SourceError && error.kind === 'missing') throw ioregMissing;
      throw error;
    }
    const batt = parsePmsetBatt(text);
    for (const reason of batt.malformed) this.#entries.rejected.report(`pmset -g batt: ${reason}; skipped`);
    const first = batt.batteries[0];
    if (first === undefined) throw noBattery(`pmset -g batt lists none${batt.drawingFrom !== undefined ? `, drawing from ${batt.drawingFrom}` : ''}`);
    return batteryPoints(first.name, first);
  }

  async stop(): Promise<void> {}
}

export function createBatterySource(ctx: SourceContext, opts: NativeAddonOptions = {}): Source {
  return new BatterySource(ctx, opts);
}

export const batteryModule: SourceModule = {
  name: 'battery',
  create: (ctx) => createBatterySource(ctx),
  replayFile: REPLAY_FILE,
  capture: () => runCommand(BATTERY_QUERY.run),
  alsoCaptured: [{ file: PMSET_BATT_RUN.replayFile, capture: () => runCommand(PMSET_BATT_RUN) }],
};
