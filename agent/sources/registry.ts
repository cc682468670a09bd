import type { AgentConfig } from '../config.js';
import type { Source, SourceContext, SourceModule } from './source.js';
import { iostatModule } from './iostat.js';
import { memoryPressureModule } from './memory-pressure.js';
import { networkModule } from './network.js';
import { powermetricsModule } from './powermetrics.js';
import { smcModule } from './smc.js';
import { sysctlModule } from './sysctl.js';
import { thermalPressureModule } from './thermal-pressure.js';
import { vmStatModule } from './vm_stat.js';
import { batteryModule } from './battery.js';
import { diskModule } from './disk.js';
import { gpuModule } from './gpu.js';

/** Every source, in the order `--once` shows them. Adding a source adds one line here. */
export const SOURCE_MODULES: readonly SourceModule[] = [
  powermetricsModule,
  iostatModule,
  vmStatModule,
  sysctlModule,
  smcModule,
  memoryPressureModule,
  networkModule,
  thermalPressureModule,
  diskModule,
  gpuModule,
  batteryModule,
];

export function enabledModules(config: AgentConfig): SourceModule[] {
  return SOURCE_MODULES.filter((m) => config.sources[m.name].enabled);
}

export function createSources(ctx: SourceContext): Source[] {
  return enabledModules(ctx.config).map((m) => m.create(ctx));
}
