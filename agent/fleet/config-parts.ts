import type { ClientTls, CommonOptions, ServerTls } from './options.js';

// Pieces both collector roles share: the OTLP receiver, memory_limiter, health_check, the
// Collector's own telemetry, TLS blocks and the exporter queue and retry settings.

export type ConfigMap = { [key: string]: ConfigValue };
export type ConfigValue = string | number | boolean | readonly ConfigValue[] | ConfigMap;

export interface Pipeline {
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

/** An otelcol configuration document. */
export interface CollectorConfig {
  readonly extensions: ConfigMap;
  readonly receivers: ConfigMap;
  readonly processors: ConfigMap;
  readonly exporters: ConfigMap;
  readonly service: {
    readonly extensions: readonly string[];
    readonly telemetry: ConfigMap;
    readonly pipelines: Readonly<Record<string, Pipeline>>;
  };
}

/** `tls:` of an exporter: plaintext when no TLS was asked for, else the CA and client certificate given. */
export function clientTlsBlock(tls: ClientTls | undefined): ConfigMap {
  if (tls === undefined) return { insecure: true };
  return {
    ...(tls.caFile !== undefined ? { ca_file: tls.caFile } : {}),
    ...(tls.certFile !== undefined ? { cert_file: tls.certFile } : {}),
    ...(tls.keyFile !== undefined ? { key_file: tls.keyFile } : {}),
  };
}

function serverTlsBlock(tls: ServerTls): ConfigMap {
  return {
    cert_file: tls.certFile,
    key_file: tls.keyFile,
    ...(tls.clientCaFile !== undefined ? { client_ca_file: tls.clientCaFile } : {}),
  };
}

export function otlpReceiver(opts: CommonOptions): ConfigMap {
  const tls: ConfigMap = opts.receiverTls === undefined ? {} : { tls: serverTlsBlock(opts.receiverTls) };
  return {
    protocols: {
      grpc: { endpoint: opts.otlpGrpcListen, ...tls },
      http: { endpoint: opts.otlpHttpListen, ...tls },
    },
  };
}

/** memory_limiter by MiB: limit_percentage only works under Linux cgroups, and the node runs on macOS. */
export function memoryLimiter(opts: CommonOptions): ConfigMap {
  return {
    check_interval: '1s',
    limit_mib: opts.memoryLimitMib,
    spike_limit_mib: Math.floor(opts.memoryLimitMib / 5),
  };
}

export function healthCheck(opts: CommonOptions): ConfigMap {
  return { endpoint: opts.healthListen };
}

/** The Collector's own metrics (otelcol_*), served for Prometheus to scrape. */
export function ownTelemetry(opts: CommonOptions): ConfigMap {
  const i = opts.telemetryListen.lastIndexOf(':');
  return {
    metrics: {
      level: 'normal',
      readers: [{ pull: { exporter: { prometheus: { host: opts.telemetryListen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(opts.telemetryListen.slice(i + 1)) } } } }],
    },
  };
}

/** Retries with backoff; `maxElapsed` 0s never gives up (the queue bounds what is kept). */
export function retryOnFailure(maxElapsed: string): ConfigMap {
  return { enabled: true, initial_interval: '5s', max_interval: '30s', max_elapsed_time: maxElapsed };
}

/**
 * The exporter queue, which also does the batching the batch processor used to do
 * (sending_queue.batch). The queue counts requests; batches are sized in items (points,
 * spans, log records).
 */
export function sendingQueue(queueSize: number, storage?: string): ConfigMap {
  return {
    enabled: true,
    num_consumers: 4,
    sizer: 'requests',
    queue_size: queueSize,
    ...(storage !== undefined ? { storage } : {}),
    batch: { flush_timeout: '1s', sizer: 'items', min_size: 2000, max_size: 8000 },
  };
}
