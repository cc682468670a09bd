// The simulated sysctlbyname's table (test/native/simulated_sysctl.cc): hw.memsize and struct
// xsw_usage as the kernel would hold them for a real `sysctl` capture, so that the addon path and
// the sysctl path can be compared on the same numbers.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
// Type-only: the benchmark runs this file with Node's type stripping, where agent/ has no .js files.
import type { SwapUsage } from '../../agent/parsers/sysctl.js';

/** What the simulator answers, as the addon's readSysctls returns it. */
export interface SimulatedSysctls {
  readonly memsize?: number;
  readonly swap?: { readonly total: number; readonly avail: number; readonly used: number; readonly pagesize: number; readonly encrypted: boolean };
  /** kern.memorystatus_vm_pressure_level and kern.memorystatus_level (native/memory_pressure_darwin.cc). */
  readonly memorystatus?: { readonly vmPressureLevel: number; readonly level: number };
}

/**
 * The kernel's values behind `sysctl` output (parsed by parseSysctl): sysctl prints hw.memsize as
 * it is and xsw_usage's byte counts in MiB with two decimals (xsu_avail as "free"), so the swap
 * counts are the text's rounded to the byte. xsu_pagesize is not printed: the capture's page size,
 * else 4096. Derived from the capture, not read from a Mac.
 */
export function hostSysctlsOf(values: ReadonlyMap<string, string>, parseSwapUsage: (text: string) => SwapUsage | undefined): SimulatedSysctls {
  const memsize = values.get('hw.memsize');
  const usage = parseSwapUsage(values.get('vm.swapusage') ?? '');
  const pagesize = Number(values.get('vm.pagesize') ?? values.get('hw.pagesize') ?? 4096);
  return {
    ...(memsize !== undefined && { memsize: Number(memsize) }),
    ...(usage !== undefined && {
      swap: { total: usage.totalBytes, avail: usage.freeBytes, used: usage.usedBytes, pagesize, encrypted: usage.encrypted },
    }),
  };
}

export interface SysctlFaults {
  /** sysctlbyname(NAME) fails with this errno. */
  readonly fail?: Readonly<Record<string, number>>;
  /** sysctlbyname(NAME) answers this many bytes, fewer than its value has. */
  readonly size?: Readonly<Record<string, number>>;
}

/** Writes the table into `dir`; a sysctl it lacks answers ENOENT. Returns its path. */
export function writeSysctlTable(dir: string, sysctls: SimulatedSysctls, faults: SysctlFaults = {}): string {
  const lines: string[] = [];
  if (sysctls.memsize !== undefined) lines.push(`hw.memsize ${sysctls.memsize}`);
  const s = sysctls.swap;
  if (s !== undefined) lines.push(`vm.swapusage ${s.total} ${s.avail} ${s.used} ${s.pagesize} ${s.encrypted ? 1 : 0}`);
  const m = sysctls.memorystatus;
  if (m !== undefined) lines.push(`kern.memorystatus_vm_pressure_level ${m.vmPressureLevel}`, `kern.memorystatus_level ${m.level}`);
  for (const [name, errno] of Object.entries(faults.fail ?? {})) lines.push(`fail ${name} ${errno}`);
  for (const [name, bytes] of Object.entries(faults.size ?? {})) lines.push(`size ${name} ${bytes}`);
  const path = join(dir, 'host-sysctl.txt');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Writes the table and points this process's simulator at it (SIMULATED_SYSCTL). */
export function useSysctlSimulation(dir: string, sysctls: SimulatedSysctls, faults: SysctlFaults = {}): string {
  const path = writeSysctlTable(dir, sysctls, faults);
  process.env['SIMULATED_SYSCTL'] = path;
  return path;
}
