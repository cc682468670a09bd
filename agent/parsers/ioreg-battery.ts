// The battery as the AppleSmartBattery entry of the I/O Registry describes it (`ioreg -rn
// AppleSmartBattery -w0`, or the addon): charge, capacities, cycle count, voltage, current,
// temperature and whether it charges. Units as the gas gauge reports them: mAh, mV, mA (signed:
// negative while discharging), hundredths of a degree Celsius, minutes.
//
// Since macOS 11 (and always on Apple Silicon) CurrentCapacity and MaxCapacity are percentages and
// the capacities in mAh are AppleRawCurrentCapacity and AppleRawMaxCapacity; before, the first two
// were the mAh. Both are read: the raw ones when present.

import type { IoregEntry } from './ioreg.js';
import { booleanOf, countOf, definedOnly, signedOf, type Reject } from './ioreg-values.js';

/** charging: taking charge; discharging: on battery; full: on power and full; not_charging: on power, held below full. */
export type BatteryState = 'charging' | 'discharging' | 'full' | 'not_charging';
export const BATTERY_STATES: readonly BatteryState[] = ['charging', 'discharging', 'full', 'not_charging'];

export interface BatterySample {
  /** Remaining charge as a fraction of the full-charge capacity, from 0 to 1 (what the menu bar shows). */
  readonly charge?: number;
  readonly currentCapacityMah?: number;
  readonly fullChargeCapacityMah?: number;
  readonly designCapacityMah?: number;
  readonly cycleCount?: number;
  readonly voltageV?: number;
  /** Positive into the battery, negative out of it. */
  readonly currentA?: number;
  readonly temperatureCelsius?: number;
  readonly state?: BatteryState;
  /** Until empty while discharging, until full while charging; absent while the estimate is unknown. */
  readonly timeLeftSeconds?: number;
  readonly rejected: string[];
}

export const BATTERY_CLASS = 'AppleSmartBattery';
export const BATTERY_KEYS: readonly string[] = [
  'CurrentCapacity', 'MaxCapacity', 'AppleRawCurrentCapacity', 'AppleRawMaxCapacity', 'DesignCapacity', 'CycleCount',
  'Voltage', 'Amperage', 'Temperature', 'IsCharging', 'ExternalConnected', 'FullyCharged', 'AvgTimeToEmpty', 'AvgTimeToFull',
];

/** The gas gauge's "still estimating" for a time in minutes. */
const UNKNOWN_MINUTES = 65535;
/** No Mac battery holds less than this; a smaller MaxCapacity is a percentage, not mAh. */
const MIN_MAH = 500;

function stateOf(props: IoregEntry['properties']): BatteryState | undefined {
  const charging = booleanOf(props, 'IsCharging');
  const external = booleanOf(props, 'ExternalConnected');
  if (charging === true) return 'charging';
  if (external === false) return 'discharging';
  if (external === undefined) return undefined;
  return booleanOf(props, 'FullyCharged') === true ? 'full' : 'not_charging';
}

/** The first AppleSmartBattery among `roots`, or undefined when there is none (no battery). */
export function findBattery(roots: readonly IoregEntry[]): IoregEntry | undefined {
  for (const e of roots) {
    if (e.className === BATTERY_CLASS) return e;
    const found = findBattery(e.children);
    if (found !== undefined) return found;
  }
  return undefined;
}

export function batterySampleOf(battery: IoregEntry): BatterySample {
  const props = battery.properties;
  const rejected: string[] = [];
  const reject: Reject = (reason) => rejected.push(reason);
  const where = BATTERY_CLASS;
  const count = (key: string): number | undefined => countOf(props, key, where, reject);
  const optional = (key: string): number | undefined => (props[key] === undefined ? undefined : count(key));

  const current = count('CurrentCapacity');
  const max = count('MaxCapacity');
  let charge: number | undefined;
  if (current !== undefined && max !== undefined) {
    if (max > 0 && current <= max) charge = current / max;
    else reject(`${where} CurrentCapacity ${current} against MaxCapacity ${max} is not a charge`);
  }
  const rawCurrent = optional('AppleRawCurrentCapacity');
  const rawMax = optional('AppleRawMaxCapacity');
  const legacyMah = rawMax === undefined && max !== undefined && max >= MIN_MAH;
  const voltageMv = count('Voltage');
  const amperageMa = signedOf(props, 'Amperage', where, reject);
  const temperature = count('Temperature');
  const state = stateOf(props);
  const minutes = state === 'discharging' ? optional('AvgTimeToEmpty') : state === 'charging' ? optional('AvgTimeToFull') : undefined;
  return definedOnly<BatterySample>({
    charge,
    currentCapacityMah: rawCurrent ?? (legacyMah ? current : undefined),
    fullChargeCapacityMah: rawMax ?? (legacyMah ? max : undefined),
    designCapacityMah: count('DesignCapacity'),
    cycleCount: count('CycleCount'),
    voltageV: voltageMv !== undefined ? voltageMv / 1000 : undefined,
    currentA: amperageMa !== undefined ? amperageMa / 1000 : undefined,
    temperatureCelsius: temperature !== undefined ? temperature / 100 : undefined,
    state,
    timeLeftSeconds: minutes !== undefined && minutes !== UNKNOWN_MINUTES ? minutes * 60 : undefined,
    rejected,
  });
}
