// The otelcol-contrib component types the generated configs use, in one place. The Collector
// renamed several to lower_snake_case (the old names remain as deprecated aliases that log a
// warning): `otlp` exporter -> `otlp_grpc` and `otlphttp` -> `otlp_http` (core v0.144.0),
// `resourcedetection` -> `resource_detection` (contrib PR #48525) and `prometheusremotewrite` ->
// `prometheus_remote_write` (contrib PR #48705, released in v0.154.0). The `loki` exporter is
// gone from the contrib distribution: logs go to Loki's native OTLP endpoint over `otlp_http`.

/** Oldest otelcol-contrib release that knows every component name below. */
export const MIN_COLLECTOR_VERSION = '0.154.0';

/** The image the OpenTelemetry Operator resources run. */
export const COLLECTOR_IMAGE = `otel/opentelemetry-collector-contrib:${MIN_COLLECTOR_VERSION}`;

export const COMPONENT = {
  otlpReceiver: 'otlp',
  hostMetricsReceiver: 'hostmetrics',
  memoryLimiter: 'memory_limiter',
  resourceDetection: 'resource_detection',
  tailSampling: 'tail_sampling',
  otlpGrpcExporter: 'otlp_grpc',
  otlpHttpExporter: 'otlp_http',
  prometheusRemoteWrite: 'prometheus_remote_write',
  fileStorage: 'file_storage',
  healthCheck: 'health_check',
} as const;
