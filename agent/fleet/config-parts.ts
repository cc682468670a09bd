import type { ClientTls, CommonOptions, ServerTls } from './options.js';
import { BATCH_MAX_BYTES, BATCH_MIN_BYTES, GRPC_MAX_RECV_MSG_SIZE_MIB, MIB, type MemoryBudget } from './sizing.js';

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

/**
 * The OTLP receiver. Its gRPC message limit and HTTP body limit are stated, and match the batch
 * bound every exporter here uses. `auth` names an authenticator extension (bearer token).
 */
export function otlpReceiver(opts: CommonOptions, auth?: string): ConfigMap {
  const tls: ConfigMap = opts.receiverTls === undefined ? {} : { tls: serverTlsBlock(opts.receiverTls) };
  const authBlock: ConfigMap = auth === undefined ? {} : { auth: { authenticator: auth } };
  return {
    protocols: {
      grpc: { endpoint: opts.otlpGrpcListen, max_recv_msg_size_mib: GRPC_MAX_RECV_MSG_SIZE_MIB, ...tls, ...authBlock },
      http: { endpoint: opts.otlpHttpListen, max_request_body_size: GRPC_MAX_RECV_MSG_SIZE_MIB * MIB, ...tls, ...authBlock },
    },
  };
}

/** memory_limiter by MiB (its percentage mode needs Linux cgroups, and a Mac has none). */
export function memoryLimiter(budget: MemoryBudget): ConfigMap {
  return { check_interval: '1s', limit_mib: budget.limiterMib, spike_limit_mib: budget.spikeMib };
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

/** Batches bounded in bytes below the receivers' gRPC limit (see sizing.ts). */
export function byteBatches(): ConfigMap {
  return { flush_timeout: '1s', sizer: 'bytes', min_size: BATCH_MIN_BYTES, max_size: BATCH_MAX_BYTES };
}

/**
 * The exporter queue, which also does the batching the batch processor used to do
 * (sending_queue.batch, bounded in bytes). An in-memory queue is bounded in bytes too; a
 * persistent one (on `storage`) counts requests, each at most one batch.
 */
export function sendingQueue(bound: { readonly bytes: number } | { readonly requests: number; readonly storage: string }): ConfigMap {
  const size: ConfigMap = 'bytes' in bound
    ? { sizer: 'bytes', queue_size: bound.bytes }
    : { sizer: 'requests', queue_size: bound.requests, storage: bound.storage };
  return { enabled: true, num_consumers: 4, ...size, batch: byteBatches() };
}
