// Turns the Mach host's vm_statistics64 (host_statistics64 HOST_VM_INFO64, as the addon returns it
// with the kernel's field names) into the record the vm_stat parser produces, with vm_stat's own
// arithmetic (vm_stat.c, system_cmds): the same counters, so the same points, without a process.
//
// Pure: numbers in, a VmStatSample out. A field that is missing or not a count is left out and
// reported, never replaced.

import type { VmStatField, VmStatFields, VmStatMalformedLine, VmStatSample } from './vm_stat.js';

/** vm_statistics64 fields this decoder reads, and the page size; counts are in pages. */
export const HOST_VM_FIELDS = [
  'page_size', 'free_count', 'active_count', 'inactive_count', 'wire_count', 'zero_fill_count',
  'reactivations', 'pageins', 'pageouts', 'faults', 'cow_faults', 'purges', 'purgeable_count',
  'speculative_count', 'decompressions', 'compressions', 'swapins', 'swapouts', 'compressor_page_count',
  'throttled_count', 'external_page_count', 'internal_page_count', 'total_uncompressed_pages_in_compressor',
] as const;

export type HostVmStatistics = Partial<Record<(typeof HOST_VM_FIELDS)[number], unknown>>;

/** Each vm_stat field and the kernel field it prints unchanged. */
const SAME_AS: readonly [VmStatField, (typeof HOST_VM_FIELDS)[number]][] = [
  ['active', 'active_count'], ['inactive', 'inactive_count'], ['speculative', 'speculative_count'],
  ['throttled', 'throttled_count'], ['wired', 'wire_count'], ['purgeable', 'purgeable_count'],
  ['translationFaults', 'faults'], ['copyOnWrite', 'cow_faults'], ['zeroFilled', 'zero_fill_count'],
  ['reactivated', 'reactivations'], ['purged', 'purges'], ['fileBacked', 'external_page_count'],
  ['anonymous', 'internal_page_count'], ['storedInCompressor', 'total_uncompressed_pages_in_compressor'],
  ['occupiedByCompressor', 'compressor_page_count'], ['decompressions', 'decompressions'],
  ['compressions', 'compressions'], ['pageins', 'pageins'], ['pageouts', 'pageouts'],
  ['swapins', 'swapins'], ['swapouts', 'swapouts'],
];

/** Page sizes a Mac kernel uses: 4 KiB (Intel) and 16 KiB (Apple Silicon); a power of two either way. */
function isPageSize(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 4096 && v <= 65536 && (v & (v - 1)) === 0;
}

export class HostVmStatisticsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostVmStatisticsError';
  }
}

/** The vm_stat record of one host_statistics64 answer. Throws HostVmStatisticsError without a usable page size. */
export function vmStatSampleFromHost(stats: HostVmStatistics): VmStatSample {
  const pageSize = stats.page_size;
  if (typeof pageSize !== 'number' || !isPageSize(pageSize)) {
    throw new HostVmStatisticsError(`host_statistics64 came with page size ${JSON.stringify(pageSize)} (expected a power of two from 4096 to 65536 bytes)`);
  }
  const fields: VmStatFields = {};
  const malformed: VmStatMalformedLine[] = [];
  const count = (name: (typeof HOST_VM_FIELDS)[number]): number | undefined => {
    const v = stats[name];
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
    malformed.push({ line: `${name} ${JSON.stringify(v)}`, reason: v === undefined ? 'missing from host_statistics64' : 'not a count of pages' });
    return undefined;
  };
  const free = count('free_count');
  const speculative = count('speculative_count');
  // vm_stat prints "Pages free" as free_count - speculative_count: speculative pages are counted free by the kernel.
  if (free !== undefined && speculative !== undefined) {
    if (free >= speculative) fields.free = free - speculative;
    else malformed.push({ line: `free_count ${free} speculative_count ${speculative}`, reason: 'fewer free pages than speculative ones' });
  }
  for (const [field, name] of SAME_AS) {
    if (name === 'speculative_count') {
      if (speculative !== undefined) fields[field] = speculative;
      continue;
    }
    const v = count(name);
    if (v !== undefined) fields[field] = v;
  }
  return { form: 'snapshot', pageSize, fields, unknown: new Map(), truncated: new Set(), malformed };
}
