// The thermal pressure level the system posts on com.apple.system.thermalpressurelevel (notify),
// where powermetrics' thermal sampler takes it from: 0 nominal, 1 moderate, 2 heavy, 3 trapping,
// 4 sleeping (OSThermalNotification.h on macOS), the scale of macos.thermal.pressure. Read as the
// addon's notify state, or as `notifyutil -g com.apple.system.thermalpressurelevel` prints it:
//
//   com.apple.system.thermalpressurelevel 0
//
// A name nobody has posted on reads 0, in notifyutil and notify_get_state alike; thermald posts
// this one on every Mac, so 0 is nominal, not "unknown".
//
// Pure: a state or text in, a level or the reason it is not one out.

export const THERMAL_PRESSURE_NAME = 'com.apple.system.thermalpressurelevel';
/** macOS's levels, as powermetrics names them. */
export const THERMAL_PRESSURE_LEVELS: readonly string[] = ['nominal', 'moderate', 'heavy', 'trapping', 'sleeping'];

export type ThermalPressureReading = { readonly level: number } | { readonly rejected: string };

/** A notify state as a level; anything but 0..4 is rejected. */
export function thermalPressureLevel(state: unknown): ThermalPressureReading {
  if (typeof state === 'number' && Number.isInteger(state) && state >= 0 && state < THERMAL_PRESSURE_LEVELS.length) return { level: state };
  return { rejected: `${THERMAL_PRESSURE_NAME} state ${String(state)} is not a thermal pressure level (0 nominal … 4 sleeping)` };
}

/**
 * The level in `notifyutil -g` output: the line that starts with the name (a prompt line before it
 * is skipped). Undefined when no line does.
 */
export function parseNotifyutilThermalPressure(text: string): ThermalPressureReading | undefined {
  for (const raw of text.split('\n')) {
    const tokens = raw.trim().split(/\s+/);
    if (tokens[0] !== THERMAL_PRESSURE_NAME || tokens.length !== 2) continue;
    const value = tokens[1]!;
    return thermalPressureLevel(/^\d{1,20}$/.test(value) ? Number(value) : value);
  }
  return undefined;
}
