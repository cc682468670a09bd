// Memory pressure, two numbers the kernel keeps (see docs/memory-pressure.md):
//   - the level, kern.memorystatus_vm_pressure_level: 1 normal, 2 warning, 4 critical, as
//     `sysctl kern.memorystatus_vm_pressure_level` prints it (a bundle's sysctl.txt holds it);
//   - the available share, kern.memorystatus_level, printed by `memory_pressure` as
//     "System-wide memory free percentage: 38%".
// Pure: text or the addon's numbers in, a MemoryPressureSample out. A value that is not one of
// these is reported and left out, never replaced.

/** The levels the kernel reports to user space (kVMPressure* / NOTE_MEMORYSTATUS_PRESSURE_*). */
export const MEMORY_PRESSURE_LEVELS: ReadonlyMap<number, string> = new Map([[1, 'normal'], [2, 'warning'], [4, 'critical']]);

export const PRESSURE_LEVEL_SYSCTL = 'kern.memorystatus_vm_pressure_level';
const FREE_PERCENTAGE_LABEL = 'System-wide memory free percentage:';

export interface MemoryPressureSample {
  /** 1, 2 or 4. */
  readonly level?: number;
  /** kern.memorystatus_level as a ratio, 0 to 1. */
  readonly freeRatio?: number;
  /** Values present but unreadable, each with the reason. */
  readonly rejected: string[];
}

/** The addon's readMemoryPressure answer, unchecked. */
export interface HostMemoryPressure {
  readonly vmPressureLevel?: unknown;
  readonly memorystatusLevel?: unknown;
}

function level(value: unknown, shown: string, rejected: string[]): number | undefined {
  if (typeof value === 'number' && MEMORY_PRESSURE_LEVELS.has(value)) return value;
  rejected.push(`${PRESSURE_LEVEL_SYSCTL} ${shown} is not a pressure level (expected 1 normal, 2 warning or 4 critical)`);
  return undefined;
}

function freeRatio(value: unknown, shown: string, rejected: string[]): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 100) return value / 100;
  rejected.push(`memory free percentage ${shown} is not a whole percentage from 0 to 100`);
  return undefined;
}

/** The level from `sysctl` output already split into name/value pairs (parseSysctl); undefined when absent. */
export function pressureLevelFromSysctl(values: ReadonlyMap<string, string>): Pick<MemoryPressureSample, 'level' | 'rejected'> {
  const rejected: string[] = [];
  const text = values.get(PRESSURE_LEVEL_SYSCTL);
  if (text === undefined) return { rejected };
  const trimmed = text.trim();
  const n = /^\d{1,3}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  return { level: level(n, JSON.stringify(text), rejected), rejected };
}

/**
 * The "System-wide memory free percentage" line of `memory_pressure` output (with or without its
 * page statistics, `-Q`). Undefined freeRatio when the line is missing; rejected when it is there
 * but not a percentage.
 */
export function parseMemoryPressure(text: string): Pick<MemoryPressureSample, 'freeRatio' | 'rejected'> {
  const rejected: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith(FREE_PERCENTAGE_LABEL)) continue;
    const value = line.slice(FREE_PERCENTAGE_LABEL.length).trim();
    const n = /^\d{1,3}%$/.test(value) ? Number(value.slice(0, -1)) : Number.NaN;
    return { freeRatio: freeRatio(n, JSON.stringify(value), rejected), rejected };
  }
  return { rejected };
}

/** The sample of one readMemoryPressure answer, by the same rules as the text. */
export function memoryPressureFromHost(record: HostMemoryPressure): MemoryPressureSample {
  const rejected: string[] = [];
  const lvl = level(record.vmPressureLevel, String(record.vmPressureLevel), rejected);
  const free = freeRatio(record.memorystatusLevel, String(record.memorystatusLevel), rejected);
  return { ...(lvl !== undefined && { level: lvl }), ...(free !== undefined && { freeRatio: free }), rejected };
}
