// Turns the addon's sysctlbyname answer (hw.memsize and struct xsw_usage of vm.swapusage) into
// the values the sysctl text parser yields: installed memory in bytes and a SwapUsage, so the
// same points come out without a process.
//
// The kernel's struct holds bytes, while `sysctl` prints vm.swapusage in MiB with two decimals
// (parseSwapUsage rounds those to the byte), so this path is the more precise of the two: swap
// use may differ from the text's by up to 5 KiB.
//
// Pure: numbers in, a HostSysctlSample out. A value that is missing or not a count of bytes is
// left out and reported, never replaced.

import type { SwapUsage, SysctlMalformedLine } from './sysctl.js';

/** The addon's record (readSysctls), unchecked: the kernel's numbers, as JS numbers. */
export interface HostSysctls {
  readonly memsize?: unknown;
  /** struct xsw_usage without its xsu_ prefixes; pagesize is read but is not a metric. */
  readonly swap?: unknown;
}

export interface HostSysctlSample {
  /** hw.memsize in bytes; undefined when it was not a count of bytes. */
  readonly memsize?: number;
  /** vm.swapusage; undefined when any of its counts was not one. */
  readonly swap?: SwapUsage;
  readonly malformed: SysctlMalformedLine[];
}

function isByteCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

type Reject = (name: string, v: unknown, what: string) => void;

function swapUsage(xsw: unknown, reject: Reject): SwapUsage | undefined {
  if (typeof xsw !== 'object' || xsw === null) {
    reject('vm.swapusage', xsw, 'a struct xsw_usage');
    return undefined;
  }
  const fields = xsw as Partial<Record<'total' | 'avail' | 'used' | 'encrypted', unknown>>;
  const count = (name: 'total' | 'avail' | 'used'): number | undefined => {
    const v = fields[name];
    if (isByteCount(v)) return v;
    reject(`vm.swapusage xsu_${name}`, v, 'a count of bytes');
    return undefined;
  };
  const total = count('total');
  const avail = count('avail');
  const used = count('used');
  const encrypted = fields.encrypted;
  if (typeof encrypted !== 'boolean') reject('vm.swapusage xsu_encrypted', encrypted, 'a boolean');
  if (total === undefined || avail === undefined || used === undefined || typeof encrypted !== 'boolean') return undefined;
  // sysctl prints xsu_avail as "free".
  return { totalBytes: total, usedBytes: used, freeBytes: avail, encrypted };
}

/** The sysctl values of one readSysctls answer. */
export function sysctlSampleFromHost(record: HostSysctls): HostSysctlSample {
  const malformed: SysctlMalformedLine[] = [];
  const reject: Reject = (name, v, what) => {
    malformed.push({ line: `${name} ${JSON.stringify(v)}`, reason: v === undefined ? 'missing from sysctlbyname' : `not ${what}` });
  };
  const memsize = isByteCount(record.memsize) ? record.memsize : undefined;
  if (memsize === undefined) reject('hw.memsize', record.memsize, 'a count of bytes');
  const swap = swapUsage(record.swap, reject);
  return { memsize, swap, malformed };
}
