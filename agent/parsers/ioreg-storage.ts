// Disk statistics from IOBlockStorageDriver entries: the counters the storage family keeps per
// physical disk since boot in the driver's "Statistics" dictionary (bytes, operations, time in
// nanoseconds, errors and retries, each for reads and writes), named by the BSD name (disk0) of
// the IOMedia the driver publishes as its child. The entries come from `ioreg -r -c
// IOBlockStorageDriver -l -w0` (parsers/ioreg.ts) or from the addon: the same decoding for both.

import type { IoregEntry } from './ioreg.js';
import { countOf, isDict, type Reject } from './ioreg-values.js';

export type DiskDirection = 'read' | 'write';

export interface DiskDirectionStatistics {
  readonly bytes?: number;
  readonly operations?: number;
  /** Sum of the time each operation took, in nanoseconds. */
  readonly timeNs?: number;
  readonly errors?: number;
  readonly retries?: number;
}

export interface DiskStatistics {
  /** The BSD name of the whole disk, e.g. disk0. */
  readonly device: string;
  readonly read: DiskDirectionStatistics;
  readonly write: DiskDirectionStatistics;
}

export interface StorageSample {
  readonly disks: DiskStatistics[];
  /** What was present but could not be used, each with the reason. */
  readonly rejected: string[];
}

export const STORAGE_DRIVER_CLASS = 'IOBlockStorageDriver';
/** The keys the addon reads: the driver's statistics and, on its IOMedia child, the BSD name. */
export const STORAGE_DRIVER_KEYS: readonly string[] = ['Statistics'];
export const STORAGE_MEDIA_KEYS: readonly string[] = ['BSD Name'];

const FIELDS = [
  ['bytes', 'Bytes'],
  ['operations', 'Operations'],
  ['timeNs', 'Total Time'],
  ['errors', 'Errors'],
  ['retries', 'Retries'],
] as const;

function bsdNameOf(driver: IoregEntry): string | undefined {
  for (const child of driver.children) {
    const name = child.properties['BSD Name'];
    if (child.className === 'IOMedia' && typeof name === 'string' && name !== '') return name;
  }
  return undefined;
}

function directionOf(statistics: Parameters<typeof countOf>[0], direction: 'Read' | 'Write', where: string, reject: Reject): DiskDirectionStatistics {
  const out: Record<string, number> = {};
  for (const [field, key] of FIELDS) {
    const v = countOf(statistics, `${key} (${direction})`, where, reject);
    if (v !== undefined) out[field] = v;
  }
  return out;
}

/** The statistics of every IOBlockStorageDriver among `entries` (and their descendants). */
export function storageSampleOf(roots: readonly IoregEntry[]): StorageSample {
  const disks: DiskStatistics[] = [];
  const rejected: string[] = [];
  const drivers: IoregEntry[] = [];
  const collect = (entries: readonly IoregEntry[]): void => {
    for (const e of entries) {
      if (e.className === STORAGE_DRIVER_CLASS) drivers.push(e);
      else collect(e.children);
    }
  };
  collect(roots);
  for (const driver of drivers) {
    const device = bsdNameOf(driver);
    if (device === undefined) {
      rejected.push(`an ${STORAGE_DRIVER_CLASS} has no IOMedia child with a "BSD Name" (ioreg needs -l to print it): its statistics are left out`);
      continue;
    }
    const statistics = driver.properties['Statistics'];
    if (!isDict(statistics)) {
      rejected.push(`${device}: the ${STORAGE_DRIVER_CLASS} has no "Statistics" dictionary: left out`);
      continue;
    }
    const where = `${device} Statistics`;
    const reject: Reject = (reason) => rejected.push(reason);
    disks.push({ device, read: directionOf(statistics, 'Read', where, reject), write: directionOf(statistics, 'Write', where, reject) });
  }
  return { disks, rejected };
}
