// The gpu source: device utilisation and the GPU's memory in use and allocated, from the
// IOAccelerator PerformanceStatistics of the I/O Registry, readable without root, so the user
// (LaunchAgent) mode has GPU utilisation too. In the system mode powermetrics adds the GPU's
// frequency and active residency under their own names (macos.gpu.frequency,
// macos.gpu.active_residency): no metric name is fed by both.

import { ATTR, type Point, point } from '../metrics/catalog.js';
import type { NativeAddonOptions } from '../native/addon.js';
import { ACCELERATOR_CLASS, ACCELERATOR_KEYS, acceleratorSampleOf, type AcceleratorSample } from '../parsers/ioreg-accelerator.js';
import { IOREG_TIMEOUT_MS, RegistryEntries, type RegistryQuery } from './io-registry.js';
import { runCommand } from './run-command.js';
import { SourceError, type Source, type SourceContext, type SourceModule } from './source.js';

const REPLAY_FILE = 'ioreg-accelerator.txt';

// -d1: the accelerator alone, not its hundreds of user clients.
export const GPU_QUERY: RegistryQuery = {
  source: 'gpu',
  className: ACCELERATOR_CLASS,
  keys: ACCELERATOR_KEYS,
  childKeys: [],
  run: { source: 'gpu', command: 'ioreg', args: ['-r', '-d1', '-c', ACCELERATOR_CLASS, '-w0'], timeoutMs: IOREG_TIMEOUT_MS, replayFile: REPLAY_FILE },
  what: 'GPU statistics',
};

export function gpuPoints(sample: AcceleratorSample): Point[] {
  const points: Point[] = [];
  for (const g of sample.gpus) {
    const gpu = { [ATTR.hwId]: g.id, [ATTR.hwName]: g.name };
    if (g.deviceUtilization !== undefined) points.push(point('gpuUtilization', g.deviceUtilization, gpu));
    if (g.rendererUtilization !== undefined) points.push(point('gpuEngineUtilization', g.rendererUtilization, { ...gpu, [ATTR.gpuEngine]: 'renderer' }));
    if (g.tilerUtilization !== undefined) points.push(point('gpuEngineUtilization', g.tilerUtilization, { ...gpu, [ATTR.gpuEngine]: 'tiler' }));
    if (g.memoryInUseBytes !== undefined) points.push(point('gpuMemoryUsage', g.memoryInUseBytes, gpu));
    if (g.memoryAllocatedBytes !== undefined) points.push(point('gpuMemoryAllocated', g.memoryAllocatedBytes, gpu));
  }
  return points;
}

class GpuSource implements Source {
  readonly name = 'gpu' as const;
  readonly #entries: RegistryEntries;

  constructor(ctx: SourceContext, opts: NativeAddonOptions) {
    this.#entries = new RegistryEntries(ctx, GPU_QUERY, opts);
  }

  async collect(): Promise<Point[]> {
    const sample = acceleratorSampleOf(await this.#entries.read());
    for (const reason of sample.rejected) this.#entries.rejected.report(`gpu: ${reason}`);
    if (sample.gpus.length === 0 && sample.rejected.length === 0) {
      throw new SourceError('gpu', 'missing', `no ${ACCELERATOR_CLASS} in the I/O Registry: this machine has no GPU driver publishing statistics`);
    }
    return gpuPoints(sample);
  }

  async stop(): Promise<void> {}
}

export function createGpuSource(ctx: SourceContext, opts: NativeAddonOptions = {}): Source {
  return new GpuSource(ctx, opts);
}

export const gpuModule: SourceModule = {
  name: 'gpu',
  create: (ctx) => createGpuSource(ctx),
  replayFile: REPLAY_FILE,
  capture: () => runCommand(GPU_QUERY.run),
};
