// The simulated Mach host's table (test/native/simulated_host.cc): vm_statistics64 as the kernel
// would hold it for a real vm_stat capture, so that the addon path and the vm_stat path can be
// compared on the same numbers.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VmStatSample } from '../../agent/parsers/vm_stat.js';

/**
 * The kernel's counters behind a vm_stat snapshot: vm_stat.c prints free_count - speculative_count
 * as "Pages free", every other field as it is. Derived from the capture, not read from a Mac.
 */
export function hostStatisticsOf(sample: VmStatSample): Record<string, number> {
  const f = sample.fields;
  const out: Record<string, number | undefined> = {
    page_size: sample.pageSize,
    free_count: f.free !== undefined && f.speculative !== undefined ? f.free + f.speculative : undefined,
    active_count: f.active, inactive_count: f.inactive, speculative_count: f.speculative,
    throttled_count: f.throttled, wire_count: f.wired, purgeable_count: f.purgeable, faults: f.translationFaults,
    cow_faults: f.copyOnWrite, zero_fill_count: f.zeroFilled, reactivations: f.reactivated, purges: f.purged,
    external_page_count: f.fileBacked, internal_page_count: f.anonymous,
    total_uncompressed_pages_in_compressor: f.storedInCompressor, compressor_page_count: f.occupiedByCompressor,
    decompressions: f.decompressions, compressions: f.compressions, pageins: f.pageins, pageouts: f.pageouts,
    swapins: f.swapins, swapouts: f.swapouts,
  };
  return Object.fromEntries(Object.entries(out).filter((e): e is [string, number] => e[1] !== undefined));
}

/** Writes the table into `dir`; `fail` makes host_statistics64 return that kern_return_t. Returns its path. */
export function writeHostTable(dir: string, stats: Record<string, number>, fail?: number): string {
  const lines = Object.entries(stats).map(([k, v]) => `${k} ${v}`);
  if (fail !== undefined) lines.push(`fail ${fail}`);
  const path = join(dir, 'host-vm.txt');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Writes the table and points this process's simulator at it (SIMULATED_HOST_VM). */
export function useHostSimulation(dir: string, stats: Record<string, number>, fail?: number): string {
  const path = writeHostTable(dir, stats, fail);
  process.env['SIMULATED_HOST_VM'] = path;
  return path;
}
