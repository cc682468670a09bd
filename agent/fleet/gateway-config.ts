import { COMPONENT } from './components.js';
import {
  clientTlsBlock, healthCheck, memoryLimiter, otlpReceiver, ownTelemetry, retryOnFailure, sendingQueue,
  type CollectorConfig, type ConfigMap, type Pipeline,
} from './config-parts.js';
import type { GatewayOptions } from './options.js';

const LOKI_EXPORTER = `${COMPONENT.otlpHttpExporter}/loki`;
const TEMPO_EXPORTER = `${COMPONENT.otlpGrpcExporter}/tempo`;

/** In-memory batches per backend while it is away; the nodes' disk queues hold the rest. */
const GATEWAY_QUEUE_BATCHES = 10_000;

/**
 * Loki takes OTLP at /otlp (the exporter appends /v1/logs); a bare http://loki:3100 is given that
 * path, any other path is kept as written.
 */
export function lokiOtlpUrl(url: string): string {
  return new URL(url).pathname === '/' ? `${url}/otlp` : url;
}

/**
 * The fleet's gateway: receives from every node collector, samples traces by their tail, and
 * writes metrics to Prometheus (remote write), logs to Loki (OTLP/HTTP) and traces to Tempo
 * (OTLP/gRPC). Logs and traces pipelines exist only when their backend is given.
 */
export function buildGatewayConfig(opts: GatewayOptions): CollectorConfig {
  const processors: ConfigMap = { [COMPONENT.memoryLimiter]: memoryLimiter(opts) };
  const exporters: ConfigMap = {
    [COMPONENT.prometheusRemoteWrite]: {
      endpoint: opts.prometheus.url,
      tls: clientTlsBlock(opts.prometheus.tls),
      // Resource attributes (host.name, host.arch, os.type ...) become labels on every series, so
      // dashboards and alerts can select and group by host_name without joining target_info.
      resource_to_telemetry_conversion: { enabled: true },
      target_info: { enabled: false },
      // This exporter has its own queue instead of sending_queue.
      remote_write_queue: { enabled: true, queue_size: GATEWAY_QUEUE_BATCHES, num_consumers: 5 },
      retry_on_failure: retryOnFailure('10m'),
    },
  };
  const pipelines: Record<string, Pipeline> = {
    metrics: { receivers: [COMPONENT.otlpReceiver], processors: [COMPONENT.memoryLimiter], exporters: [COMPONENT.prometheusRemoteWrite] },
  };
  if (opts.loki !== undefined) {
    exporters[LOKI_EXPORTER] = {
      endpoint: lokiOtlpUrl(opts.loki.url),
      tls: clientTlsBlock(opts.loki.tls),
      sending_queue: sendingQueue(GATEWAY_QUEUE_BATCHES),
      retry_on_failure: retryOnFailure('10m'),
    };
    pipelines['logs'] = { receivers: [COMPONENT.otlpReceiver], processors: [COMPONENT.memoryLimiter], exporters: [LOKI_EXPORTER] };
  }
  if (opts.tempo !== undefined) {
    processors[COMPONENT.tailSampling] = {
      decision_wait: '10s',
      num_traces: 50_000,
      expected_new_traces_per_sec: 100,
      // A trace is kept when any policy keeps it.
      policies: [
        { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
        { name: 'slow', type: 'latency', latency: { threshold_ms: opts.slowTraceThresholdMs } },
        { name: 'probabilistic', type: 'probabilistic', probabilistic: { sampling_percentage: opts.samplingPercentage } },
      ],
    };
    exporters[TEMPO_EXPORTER] = {
      endpoint: opts.tempo.hostPort,
      tls: clientTlsBlock(opts.tempo.tls),
      compression: 'gzip',
      sending_queue: sendingQueue(GATEWAY_QUEUE_BATCHES),
      retry_on_failure: retryOnFailure('10m'),
    };
    pipelines['traces'] = { receivers: [COMPONENT.otlpReceiver], processors: [COMPONENT.memoryLimiter, COMPONENT.tailSampling], exporters: [TEMPO_EXPORTER] };
  }
  return {
    extensions: { [COMPONENT.healthCheck]: healthCheck(opts) },
    receivers: { [COMPONENT.otlpReceiver]: otlpReceiver(opts) },
    processors,
    exporters,
    service: {
      extensions: [COMPONENT.healthCheck],
      telemetry: ownTelemetry(opts),
      pipelines,
    },
  };
}
