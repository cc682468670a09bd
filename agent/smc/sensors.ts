// Which SMC keys are temperatures, fans and system power, what to call them, and which readings
// are plausible. Key meanings differ between Apple Silicon (temperatures as `flt `) and Intel
// (temperatures as `sp78`), so the type decides which naming scheme applies.

import type { SmcKeyInfo } from './keys.js';

export type SensorGroup = 'cpu' | 'gpu' | 'memory' | 'battery' | 'storage' | 'airflow' | 'other';

/** The groups summarised as macos.temperature.max/mean; `other` is exported per sensor only. */
export const SUMMARY_GROUPS: readonly Exclude<SensorGroup, 'other'>[] = ['cpu', 'gpu', 'memory', 'battery', 'storage', 'airflow'];

export interface TemperatureSensor {
  readonly key: string;
  readonly group: SensorGroup;
  /** Readable name for hw.name, e.g. `CPU core 3`, `GPU sensor 05`. */
  readonly name: string;
  /** hw.sensor_location when the key says where the sensor sits (die, proximity, heatsink). */
  readonly location?: string;
}

const SIGNED_FIXED_POINT = /^sp[0-9a-f]{2}$/;

/** Types SMC temperatures come in: `sp78` (and other signed fixed point) on Intel, `flt ` and `ioft` on Apple Silicon. */
export function isTemperatureType(type: string): boolean {
  return type === 'flt ' || type === 'ioft' || SIGNED_FIXED_POINT.test(type);
}

interface Rule {
  readonly pattern: RegExp;
  readonly group: SensorGroup;
  readonly name: (m: RegExpExecArray) => string;
  readonly location?: string;
}

// Apple Silicon: the prefix says the block; the rest of the key numbers sensors, not cores, and
// differs between chips, so it is kept as is in the name.
const APPLE_SILICON_RULES: readonly Rule[] = [
  { pattern: /^Tp(..)$/, group: 'cpu', name: (m) => `CPU core sensor ${m[1]}`, location: 'die' },
  { pattern: /^Te(..)$/, group: 'cpu', name: (m) => `CPU efficiency core sensor ${m[1]}`, location: 'die' },
  { pattern: /^Tg(..)$/, group: 'gpu', name: (m) => `GPU sensor ${m[1]}`, location: 'die' },
  { pattern: /^Tm(..)$/, group: 'memory', name: (m) => `memory sensor ${m[1]}` },
  { pattern: /^TB(..)$/, group: 'battery', name: (m) => `battery sensor ${m[1]}` },
  { pattern: /^T[SH](..)$/, group: 'storage', name: (m) => `storage sensor ${m[1]}` },
  { pattern: /^Ta(..)$/, group: 'airflow', name: (m) => `airflow sensor ${m[1]}` },
];

