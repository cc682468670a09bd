// The agent's sources, collection and metrics pipeline in the benchmark's own process, from the
// compiled modules of a built dist/agent folder and wired as the daemon wires them: what the
// cycle section times step by step and the packages probe fills its points from.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * @param {{ dist: string, configFile: string, overrides: Record<string, string>, resource: Record<string, string>, replayDir?: string }} opts
 *   dist: a dist/agent folder; configFile and overrides as `--config` and `--set` give them
 */
export async function inProcessAgent({ dist, configFile, overrides, resource, replayDir }) {
  /** One compiled module of that build, e.g. module('export/batch.js'). */
  const module = (rel) => import(pathToFileURL(join(dist, rel)).href);
  const { loadConfig } = await module('config.js');
  const { createSources } = await module('sources/registry.js');
  const { Collection } = await module('collection.js');
  const { createMetricsPipeline } = await module('metrics/metrics-pipeline.js');
  const { AgentTelemetry } = await module('telemetry.js');
  const { createLogger } = await module('log.js');

  const config = loadConfig({ path: configFile, overrides }).config;
  const log = createLogger('silent');
  const metrics = createMetricsPipeline(resource);
  const telemetry = new AgentTelemetry();
  const sources = createSources({
    config, mode: 'daemon', log,
    ...(replayDir !== undefined ? { replayDir } : {}),
    onChildRestart: (s) => telemetry.recordChildRestart(s),
    onParseError: (s) => telemetry.recordError(s, 'parse'),
  });
  const collection = new Collection(sources, metrics.store, telemetry, log);
  return { module, config, log, metrics, sources, collection };
}
