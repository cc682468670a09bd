import { COMPONENT } from './components.js';
import {
  clientTlsBlock, healthCheck, memoryLimiter, otlpReceiver, ownTelemetry, retryOnFailure, sendingQueue,
  type CollectorConfig, type ConfigMap, type Pipeline,
} from './config-parts.js';
import type { NodeOptions } from './options.js';

/** Export batches kept on disk while the gateway is away: at one batch a second, over 13 hours. */
const NODE_QUEUE_BATCHES = 50_000;

/**
 * The collector on each Mac: receives OTLP from the agent and the Mac's applications, adds the
 * host's resource attributes, and forwards everything to the gateway through a persistent queue,
 * so a gateway outage or a collector restart loses nothing the queue can hold.
 */
export function buildNodeConfig(opts: NodeOptions): CollectorConfig {
  const receivers: ConfigMap = { [COMPONENT.otlpReceiver]: otlpReceiver(opts) };
  if (opts.hostMetrics) {
    // Only what the agent does not measure itself: network interfaces and mounted filesystems.
    receivers[COMPONENT.hostMetricsReceiver] = {
      collection_interval: '30s',
      scrapers: { network: {}, filesystem: {} },
    };
  }
  const processors: ConfigMap = {
    [COMPONENT.memoryLimiter]: memoryLimiter(opts),
    [COMPONENT.resourceDetection]: {
      detectors: ['env', 'system'],
      system: { hostname_sources: ['os'] },
      // Attributes the agent or an application set themselves win over detected ones.
      override: false,
    },
  };
  const exporters: ConfigMap = {
    [COMPONENT.otlpGrpcExporter]: {
      endpoint: opts.gateway.hostPort,
      tls: clientTlsBlock(opts.gateway.tls),
      compression: 'gzip',
      sending_queue: sendingQueue(NODE_QUEUE_BATCHES, COMPONENT.fileStorage),
      retry_on_failure: retryOnFailure('0s'),
    },
  };
  const pipeline = (withHostMetrics: boolean): Pipeline => ({
    receivers: withHostMetrics && opts.hostMetrics ? [COMPONENT.otlpReceiver, COMPONENT.hostMetricsReceiver] : [COMPONENT.otlpReceiver],
    processors: [COMPONENT.memoryLimiter, COMPONENT.resourceDetection],
    exporters: [COMPONENT.otlpGrpcExporter],
  });
  return {
    extensions: {
      [COMPONENT.healthCheck]: healthCheck(opts),
      [COMPONENT.fileStorage]: { directory: opts.storageDir, create_directory: true, fsync: true },
    },
    receivers,
    processors,
    exporters,
    service: {
      extensions: [COMPONENT.healthCheck, COMPONENT.fileStorage],
      telemetry: ownTelemetry(opts),
      pipelines: { metrics: pipeline(true), logs: pipeline(false), traces: pipeline(false) },
    },
  };
}
