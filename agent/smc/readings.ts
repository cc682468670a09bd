// From discovered keys to the keys read each cycle, and from their raw values to points.

import { point, type Point } from '../metrics/catalog.js';
import { numericSmcValue } from './decode.js';
import type { SmcBackend, SmcKeyInfo } from './keys.js';
import {
  classifyTemperature, FAN_RPM_RANGE, implausibility, SUMMARY_GROUPS, SYSTEM_POWER_RANGE,
  type DropReason, type PlausibleRange, type SensorGroup, type TemperatureSensor,
} from './sensors.js';

export interface SmcFan {
  /** hw.id of the fan: `fan0`, `fan1`, ... (F0Ac is fan0's actual speed). */
  readonly id: string;
  readonly actual: SmcKeyInfo | undefined;
  readonly min: SmcKeyInfo | undefined;
  readonly max: SmcKeyInfo | undefined;
}

/** The keys read each cycle, chosen once after discovery. */
export interface SmcReadingPlan {
  readonly temperatures: readonly { info: SmcKeyInfo; sensor: TemperatureSensor }[];
  readonly fans: readonly SmcFan[];
  readonly systemPower: SmcKeyInfo | undefined;
}

/** Keys worth describing at discovery: temperatures, fans and system power. */
export function isCandidateKey(key: string): boolean {
  return key.startsWith('T') || key.startsWith('F') || key === 'PSTR';
}

/**
 * Chooses what to read. `fanCount` is the SMC's FNum when it could be read; without it, every
 * fan whose F<n>Ac key exists is taken.
 */
export function planSmcReadings(keys: readonly SmcKeyInfo[], fanCount: number | undefined): SmcReadingPlan {
  const byKey = new Map(keys.map((k) => [k.key, k]));
  const temperatures = keys.flatMap((info) => {
    const sensor = classifyTemperature(info);
    return sensor === undefined ? [] : [{ info, sensor }];
  });
  const fans: SmcFan[] = [];
  for (let i = 0; i < 10; i++) {
    if (fanCount !== undefined ? i >= fanCount : !byKey.has(`F${i}Ac`)) continue;
    const fan = { id: `fan${i}`, actual: byKey.get(`F${i}Ac`), min: byKey.get(`F${i}Mn`), max: byKey.get(`F${i}Mx`) };
    if (fan.actual !== undefined || fan.min !== undefined || fan.max !== undefined) fans.push(fan);
  }
  return { temperatures, fans, systemPower: byKey.get('PSTR') };
}

export interface DroppedReading {
  /** hw.id of the reading (the SMC key, or the fan's id). */
  readonly hwId: string;
  readonly key: string;
  readonly reason: DropReason;
  /** What was wrong, for the debug log. */
  readonly detail: string;
}

export interface SmcCycle {
  readonly points: Point[];
  readonly dropped: DroppedReading[];
}

/** Reads the planned keys once. A reading that fails or is implausible is dropped, never exported. */
export function readSmcCycle(backend: SmcBackend, plan: SmcReadingPlan, temperatureRange: PlausibleRange): SmcCycle {
  const points: Point[] = [];
  const dropped: DroppedReading[] = [];

  const value = (info: SmcKeyInfo, hwId: string, range: PlausibleRange): number | undefined => {
    const read = backend.read(info);
    if (!read.ok) {
      dropped.push({ hwId, key: info.key, reason: 'unreadable', detail: read.message });
      return undefined;
    }
    const v = numericSmcValue(info.type, read.bytes);
    if (v === undefined) {
      dropped.push({ hwId, key: info.key, reason: 'undecodable', detail: `type ${JSON.stringify(info.type)}, ${read.bytes.length} bytes` });
      return undefined;
    }
    const reason = implausibility(v, range);
    if (reason !== undefined) {
      dropped.push({ hwId, key: info.key, reason, detail: `${v} outside ${range.min}..${range.max}` });
      return undefined;
    }
    return v;
  };

  const byGroup = new Map<SensorGroup, number[]>();
  for (const { info, sensor } of plan.temperatures) {
    const celsius = value(info, info.key, temperatureRange);
    if (celsius === undefined) continue;
    points.push(point('temperature', celsius, {
      'hw.id': info.key,
      'hw.name': sensor.name,
      ...(sensor.location !== undefined ? { 'hw.sensor_location': sensor.location } : {}),
    }));
    const group = byGroup.get(sensor.group) ?? [];
    group.push(celsius);
    byGroup.set(sensor.group, group);
  }
  for (const group of SUMMARY_GROUPS) {
    const values = byGroup.get(group);
    if (values === undefined || values.length === 0) continue;
    points.push(point('temperatureMax', Math.max(...values), { 'macos.sensor.group': group }));
    points.push(point('temperatureMean', values.reduce((a, b) => a + b, 0) / values.length, { 'macos.sensor.group': group }));
  }

  for (const fan of plan.fans) {
    const rpm = fan.actual && value(fan.actual, fan.id, FAN_RPM_RANGE);
    if (rpm !== undefined) points.push(point('fanSpeed', rpm, { 'hw.id': fan.id }));
    for (const [limit, info] of [['min', fan.min], ['max', fan.max]] as const) {
      const v = info && value(info, fan.id, FAN_RPM_RANGE);
      if (v !== undefined) points.push(point('fanSpeedLimit', v, { 'hw.id': fan.id, 'hw.limit_type': limit }));
    }
  }

  if (plan.systemPower !== undefined) {
    const watts = value(plan.systemPower, 'system', SYSTEM_POWER_RANGE);
    if (watts !== undefined) points.push(point('hostPower', watts, { 'hw.id': 'system' }));
  }
  return { points, dropped };
}