// Intel Macs: the long-standing key scheme (digit = unit, last letter = where: D die, P
// proximity, H heatsink, C core).
const INTEL_RULES: readonly Rule[] = [
  { pattern: /^TC0P$/, group: 'cpu', name: () => 'CPU proximity', location: 'proximity' },
  { pattern: /^TC0D$/, group: 'cpu', name: () => 'CPU die', location: 'die' },
  { pattern: /^TC0([EF])$/, group: 'cpu', name: (m) => `CPU die (filtered, ${m[1]})`, location: 'die' },
  { pattern: /^TC0H$/, group: 'cpu', name: () => 'CPU heatsink', location: 'heatsink' },
  { pattern: /^TC([1-9A-F])C$/, group: 'cpu', name: (m) => `CPU core ${Number.parseInt(m[1]!, 16)}`, location: 'die' },
  { pattern: /^TCGC$/, group: 'cpu', name: () => 'CPU integrated graphics', location: 'die' },
  { pattern: /^TCSA$/, group: 'cpu', name: () => 'CPU system agent', location: 'die' },
  { pattern: /^TCXC$/, group: 'cpu', name: () => 'CPU package (PECI)', location: 'die' },
  { pattern: /^TC(..)$/, group: 'cpu', name: (m) => `CPU sensor ${m[1]}` },
  { pattern: /^TG(\d)P$/, group: 'gpu', name: (m) => `GPU ${m[1]} proximity`, location: 'proximity' },
  { pattern: /^TG(\d)D$/, group: 'gpu', name: (m) => `GPU ${m[1]} die`, location: 'die' },
  { pattern: /^TG(\d)H$/, group: 'gpu', name: (m) => `GPU ${m[1]} heatsink`, location: 'heatsink' },
  { pattern: /^TG(..)$/, group: 'gpu', name: (m) => `GPU sensor ${m[1]}` },
  { pattern: /^TM(\d)P$/, group: 'memory', name: (m) => `memory ${m[1]} proximity`, location: 'proximity' },
  { pattern: /^TM(..)$/, group: 'memory', name: (m) => `memory sensor ${m[1]}` },
  { pattern: /^TB(\d)T$/, group: 'battery', name: (m) => `battery ${m[1]}` },
  { pattern: /^TB(..)$/, group: 'battery', name: (m) => `battery sensor ${m[1]}` },
  { pattern: /^TH(..)$/, group: 'storage', name: (m) => `storage sensor ${m[1]}` },
  { pattern: /^TA(\d)P$/, group: 'airflow', name: (m) => `ambient ${m[1]}`, location: 'ambient' },
  { pattern: /^T[Aa](..)$/, group: 'airflow', name: (m) => `airflow sensor ${m[1]}` },
  { pattern: /^Ts(\d)P$/, group: 'other', name: (m) => `palm rest ${m[1]}`, location: 'palm rest' },
  { pattern: /^Tm(\d)P$/, group: 'other', name: (m) => `mainboard ${m[1]} proximity`, location: 'proximity' },
  { pattern: /^TW(\d)P$/, group: 'other', name: (m) => `wireless module ${m[1]} proximity`, location: 'proximity' },
  { pattern: /^TPCD$/, group: 'other', name: () => 'platform controller hub die', location: 'die' },
  { pattern: /^TT([LR])D$/, group: 'other', name: (m) => `Thunderbolt ${m[1] === 'L' ? 'left' : 'right'}` },
  { pattern: /^Th(\d)H$/, group: 'other', name: (m) => `heatpipe ${m[1]}`, location: 'heatsink' },
];

/** Names and groups a temperature key; undefined when the key is not a temperature (not `T*`, or not a temperature type). */
export function classifyTemperature(info: SmcKeyInfo): TemperatureSensor | undefined {
  if (!info.key.startsWith('T') || !isTemperatureType(info.type)) return undefined;
  const rules = SIGNED_FIXED_POINT.test(info.type) ? INTEL_RULES : APPLE_SILICON_RULES;
  for (const rule of rules) {
    const m = rule.pattern.exec(info.key);
    if (m !== null) {
      return { key: info.key, group: rule.group, name: rule.name(m), ...(rule.location !== undefined ? { location: rule.location } : {}) };
    }
  }
  return { key: info.key, group: 'other', name: `SMC sensor ${info.key}` };
}

/** Why a reading was dropped rather than exported (macos.agent.drop_reason). */
export type DropReason = 'below_min' | 'above_max' | 'not_a_number' | 'unreadable' | 'undecodable';

export interface PlausibleRange {
  readonly min: number;
  readonly max: number;
}

/** Fans spin from 0 (stopped, normal at idle) to a few thousand rpm; beyond this is a glitch. */
export const FAN_RPM_RANGE: PlausibleRange = { min: 0, max: 20_000 };
/** Whole-machine power, from a Mac mini at idle to a loaded Mac Pro. */
export const SYSTEM_POWER_RANGE: PlausibleRange = { min: 0, max: 2_000 };

/**
 * Undefined when the value is plausible, else why not. The minimum of the temperature window
 * also drops the idle sentinels (6–10 °C) and the -127 °C "no sensor" value some SMCs report.
 */
export function implausibility(value: number, range: PlausibleRange): DropReason | undefined {
  if (!Number.isFinite(value)) return 'not_a_number';
  if (value < range.min) return 'below_min';
  if (value > range.max) return 'above_max';
  return undefined;
}
