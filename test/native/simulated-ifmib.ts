// The simulated interface MIB's table (test/native/simulated_ifmib.cc): one struct ifmibdata per
// interface as the kernel would hold it for a real `netstat -ib` capture, so that the addon path
// and the netstat path can be compared on the same counters. Derived from the capture, not read
// from a Mac: indexes are given in the capture's order, flags are IFF_UP | IFF_RUNNING for an
// interface netstat shows up (plus IFF_LOOPBACK for lo*), and the counters netstat does not print
// (input queue drops; send queue drops without -d; bytes without -b) are 0.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
// Type-only: the benchmark runs this file with Node's type stripping, where agent/ has no .js files.
import type { InterfaceCounters } from '../../agent/parsers/network-interfaces.js';

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFF_RUNNING = 0x40;

export interface IfmibFaults {
  /** Every sysctl fails with this errno. */
  readonly fail?: number;
  /** ifcount answers this instead of the highest index. */
  readonly count?: number;
}

/** Writes the table into `dir`; returns its path. */
export function writeIfmibTable(dir: string, interfaces: readonly InterfaceCounters[], faults: IfmibFaults = {}): string {
  const lines = [`count ${faults.count ?? interfaces.length}`];
  interfaces.forEach((i, n) => {
    const flags = (i.up ? IFF_UP | IFF_RUNNING : 0) | (i.loopback ? IFF_LOOPBACK : 0);
    const r = i.receive;
    const t = i.transmit;
    lines.push(`if ${n + 1} ${i.name} ${flags} ${r.packets} ${r.errors} ${r.bytes ?? 0} ${t.packets} ${t.errors} ${t.bytes ?? 0} 0 ${r.dropped ?? 0} ${t.dropped ?? 0}`);
  });
  if (faults.fail !== undefined) lines.push(`fail ${faults.fail}`);
  const path = join(dir, 'ifmib.txt');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Writes the table and points this process's simulator at it (SIMULATED_IFMIB). */
export function useIfmibSimulation(dir: string, interfaces: readonly InterfaceCounters[], faults: IfmibFaults = {}): string {
  const path = writeIfmibTable(dir, interfaces, faults);
  process.env['SIMULATED_IFMIB'] = path;
  return path;
}
