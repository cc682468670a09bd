import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { AgentConfig } from './config.js';
import { Collection } from './collection.js';
import { createLogger } from './log.js';
import { PointStore, registerInstruments } from './metrics/instruments.js';
import { basicResource } from './resource.js';
import { createSources } from './sources/registry.js';
import { AgentTelemetry } from './telemetry.js';
import { VERSION } from './version.js';

export interface DaemonOptions {
  readonly config: AgentConfig;
  readonly replayDir?: string | undefined;
}

/** Runs every enabled source on the interval and exports over OTLP/gRPC until SIGTERM/SIGINT. */
export async function runDaemon(opts: DaemonOptions): Promise<void> {
  const { config } = opts;
  const log = createLogger(config.log_level, 'stdout');
  const store = new PointStore();
  const telemetry = new AgentTelemetry();
  const sources = createSources({
    config, mode: 'daemon', log,
    ...(opts.replayDir !== undefined ? { replayDir: opts.replayDir } : {}),
    onChildRestart: (s) => telemetry.recordChildRestart(s),
    onParseError: (s) => telemetry.recordError(s, 'parse'),
  });
  const collection = new Collection(sources, store, telemetry, log);
  const reader = new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({ url: config.exporter.endpoint }),
    exportIntervalMillis: config.interval,
    exportTimeoutMillis: Math.min(config.exporter.timeout, config.interval),
  });
  const provider = new MeterProvider({ resource: resourceFromAttributes(basicResource(config)), readers: [reader] });
  registerInstruments(provider.getMeter('macos-agent', VERSION), store);

  await collection.start();
  await collection.collectAll();
  const timer = setInterval(() => void collection.collectAll(), config.interval);
  log.info({ endpoint: config.exporter.endpoint, interval_ms: config.interval }, 'macos-agent started');

  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  clearInterval(timer);
  await collection.stop();
  await provider.shutdown();
  log.info('macos-agent stopped');
}
