import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { logVerbosity, setLogger as setGrpcLogger, setLogVerbosity as setGrpcLogVerbosity } from '@grpc/grpc-js';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { createEmptyMetadata, createInsecureCredentials, createSslCredentials } from '@opentelemetry/otlp-grpc-exporter-base';
import type { Logger } from 'pino';
import { ConfigError, type AgentConfig } from '../config.js';
import { readSafeFile } from '../file-safety.js';
import { VERSION } from '../version.js';
import type { ExportBatch } from './batch.js';
import { createRedactor, type Redactor } from './redact.js';

// Every export goes through OpenTelemetry's OTLPMetricExporter, given everything explicitly from
// the agent's checked config. Each export is one attempt: the exporter does not retry over gRPC,
// and retrying, in order and across restarts, is the export pipeline's job (pipeline.ts).

export type SendResult =
  | { readonly ok: true; readonly rejectedPoints: number; readonly rejectMessage?: string }
  | {
    readonly ok: false;
    readonly message: string;
    readonly status: string;
    readonly retryable: boolean;
    /** For an answer no retry will change: how the collector refused, and what to fix (logged once, as a configuration error). */
    readonly refusal?: Refusal;
  };

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
      if (key.endsWith('-bin')) {
        throw new ConfigError(`${origin}: header ${key} ends in -bin, which gRPC reserves for binary values — rename the header`);
      }
      // gRPC sends text metadata as printable ASCII only; the value itself is not shown (it may be a secret).
      if (!/^[\x20-\x7e]*$/.test(value)) {
        throw new ConfigError(`${origin}: the value of header ${key} holds a character gRPC cannot send (only printable ASCII; percent-encode anything else) — the value is not shown: it may hold a secret`);
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

const GRPC_STATUS_NAMES: readonly string[] = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

export interface Refusal {
  readonly as: string;
  readonly fix: string;
}

/**
 * Answers no retry will change: the OTLP specification's non-retryable codes that mean the agent is
 * misconfigured (or its data invalid). Each names the fix; the batch is counted as rejected.
 */
const PERMANENT_FAILURES: Readonly<Record<string, Refusal>> = {
  UNAUTHENTICATED: { as: 'as unauthenticated', fix: 'the collector does not accept the agent\'s credentials — fix the authorization header in exporter.headers_file (or OTEL_EXPORTER_OTLP_HEADERS) and restart the agent' },
  PERMISSION_DENIED: { as: 'as not permitted', fix: 'the agent\'s credentials may not send metrics to this collector — grant them write access in the collector\'s authentication, or configure other credentials in exporter.headers_file' },
  UNIMPLEMENTED: { as: 'as an unknown service', fix: 'the endpoint does not serve OTLP metrics over gRPC — point exporter.endpoint at the collector\'s OTLP/gRPC receiver (usually port 4317) with a metrics pipeline' },
  INVALID_ARGUMENT: { as: 'as invalid', fix: 'the collector refused the data itself as invalid — check the collector\'s log for the reason; a newer collector may be needed' },
};

/**
 * Every other answer keeps the batch for a retry: the OTLP specification's retryable codes, and
 * also INTERNAL and UNKNOWN, which grpc-js reports for local transport faults (a stream broken
 * mid-answer), and RESOURCE_EXHAUSTED without retry information (a collector's memory limiter says
 * no more): losing data on those would break the spool's promise, and the queue's bounds
 * (queue.max_bytes, queue.max_age) limit what they hold.
 */
export function classifyStatus(code: number | undefined): { status: string; refusal?: Refusal } {
  const status = code === undefined ? 'ERROR' : GRPC_STATUS_NAMES[code] ?? `STATUS_${code}`;
  const refusal = PERMANENT_FAILURES[status];
  return refusal === undefined ? { status } : { status, refusal };
}

/** The options OTLPMetricExporter takes, derived from its constructor rather than from its internal packages. */
type OtlpExporterConfig = NonNullable<ConstructorParameters<typeof OTLPMetricExporter>[0]>;

/**
 * OTLPMetricExporter also reads the OTEL_EXPORTER_OTLP_* variables, and would add headers from
 * them that the agent's own precedence (file < environment < flags) overrode. It reads them only
 * while it is constructed, so they are hidden for that moment: its whole configuration is what the
 * agent passes.
 */
function withoutOtlpEnvironment<T>(construct: () => T): T {
  const hidden = Object.entries(process.env).filter(([name]) => name.startsWith('OTEL_EXPORTER_OTLP_'));
  for (const [name] of hidden) delete process.env[name];
  try {
    return construct();
  } finally {
    for (const [name, value] of hidden) process.env[name] = value;
  }
}

function createExporter(settings: ExporterSettings): OTLPMetricExporter {
  const metadata = createEmptyMetadata();
  for (const [name, value] of settings.headers) metadata.set(name, value);
  const config: OtlpExporterConfig = {
    url: settings.endpoint,
    credentials: settings.tls ? createSslCredentials(settings.ca, settings.key, settings.cert) : createInsecureCredentials(),
    metadata,
    compression: settings.compression as OtlpExporterConfig['compression'],
    timeoutMillis: settings.timeoutMs,
    userAgent: `macos-agent/${VERSION}`,
  };
  // grpc-js's defaults bound what a collector can send back: an answer over 4 MiB
  // (grpc.max_receive_message_length), compressed or not, fails the call as RESOURCE_EXHAUSTED.
  return withoutOtlpEnvironment(() => new OTLPMetricExporter(config));
}

/** What OTLPMetricExporter says of a partial success, which it reports only through the diagnostic logger. */
const PARTIAL_SUCCESS = 'Received Partial Success response:';

interface PartialSuccess {
  readonly rejectedPoints: number;
  readonly message?: string;
}

function parsePartialSuccess(json: unknown): PartialSuccess {
  try {
    const parsed = JSON.parse(String(json)) as { rejectedDataPoints?: unknown; errorMessage?: unknown };
    const rejected = Number(parsed.rejectedDataPoints ?? 0);
    return {
      rejectedPoints: Number.isSafeInteger(rejected) && rejected > 0 ? rejected : 0,
      ...(typeof parsed.errorMessage === 'string' && parsed.errorMessage !== '' ? { message: parsed.errorMessage } : {}),
    };
  } catch {
    return { rejectedPoints: 0 };
  }
}

function describeArgs(args: unknown[]): string {
  return args.map((a) => (a instanceof Error ? a.message
    : typeof a === 'string' ? a
    : a instanceof Uint8Array ? `(${a.length} bytes)`
    : JSON.stringify(a) ?? String(a))).join(' ');
}

/**
 * grpc-js's own log, errors only, routed into the agent's log, redacted: it would otherwise print
 * to stderr, and one of its messages quotes response headers a collector sent.
 */
function routeGrpcLog(log: Logger, redact: Redactor): void {
  setGrpcLogVerbosity(logVerbosity.ERROR);
  setGrpcLogger({ error: (...args: unknown[]) => log.error({ component: 'grpc' }, `gRPC: ${redact(describeArgs(args))}`) });
}

/**
 * OpenTelemetry's diagnostic logger, routed into the agent's log, redacted. Its debug and verbose
 * levels stay off: they print whole batches.
 */
function diagnosticsInto(log: Logger, redact: Redactor, onPartialSuccess: (p: PartialSuccess) => void): DiagLogger {
  const line = (level: 'error' | 'warn' | 'info') => (message: string, ...args: unknown[]): void => {
    if (message === PARTIAL_SUCCESS) {
      onPartialSuccess(parsePartialSuccess(args[0]));
      return;
    }
    const text = redact(args.length > 0 ? `${message} ${describeArgs(args)}` : message);
    log[level]({ component: 'opentelemetry' }, `OpenTelemetry: ${text}`);
  };
  const ignore = (): void => {};
  return { error: line('error'), warn: line('warn'), info: line('info'), debug: ignore, verbose: ignore };
}

interface ServiceErrorLike {
  readonly code?: unknown;
  readonly details?: unknown;
  readonly message?: unknown;
}

/**
 * Sends batches with OTLPMetricExporter, one at a time (the pipeline never overlaps sends), and
 * reports each outcome as the pipeline needs it. Collector messages are redacted of the configured
 * header values and of any Bearer/Basic credential before they leave here. One sender per process:
 * it takes over OpenTelemetry's global diagnostic logger, the only place partial success is
 * reported, and grpc-js's logger.
 */
export function createOtlpSender(settings: ExporterSettings, log: Logger): OtlpSender {
  const redact = createRedactor(settings.headers.values());
  let partial: PartialSuccess | undefined;
  routeGrpcLog(log, redact);
  diag.setLogger(diagnosticsInto(log, redact, (p) => { partial = p; }), { logLevel: DiagLogLevel.INFO, suppressOverrideMessage: true });
  let exporter = createExporter(settings);
  let freshChannel = false;

  const exportOnce = (batch: ExportBatch): Promise<ExportResult> => new Promise((resolve) => exporter.export(batch.resourceMetrics, resolve));

  return {
    async send(batch) {
      if (freshChannel) {
        // After UNAVAILABLE or a missed deadline the connection itself may be what failed. grpc-js
        // would wait out its own reconnect backoff (up to two minutes) before trying again, hiding a
        // collector that is back; a new exporter starts on a new channel at once.
        freshChannel = false;
        const old = exporter;
        exporter = createExporter(settings);
        await old.shutdown();
      }
      partial = undefined;
      const result = await exportOnce(batch);
      if (result.code === ExportResultCode.SUCCESS) {
        const p = partial as PartialSuccess | undefined;
        return { ok: true, rejectedPoints: p?.rejectedPoints ?? 0, ...(p?.message !== undefined ? { rejectMessage: redact(p.message) } : {}) };
      }
      const error = (result.error ?? {}) as ServiceErrorLike;
      const code = typeof error.code === 'number' ? error.code : undefined;
      const { status, refusal } = classifyStatus(code);
      if (status === 'UNAVAILABLE' || status === 'DEADLINE_EXCEEDED') freshChannel = true;
      const said = typeof error.details === 'string' && error.details !== '' ? error.details
        : typeof error.message === 'string' && error.message !== '' ? error.message : `${settings.endpoint} answered ${status}`;
      return { ok: false, status, message: redact(said), retryable: refusal === undefined, ...(refusal !== undefined ? { refusal } : {}) };
    },
    shutdown: () => exporter.shutdown(),
  };
}
