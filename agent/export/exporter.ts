import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { ProtobufMetricsSerializer, type IExportMetricsServiceResponse } from '@opentelemetry/otlp-transformer';
import { ConfigError, type AgentConfig } from '../config.js';
import { readSafeFile } from '../file-safety.js';
import { VERSION } from '../version.js';
import { GRPC_STATUS, GrpcUnaryClient } from './grpc-client.js';

// A batch is serialised once, before it is sent, so a batch that fails can be queued and spooled
// as the exact bytes to re-send, and the collector's answer (partial success) is counted. Each
// export is one attempt; retrying is the export queue's job.

const EXPORT_METHOD = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

export interface ExportBatch {
  /** An encoded ExportMetricsServiceRequest. */
  readonly payload: Uint8Array;
  /** Data points in the request, for counting what is delivered or dropped. */
  readonly points: number;
}

export type SendResult =
  | { readonly ok: true; readonly rejectedPoints: number; readonly rejectMessage?: string }
  | { readonly ok: false; readonly message: string; readonly status?: string; readonly retryable: boolean };

export interface OtlpSender {
  send(batch: ExportBatch): Promise<SendResult>;
  shutdown(): Promise<void>;
}

/** Everything needed to open the gRPC channel, checked and loaded at start. */
export interface ExporterSettings {
  readonly endpoint: string;
  readonly tls: boolean;
  readonly compression: 'gzip' | 'none';
  readonly timeoutMs: number;
  /** Header names only: the values are secrets and stay inside `headers`. */
  readonly headerNames: readonly string[];
  readonly headers: ReadonlyMap<string, string>;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** Parses `k=v` pairs separated by commas or newlines; `#` starts a comment line. Values are percent-decoded as OTEL_EXPORTER_OTLP_HEADERS requires. */
export function parseHeaders(text: string, origin: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim().startsWith('#')) continue;
    for (const pair of line.split(',')) {
      if (pair.trim() === '') continue;
      const i = pair.indexOf('=');
      const key = i > 0 ? pair.slice(0, i).trim().toLowerCase() : '';
      if (key === '' || !/^[0-9a-z_.-]+$/.test(key)) {
        throw new ConfigError(`${origin}: a header must be name=value with a name of letters, digits, "-", "_" or "." (the bad entry is not shown: it may hold a secret)`);
      }
      const raw = pair.slice(i + 1).trim();
      let value: string;
      try {
        value = decodeURIComponent(raw);
      } catch {
        value = raw;
      }
      out.set(key, value);
    }
  }
  return out;
}

/** Certificates are public and may be shared system files; only the headers and the key are secrets. */
function readConfiguredFile(path: string, key: string, what: string, secret: boolean): Buffer {
  try {
    return readSafeFile(path, { what, secret });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code ?? (error as Error).message;
    throw new ConfigError(`cannot read ${key} ${path}: ${reason} — fix the path or the file's permissions (set by ${key} in the config file or its OTEL_EXPORTER_OTLP_* variable)`);
  }
}

