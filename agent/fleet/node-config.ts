import { COMPONENT } from './components.js';
import {
  clientTlsBlock, healthCheck, memoryLimiter, otlpReceiver, ownTelemetry, retryOnFailure, sendingQueue,
  type CollectorConfig, type ConfigMap, type Pipeline,
} from './config-parts.js';
import type { NodeOptions } from './options.js';
import { memoryBudget } from './sizing.js';
import { headlessServiceOf, loadBalancingExporter, TRACE_EXPORTER } from './trace-routing.js';

/**
 * Export batches kept on disk while the upstream is away. Each is at most BATCH_MAX_BYTES, so the
 * queue never holds more than 5,000 × 3 MiB; a Mac's agent fills one small batch a second.
 */
export const NODE_QUEUE_REQUESTS = 5_000;

/**
 * The collector on each Mac: receives OTLP from the agent and the Mac's applications, adds the
 * host's resource attributes, and forwards everything through a persistent queue, so an outage or
 * a collector restart loses nothing the queue can hold. Its upstream (`--gateway`) must route
 * traces by trace ID: the cluster's node collector on the node's port (hostPort 4317), which
 * load-balances spans to the gateway replicas, never a Service in front of the replicas.
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
    [COMPONENT.memoryLimiter]: memoryLimiter(memoryBudget(opts.memoryLimitMib)),
    [COMPONENT.resourceDetection]: {
      detectors: ['env', 'system'],
      system: { hostname_sources: ['os'] },
      // Attributes the agent or an application set themselves win over detected ones.
      override: false,
    },
  };
  const auth: ConfigMap = opts.bearerTokenFile === undefined ? {} : { auth: { authenticator: COMPONENT.bearerTokenAuth } };
  const exporters: ConfigMap = {
    [COMPONENT.otlpGrpcExporter]: {
      endpoint: opts.gateway.hostPort,
      tls: clientTlsBlock(opts.gateway.tls),
      compression: 'gzip',
      ...auth,
      sending_queue: sendingQueue({ requests: NODE_QUEUE_REQUESTS, storage: COMPONENT.fileStorage }),
      retry_on_failure: retryOnFailure('0s'),
    },
  };
  // In a cluster, spans go to the gateway replicas by trace ID, through the headless Service of
  // the gateway Service given as NAME.NAMESPACE:PORT.
  if (opts.format === 'operator') {
    const [host = '', port = ''] = [opts.gateway.hostPort.slice(0, opts.gateway.hostPort.lastIndexOf(':')), opts.gateway.hostPort.slice(opts.gateway.hostPort.lastIndexOf(':') + 1)];
    const [service = '', namespace = 'default'] = host.split('.');
    exporters[TRACE_EXPORTER] = loadBalancingExporter({
      headlessService: headlessServiceOf(service),
      namespace,
      port: Number(port),
      tls: opts.gateway.tls,
      auth: opts.bearerTokenFile === undefined ? undefined : COMPONENT.bearerTokenAuth,
      sendingQueue: sendingQueue({ requests: NODE_QUEUE_REQUESTS, storage: COMPONENT.fileStorage }),
    });
  }
  const pipeline = (signal: 'metrics' | 'logs' | 'traces'): Pipeline => ({
    receivers: signal === 'metrics' && opts.hostMetrics ? [COMPONENT.otlpReceiver, COMPONENT.hostMetricsReceiver] : [COMPONENT.otlpReceiver],
    processors: [COMPONENT.memoryLimiter, COMPONENT.resourceDetection],
    exporters: [signal === 'traces' && opts.format === 'operator' ? TRACE_EXPORTER : COMPONENT.otlpGrpcExporter],
  });
  const extensions: ConfigMap = {
    [COMPONENT.healthCheck]: healthCheck(opts),
    [COMPONENT.fileStorage]: { directory: opts.storageDir, create_directory: true, fsync: true },
  };
  if (opts.bearerTokenFile !== undefined) extensions[COMPONENT.bearerTokenAuth] = { filename: opts.bearerTokenFile };
  return {
    extensions,
    receivers,
    processors,
    exporters,
    service: {
      extensions: Object.keys(extensions),
      telemetry: ownTelemetry(opts),
      pipelines: { metrics: pipeline('metrics'), logs: pipeline('logs'), traces: pipeline('traces') },
    },
  };
}
