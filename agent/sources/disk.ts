// The disk source: bytes, operations, time, errors and retries per physical disk since boot, read
// and write apart, from the IOBlockStorageDriver statistics of the I/O Registry (the counters
// iostat itself reads). It owns the system.disk.* metrics; the iostat source keeps CPU and load
// and reports its own read+write totals as macos.iostat.disk.*.

import { ATTR, type Point, point } from '../metrics/catalog.js';
import type { NativeAddonOptions } from '../native/addon.js';
import {
  STORAGE_DRIVER_CLASS, STORAGE_DRIVER_KEYS, STORAGE_MEDIA_KEYS, storageSampleOf,
  type DiskDirectionStatistics, type StorageSample,
} from '../parsers/ioreg-storage.js';
import { IOREG_TIMEOUT_MS, RegistryEntries, type RegistryQuery } from './io-registry.js';
import { runCommand } from './run-command.js';
import { SourceError, type Source, type SourceContext, type SourceModule } from './source.js';

const REPLAY_FILE = 'ioreg-storage.txt';

// -l: the driver's IOMedia child is printed with its properties, and so with its BSD name.
export const DISK_QUERY: RegistryQuery = {
  source: 'disk',
  className: STORAGE_DRIVER_CLASS,
  keys: STORAGE_DRIVER_KEYS,
  childKeys: STORAGE_MEDIA_KEYS,
  run: { source: 'disk', command: 'ioreg', args: ['-r', '-c', STORAGE_DRIVER_CLASS, '-l', '-w0'], timeoutMs: IOREG_TIMEOUT_MS, replayFile: REPLAY_FILE },
  what: 'disk statistics',
};

const NANOSECONDS_PER_SECOND = 1e9;

function directionPoints(device: string, direction: 'read' | 'write', s: DiskDirectionStatistics): Point[] {
  const attributes = { [ATTR.device]: device, [ATTR.diskIoDirection]: direction };
  const points: Point[] = [];
  if (s.bytes !== undefined) points.push(point('diskIo', s.bytes, attributes));
  if (s.operations !== undefined) points.push(point('diskOperations', s.operations, attributes));
  if (s.timeNs !== undefined) points.push(point('diskOperationTime', s.timeNs / NANOSECONDS_PER_SECOND, attributes));
  if (s.errors !== undefined) points.push(point('diskErrors', s.errors, attributes));
  if (s.retries !== undefined) points.push(point('diskRetries', s.retries, attributes));
  return points;
}

export function diskPoints(sample: StorageSample): Point[] {
  return sample.disks.flatMap((d) => [...directionPoints(d.device, 'read', d.read), ...directionPoints(d.device, 'write', d.write)]);
}

class DiskSource implements Source {
  readonly name = 'disk' as const;
  readonly #entries: RegistryEntries;

  constructor(ctx: SourceContext, opts: NativeAddonOptions) {
    this.#entries = new RegistryEntries(ctx, DISK_QUERY, opts);
  }

  async collect(): Promise<Point[]> {
    const sample = storageSampleOf(await this.#entries.read());
    for (const reason of sample.rejected) this.#entries.rejected.report(`disk: ${reason}`);
    if (sample.disks.length === 0 && sample.rejected.length === 0) {
      throw new SourceError('disk', 'missing', `no ${STORAGE_DRIVER_CLASS} in the I/O Registry: this machine has no block storage driver to read`);
    }
    return diskPoints(sample);
  }

  async stop(): Promise<void> {}
}

export function createDiskSource(ctx: SourceContext, opts: NativeAddonOptions = {}): Source {
  return new DiskSource(ctx, opts);
}

export const diskModule: SourceModule = {
  name: 'disk',
  create: (ctx) => createDiskSource(ctx),
  replayFile: REPLAY_FILE,
  capture: () => runCommand(DISK_QUERY.run),
};
