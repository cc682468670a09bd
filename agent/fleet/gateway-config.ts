import { COMPONENT } from './components.js';
import {
  clientTlsBlock, healthCheck, memoryLimiter, otlpReceiver, ownTelemetry, retryOnFailure, sendingQueue,
  type CollectorConfig, type ConfigMap, type Pipeline,
} from './config-parts.js';
import type { GatewayOptions } from './options.js';
import { REDACTION, redactionProcessor, TRANSFORM_PII, transformPiiProcessor } from './pii.js';
import { BATCH_MAX_BYTES, memoryBudget } from './sizing.js';

export const LOKI_EXPORTER = `${COMPONENT.otlpHttpExporter}/loki`;
export const TEMPO_EXPORTER = `${COMPONENT.otlpGrpcExporter}/tempo`;

/** How the gateway's queue budget is shared: remote write, Loki and Tempo. */
const QUEUE_SHARES = { prometheus: 0.2, loki: 0.4, tempo: 0.4 } as const;

/** The design's tail-sampling policies: errors, slow traces, and a share of the rest. */
export function tailSamplingProcessor(slowTraceThresholdMs: number, samplingPercentage: number): ConfigMap {
  return {
    decision_wait: '10s',
    num_traces: 50_000,
    expected_new_traces_per_sec: 100,
    // A trace is kept when any policy keeps it.
    policies: [
      { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
      { name: 'slow', type: 'latency', latency: { threshold_ms: slowTraceThresholdMs } },
      { name: 'probabilistic', type: 'probabilistic', probabilistic: { sampling_percentage: samplingPercentage } },
    ],
  };
}

/**
 * Loki takes OTLP at /otlp (the exporter appends /v1/logs); a bare http://loki:3100 is given that
 * path, any other path is kept as written.
 */
export function lokiOtlpUrl(url: string): string {
  return new URL(url).pathname === '/' ? `${url}/otlp` : url;
}

/**
 * The fleet's gateway: receives from the node tier (traces routed by trace ID, so every span of
 * a trace reaches the same replica), scrubs PII, samples traces by their tail, and writes metrics
 * to Prometheus (remote write), logs to Loki (OTLP/HTTP) and traces to Tempo (OTLP/gRPC). Its
 * queues are bounded in bytes within the memory it is given. Logs and traces pipelines exist only
 * when their backend is given.
 */
export function buildGatewayConfig(opts: GatewayOptions): CollectorConfig {
  const budget = memoryBudget(opts.memoryLimitMib);
  const auth = opts.bearerTokenFile === undefined ? undefined : COMPONENT.bearerTokenAuth;
  const processors: ConfigMap = {
    [COMPONENT.memoryLimiter]: memoryLimiter(budget),
    [TRANSFORM_PII]: transformPiiProcessor(),
  };
  const scrub = [COMPONENT.memoryLimiter, TRANSFORM_PII];
  const exporters: ConfigMap = {
    [COMPONENT.prometheusRemoteWrite]: {
      endpoint: opts.prometheus.url,
      tls: clientTlsBlock(opts.prometheus.tls),
      // Resource attributes (host.name, host.arch, os.type ...) become labels on every series, so
      // dashboards and alerts can select and group by host_name without joining target_info.
      resource_to_telemetry_conversion: { enabled: true },
      target_info: { enabled: false },
      max_batch_size_bytes: BATCH_MAX_BYTES,
      // This exporter has its own queue of batches instead of sending_queue.
      remote_write_queue: { enabled: true, queue_size: Math.max(1, Math.floor((budget.queueBytes * QUEUE_SHARES.prometheus) / BATCH_MAX_BYTES)), num_consumers: 5 },
      retry_on_failure: retryOnFailure('10m'),
    },
  };
  const pipelines: Record<string, Pipeline> = {
    metrics: { receivers: [COMPONENT.otlpReceiver], processors: scrub, exporters: [COMPONENT.prometheusRemoteWrite] },
  };
  if (opts.loki !== undefined || opts.tempo !== undefined) processors[REDACTION] = redactionProcessor();
  if (opts.loki !== undefined) {
    exporters[LOKI_EXPORTER] = {
      endpoint: lokiOtlpUrl(opts.loki.url),
      tls: clientTlsBlock(opts.loki.tls),
      sending_queue: sendingQueue({ bytes: Math.floor(budget.queueBytes * QUEUE_SHARES.loki) }),
      retry_on_failure: retryOnFailure('10m'),
    };
    pipelines['logs'] = { receivers: [COMPONENT.otlpReceiver], processors: [...scrub, REDACTION], exporters: [LOKI_EXPORTER] };
  }
  if (opts.tempo !== undefined) {
    processors[COMPONENT.tailSampling] = tailSamplingProcessor(opts.slowTraceThresholdMs, opts.samplingPercentage);
    exporters[TEMPO_EXPORTER] = {
      endpoint: opts.tempo.hostPort,
      tls: clientTlsBlock(opts.tempo.tls),
      compression: 'gzip',
      sending_queue: sendingQueue({ bytes: Math.floor(budget.queueBytes * QUEUE_SHARES.tempo) }),
      retry_on_failure: retryOnFailure('10m'),
    };
    // Sampling first: spans of dropped traces are not scrubbed for nothing.
    pipelines['traces'] = { receivers: [COMPONENT.otlpReceiver], processors: [COMPONENT.memoryLimiter, COMPONENT.tailSampling, TRANSFORM_PII, REDACTION], exporters: [TEMPO_EXPORTER] };
  }
  const extensions: ConfigMap = { [COMPONENT.healthCheck]: healthCheck(opts) };
  if (opts.bearerTokenFile !== undefined) extensions[COMPONENT.bearerTokenAuth] = { filename: opts.bearerTokenFile };
  return {
    extensions,
    receivers: { [COMPONENT.otlpReceiver]: otlpReceiver(opts, auth) },
    processors,
    exporters,
    service: {
      extensions: Object.keys(extensions),
      telemetry: ownTelemetry(opts),
      pipelines,
    },
  };
}
