// GPU statistics from IOAccelerator entries: the "PerformanceStatistics" dictionary the GPU driver
// publishes without any privilege (what Activity Monitor's GPU History shows): device, renderer and
// tiler utilisation in percent, and the system memory the GPU has in use and allocated. The
// entries come from `ioreg -r -d1 -c IOAccelerator -w0` (parsers/ioreg.ts) or from the addon.

import type { IoregEntry } from './ioreg.js';
import { countOf, definedOnly, isDict, type Reject } from './ioreg-values.js';

export interface GpuStatistics {
  /** gpu0, gpu1 ... in registry order. */
  readonly id: string;
  /** The "model" property (e.g. "Apple M1"), else the driver's class. */
  readonly name: string;
  /** From 0 to 1. */
  readonly deviceUtilization?: number;
  readonly rendererUtilization?: number;
  readonly tilerUtilization?: number;
  readonly memoryInUseBytes?: number;
  readonly memoryAllocatedBytes?: number;
}

export interface AcceleratorSample {
  readonly gpus: GpuStatistics[];
  readonly rejected: string[];
}

export const ACCELERATOR_CLASS = 'IOAccelerator';
export const ACCELERATOR_KEYS: readonly string[] = ['PerformanceStatistics', 'model'];

/** A percentage as a fraction; optional keys (not every driver has a tiler) are skipped silently. */
function utilization(stats: Parameters<typeof countOf>[0], key: string, where: string, reject: Reject): number | undefined {
  if (stats[key] === undefined) return undefined;
  const percent = countOf(stats, key, where, reject);
  if (percent === undefined) return undefined;
  if (percent > 100) {
    reject(`${where} "${key}" = ${percent} is not a percentage`);
    return undefined;
  }
  return percent / 100;
}

function bytes(stats: Parameters<typeof countOf>[0], key: string, where: string, reject: Reject): number | undefined {
  return stats[key] === undefined ? undefined : countOf(stats, key, where, reject);
}

/** Every root entry is one GPU (ioreg -r -c IOAccelerator and the addon give exactly those). */
export function acceleratorSampleOf(roots: readonly IoregEntry[]): AcceleratorSample {
  const gpus: GpuStatistics[] = [];
  const rejected: string[] = [];
  const reject: Reject = (reason) => rejected.push(reason);
  roots.forEach((entry, index) => {
    const id = `gpu${index}`;
    const model = entry.properties['model'];
    const name = typeof model === 'string' && model !== '' ? model : entry.className;
    const stats = entry.properties['PerformanceStatistics'];
    if (!isDict(stats)) {
      rejected.push(`${id} (${name}) has no "PerformanceStatistics" dictionary: left out`);
      return;
    }
    const where = `${id} PerformanceStatistics`;
    gpus.push(definedOnly<GpuStatistics>({
      id, name,
      deviceUtilization: utilization(stats, 'Device Utilization %', where, reject),
      rendererUtilization: utilization(stats, 'Renderer Utilization %', where, reject),
      tilerUtilization: utilization(stats, 'Tiler Utilization %', where, reject),
      memoryInUseBytes: bytes(stats, 'In use system memory', where, reject),
      memoryAllocatedBytes: bytes(stats, 'Alloc system memory', where, reject),
    }));
  });
  return { gpus, rejected };
}