function checkEndpoint(endpoint: string): URL {
  const url = new URL(endpoint);
  if (url.hostname === '') {
    throw new ConfigError(`invalid exporter.endpoint ${JSON.stringify(endpoint)}: no host — write it as http://HOST:PORT, e.g. http://localhost:4317`);
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new ConfigError(`invalid exporter.endpoint ${JSON.stringify(endpoint)}: OTLP/gRPC takes no path (${url.pathname} looks like an OTLP/HTTP URL) — write it as ${url.protocol}//${url.host}, usually port 4317`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError('invalid exporter.endpoint: it holds a user name or password; send credentials as headers (exporter.headers_file) instead');
  }
  return url;
}

/** localhost, 127.0.0.0/8 and ::1: the collector on this Mac. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * `auto` compresses unless the collector is on this Mac: over loopback gzip saves no network and
 * costs CPU twice on the machine being watched (the agent compresses, the collector decompresses).
 */
export function resolveCompression(setting: AgentConfig['exporter']['compression'], url: URL): 'gzip' | 'none' {
  if (setting !== 'auto') return setting;
  return isLoopbackHost(url.hostname) ? 'none' : 'gzip';
}

/**
 * Checks the exporter settings and reads the headers file and TLS files. Throws a ConfigError
 * naming the setting and the fix, so a bad setting stops the agent at start (exit code 2).
 */
export function loadExporterSettings(config: AgentConfig): ExporterSettings {
  const e = config.exporter;
  const url = checkEndpoint(e.endpoint);
  const tls = url.protocol === 'https:';
  const headers = new Map<string, string>();
  if (e.headers_file !== '') {
    const text = readConfiguredFile(e.headers_file, 'exporter.headers_file', 'OTLP headers file', true).toString('utf8');
    for (const [k, v] of parseHeaders(text, `exporter.headers_file ${e.headers_file}`)) headers.set(k, v);
  }
  if (e.headers !== '') {
    for (const [k, v] of parseHeaders(e.headers, 'exporter.headers (OTEL_EXPORTER_OTLP_HEADERS)')) headers.set(k, v);
  }
  const tlsFiles = { ca_file: e.ca_file, cert_file: e.cert_file, key_file: e.key_file };
  const given = Object.entries(tlsFiles).filter(([, p]) => p !== '').map(([k]) => `exporter.${k}`);
  if (!tls && given.length > 0) {
    throw new ConfigError(`${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'} set but exporter.endpoint ${e.endpoint} is plaintext — use https://${url.host} to connect with TLS, or remove the TLS files`);
  }
  if ((e.cert_file === '') !== (e.key_file === '')) {
    throw new ConfigError('exporter.cert_file and exporter.key_file go together (the client certificate and its private key, for mTLS) — set both or neither');
  }
  const ca = e.ca_file !== '' ? readConfiguredFile(e.ca_file, 'exporter.ca_file', 'CA certificate file', false) : undefined;
  const cert = e.cert_file !== '' ? readConfiguredFile(e.cert_file, 'exporter.cert_file', 'client certificate file', false) : undefined;
  const key = e.key_file !== '' ? readConfiguredFile(e.key_file, 'exporter.key_file', 'client key file', true) : undefined;
  if (tls) {
    try {
      // createSecureContext ignores a CA file without any certificate in it, so parse each file first.
      if (ca) new X509Certificate(ca);
      if (cert) new X509Certificate(cert);
      if (key) createPrivateKey(key);
      createSecureContext({ ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) });
    } catch (error) {
      throw new ConfigError(`the TLS files (${given.join(', ')}) are not usable: ${(error as Error).message} — they must be PEM files, and the key must match the certificate`);
    }
  }
  return {
    endpoint: e.endpoint,
    tls,
    compression: resolveCompression(e.compression, url),
    timeoutMs: e.timeout,
    headerNames: [...headers.keys()],
    headers,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
  };
}

/**
 * A batch is worth sending again unless the collector said the data itself is invalid: that
 * answer would repeat forever and hold up everything queued behind it.
 */
function isRetryable(code: number): boolean {
  return code !== GRPC_STATUS.INVALID_ARGUMENT;
}

export function createOtlpSender(settings: ExporterSettings): OtlpSender {
  const client = new GrpcUnaryClient({
    endpoint: settings.endpoint,
    ca: settings.ca,
    cert: settings.cert,
    key: settings.key,
    metadata: settings.headers,
    compression: settings.compression,
    timeoutMs: settings.timeoutMs,
    userAgent: `macos-agent/${VERSION}`,
  });
  return {
    async send(batch) {
      const answer = await client.call(EXPORT_METHOD, batch.payload);
      if (!answer.ok) {
        return { ok: false, message: answer.message, status: answer.status, retryable: isRetryable(answer.code) };
      }
      let response: IExportMetricsServiceResponse;
      try {
        response = ProtobufMetricsSerializer.deserializeResponse(answer.message);
      } catch (error) {
        return { ok: false, message: `cannot decode the collector's ExportMetricsServiceResponse: ${(error as Error).message}`, status: 'INTERNAL', retryable: true };
      }
      const partial = response.partialSuccess;
      const rejected = Number(partial?.rejectedDataPoints ?? 0);
      return { ok: true, rejectedPoints: rejected, ...(partial?.errorMessage ? { rejectMessage: partial.errorMessage } : {}) };
    },
    shutdown: () => client.close(),
  };
}
