// The otelcol-contrib component types the generated configs use, in one place. The Collector
// renamed many to lower_snake_case (contrib issue #45339; the old names remain as deprecated
// aliases that log a warning): `otlp` exporter -> `otlp_grpc` and `otlphttp` -> `otlp_http` (core
// v0.144.0), `k8sattributes` -> `k8s_attributes` (contrib PR #45901), `filelog` -> `file_log`
// (contrib PR #46750, v0.149.0), `resourcedetection` -> `resource_detection` (PR #48525),
// `loadbalancing` -> `load_balancing` (PR #48533), `prometheusremotewrite` ->
// `prometheus_remote_write` (PR #48705, v0.154.0) and `hostmetrics` -> `host_metrics`. The `loki`
// exporter is gone from the contrib distribution: logs go to Loki's native OTLP endpoint over
// `otlp_http`.

/**
 * The Collector release every generated config targets: the one the pinned OpenTelemetry Operator
 * chart (opentelemetry-operator 0.122.0, appVersion 0.158.0) ships, so the Macs and the cluster run
 * the same component names.
 */
export const COLLECTOR_VERSION = '0.158.0';

/** Oldest otelcol-contrib release that knows every component name below. */
export const MIN_COLLECTOR_VERSION = COLLECTOR_VERSION;

/** The image the OpenTelemetry Operator resources run: contrib has every component used here. */
export const COLLECTOR_IMAGE = `otel/opentelemetry-collector-contrib:${COLLECTOR_VERSION}`;

/** The contrib image's user (Dockerfile USER 10001): what must be able to write the queue folder. */
export const COLLECTOR_UID = 10001;

export const COMPONENT = {
  otlpReceiver: 'otlp',
  hostMetricsReceiver: 'host_metrics',
  fileLogReceiver: 'file_log',
  memoryLimiter: 'memory_limiter',
  resourceDetection: 'resource_detection',
  k8sAttributes: 'k8s_attributes',
  tailSampling: 'tail_sampling',
  redaction: 'redaction',
  transform: 'transform',
  otlpGrpcExporter: 'otlp_grpc',
  otlpHttpExporter: 'otlp_http',
  loadBalancingExporter: 'load_balancing',
  prometheusRemoteWrite: 'prometheus_remote_write',
  fileStorage: 'file_storage',
  healthCheck: 'health_check',
  bearerTokenAuth: 'bearertokenauth',
} as const;
