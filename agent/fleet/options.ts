import { ConfigError, parseDuration } from '../config.js';

// The flags of `collector-config`, checked and turned into the typed inputs the config builders
// take. Every error names the flag, the value and what is expected, and the CLI exits 2 on it.

export type CollectorRole = 'node' | 'gateway';
export type OutputFormat = 'collector' | 'operator';

/** Client-side TLS towards a backend or the gateway: absent means plaintext. */
export interface ClientTls {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** Server-side TLS of the OTLP receiver; a client CA makes it mutual TLS. */
export interface ServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile?: string;
}

/** A gRPC endpoint as otelcol writes it (host:port) and whether it is reached over TLS. */
export interface GrpcEndpoint {
  readonly hostPort: string;
  readonly tls: ClientTls | undefined;
}

/** An HTTP endpoint (URL) and its TLS, present exactly when the URL is https. */
export interface HttpEndpoint {
  readonly url: string;
  readonly tls: ClientTls | undefined;
}

export interface CommonOptions {
  readonly format: OutputFormat;
  readonly otlpGrpcListen: string;
  readonly otlpHttpListen: string;
  readonly healthListen: string;
  readonly telemetryListen: string;
  /** The memory the collector may use (a pod's limit); the memory_limiter and queues derive from it. */
  readonly memoryLimitMib: number;
  readonly receiverTls: ServerTls | undefined;
  /**
   * A file holding the bearer token of the gateway's OTLP receivers: the gateway requires it, a
   * node sends it.
   */
  readonly bearerTokenFile: string | undefined;
}

export interface NodeOptions extends CommonOptions {
  readonly role: 'node';
  readonly gateway: GrpcEndpoint;
  readonly storageDir: string;
  readonly hostMetrics: boolean;
}

export interface GatewayOptions extends CommonOptions {
  readonly role: 'gateway';
  readonly prometheus: HttpEndpoint;
  readonly loki: HttpEndpoint | undefined;
  readonly tempo: GrpcEndpoint | undefined;
  readonly slowTraceThresholdMs: number;
  readonly samplingPercentage: number;
}

export type CollectorOptions = NodeOptions | GatewayOptions;

/** The flags as commander hands them over (all strings; booleans for switches). */
export interface CollectorFlags {
  role?: string;
  format?: string;
  gateway?: string;
  gatewayCaFile?: string;
  gatewayCertFile?: string;
  gatewayKeyFile?: string;
  prometheusUrl?: string;
  lokiUrl?: string;
  tempoEndpoint?: string;
  backendCaFile?: string;
  backendCertFile?: string;
  backendKeyFile?: string;
  otlpGrpcListen?: string;
  otlpHttpListen?: string;
  healthListen?: string;
  telemetryListen?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsClientCaFile?: string;
  storageDir?: string;
  hostmetrics?: boolean;
  memoryLimitMib?: string;
  bearerTokenFile?: string;
  slowTraceThreshold?: string;
  samplingPercentage?: string;
}

/** Where the node's persistent queue lives by default: Homebrew's var on a Mac, /var/lib in a pod. */
export const DEFAULT_STORAGE_DIR: Readonly<Record<OutputFormat, string>> = {
  collector: '/opt/homebrew/var/lib/otelcol-contrib/queue',
  operator: '/var/lib/otelcol/queue',
};

/** The design's memory per collector: 512 MiB on a node, 2 GiB per gateway replica. */
export const DEFAULT_MEMORY_LIMIT_MIB: Readonly<Record<CollectorRole, number>> = { node: 512, gateway: 2048 };

function parseHostPort(flag: string, value: string): string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : 0;
  if (!match || port < 1 || port > 65535) {
    throw new ConfigError(`invalid value "${value}" for ${flag}: expected host:port with a port from 1 to 65535, e.g. 0.0.0.0:4317`);
  }
  return value;
}

function parseUrl(flag: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`invalid value "${value}" for ${flag}: expected an http:// or https:// URL, e.g. http://prometheus:9090/api/v1/write`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`invalid value "${value}" for ${flag}: the scheme must be http: or https:, not ${url.protocol}`);
  }
  if (url.hostname === '') throw new ConfigError(`invalid value "${value}" for ${flag}: the URL has no host`);
  return url;
}

function hasTlsFiles(tls: ClientTls): boolean {
  return tls.caFile !== undefined || tls.certFile !== undefined || tls.keyFile !== undefined;
}

function checkClientCertPair(prefix: string, tls: ClientTls): void {
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new ConfigError(`--${prefix}-cert-file and --${prefix}-key-file go together (a client certificate needs its key): give both or neither`);
  }
}

/**
 * A gRPC endpoint given as host:port (plaintext unless TLS files are given) or as a URL, where
 * https:// means TLS and http:// means plaintext.
 */
function parseGrpcEndpoint(flag: string, value: string, tls: ClientTls, tlsPrefix: string): GrpcEndpoint {
  if (value.includes('://')) {
    const url = parseUrl(flag, value);
    if (url.port === '') throw new ConfigError(`invalid value "${value}" for ${flag}: give the port, e.g. ${url.protocol}//${url.hostname}:4317`);
    if (url.pathname !== '/' && url.pathname !== '') throw new ConfigError(`invalid value "${value}" for ${flag}: a gRPC endpoint has no path; give ${url.protocol}//${url.host}`);
    if (url.protocol === 'http:' && hasTlsFiles(tls)) {
      throw new ConfigError(`${flag} ${value} is plaintext (http://) but --${tlsPrefix}-* TLS files were given: use https:// or drop the TLS files`);
    }
    return { hostPort: url.host, tls: url.protocol === 'https:' ? tls : undefined };
  }
  return { hostPort: parseHostPort(flag, value), tls: hasTlsFiles(tls) ? tls : undefined };
}

function parseHttpEndpoint(flag: string, value: string, tls: ClientTls): HttpEndpoint {
  const url = parseUrl(flag, value);
  return { url: url.href.replace(/\/$/, ''), tls: url.protocol === 'https:' ? tls : undefined };
}

function parseNumber(flag: string, value: string, min: number, max: number, unit: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(`invalid value "${value}" for ${flag}: expected a number of ${unit} from ${min} to ${max}`);
  }
  return n;
}

function requireFlag(value: string | undefined, flag: string, role: CollectorRole, example: string): string {
  if (value === undefined || value.trim() === '') {
    throw new ConfigError(`--role ${role} needs ${flag}, e.g. ${flag} ${example}`);
  }
  return value;
}

/** The command-line spelling of a flag: gatewayCaFile -> --gateway-ca-file. */
export function flagName(key: keyof CollectorFlags): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function rejectFlags(flags: CollectorFlags, role: CollectorRole, names: readonly (keyof CollectorFlags)[]): void {
  const stray = names.find((name) => flags[name] !== undefined);
  if (stray !== undefined) throw new ConfigError(`${flagName(stray)} does not apply to --role ${role}; see macos-agent collector-config --help`);
}

function receiverTls(flags: CollectorFlags): ServerTls | undefined {
  const { tlsCertFile: certFile, tlsKeyFile: keyFile, tlsClientCaFile: clientCaFile } = flags;
  if (certFile === undefined && keyFile === undefined) {
    if (clientCaFile !== undefined) throw new ConfigError('--tls-client-ca-file needs --tls-cert-file and --tls-key-file: mutual TLS is TLS plus client certificates');
    return undefined;
  }
  if (certFile === undefined || keyFile === undefined) {
    throw new ConfigError('--tls-cert-file and --tls-key-file go together (the receiver needs its certificate and key): give both or neither');
  }
  return { certFile, keyFile, ...(clientCaFile !== undefined ? { clientCaFile } : {}) };
}

function clientTls(ca: string | undefined, cert: string | undefined, key: string | undefined): ClientTls {
  return { ...(ca !== undefined ? { caFile: ca } : {}), ...(cert !== undefined ? { certFile: cert } : {}), ...(key !== undefined ? { keyFile: key } : {}) };
}

function absolutePath(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && !value.startsWith('/')) throw new ConfigError(`invalid value "${value}" for ${flag}: expected an absolute path`);
  return value;
}

/** The pod's own IP in an operator resource's config (env POD_IP from status.podIP). */
export const POD_IP = '${env:POD_IP}';

/** The design's slow-trace threshold: a trace longer than 1 s is always kept. */
export const DEFAULT_SLOW_TRACE_THRESHOLD_MS = 1000;
/** The design's share of the other traces kept. */
export const DEFAULT_SAMPLING_PERCENTAGE = 10;

/** Checks the flags for `--role` and returns the options the builders take; throws ConfigError. */
export function parseCollectorFlags(flags: CollectorFlags): CollectorOptions {
  const role = flags.role;
  if (role !== 'node' && role !== 'gateway') {
    throw new ConfigError(`invalid value "${role ?? ''}" for --role: expected node or gateway`);
  }
  const format = flags.format ?? 'collector';
  if (format !== 'collector' && format !== 'operator') {
    throw new ConfigError(`invalid value "${format}" for --format: expected collector (plain otelcol YAML) or operator (an OpenTelemetryCollector resource)`);
  }
  // A node collector on a Mac serves only local clients; in a pod, and on the gateway, other hosts connect.
  const listenHost = role === 'node' && format === 'collector' ? '127.0.0.1' : '0.0.0.0';
  const localHost = format === 'operator' ? POD_IP : listenHost;
  const common: CommonOptions = {
    format,
    otlpGrpcListen: parseHostPort('--otlp-grpc-listen', flags.otlpGrpcListen ?? `${listenHost}:4317`),
    otlpHttpListen: parseHostPort('--otlp-http-listen', flags.otlpHttpListen ?? `${listenHost}:4318`),
    // In a pod, health and self-metrics need only the pod's own address (the kubelet and
    // Prometheus reach it there); the operator resource sets POD_IP from the downward API.
    healthListen: flags.healthListen === undefined ? `${localHost}:13133` : parseHostPort('--health-listen', flags.healthListen),
    telemetryListen: flags.telemetryListen === undefined ? `${localHost}:8888` : parseHostPort('--telemetry-listen', flags.telemetryListen),
    memoryLimitMib: flags.memoryLimitMib === undefined ? DEFAULT_MEMORY_LIMIT_MIB[role] : parseNumber('--memory-limit-mib', flags.memoryLimitMib, 64, 1_048_576, 'MiB'),
    receiverTls: receiverTls(flags),
    bearerTokenFile: absolutePath('--bearer-token-file', flags.bearerTokenFile),
  };

  if (role === 'node') {
    rejectFlags(flags, role, ['prometheusUrl', 'lokiUrl', 'tempoEndpoint', 'backendCaFile', 'backendCertFile', 'backendKeyFile', 'slowTraceThreshold', 'samplingPercentage']);
    const tls = clientTls(flags.gatewayCaFile, flags.gatewayCertFile, flags.gatewayKeyFile);
    checkClientCertPair('gateway', tls);
    const gateway = parseGrpcEndpoint('--gateway', requireFlag(flags.gateway, '--gateway', role, 'gateway.example.net:4317'), tls, 'gateway');
    if (format === 'operator' && !/^[a-z0-9-]+\.[a-z0-9-]+(\.[a-z0-9.-]+)?:[0-9]+$/.test(gateway.hostPort)) {
      throw new ConfigError(`invalid value "${flags.gateway ?? ''}" for --gateway with --format operator: expected the gateway's Service as NAME.NAMESPACE:PORT, e.g. macos-agent-gateway-collector.observability:4317 (traces go to NAME-headless by trace ID)`);
    }
    const storageDir = flags.storageDir ?? DEFAULT_STORAGE_DIR[format];
    if (!storageDir.startsWith('/')) throw new ConfigError(`invalid value "${storageDir}" for --storage-dir: expected an absolute path`);
    return { ...common, role, gateway, storageDir, hostMetrics: flags.hostmetrics === true };
  }

  rejectFlags(flags, role, ['gateway', 'gatewayCaFile', 'gatewayCertFile', 'gatewayKeyFile', 'storageDir', 'hostmetrics']);
  const tls = clientTls(flags.backendCaFile, flags.backendCertFile, flags.backendKeyFile);
  checkClientCertPair('backend', tls);
  const prometheus = parseHttpEndpoint('--prometheus-url', requireFlag(flags.prometheusUrl, '--prometheus-url', role, 'http://prometheus:9090/api/v1/write'), tls);
  const loki = flags.lokiUrl === undefined ? undefined : parseHttpEndpoint('--loki-url', flags.lokiUrl, tls);
  const tempo = flags.tempoEndpoint === undefined ? undefined : parseGrpcEndpoint('--tempo-endpoint', flags.tempoEndpoint, tls, 'backend');
  if (hasTlsFiles(tls) && prometheus.tls === undefined && loki?.tls === undefined && tempo?.tls === undefined) {
    throw new ConfigError('--backend-* TLS files were given but no backend is reached over TLS: use https:// in --prometheus-url, --loki-url or --tempo-endpoint');
  }
  const slowTraceThresholdMs = flags.slowTraceThreshold === undefined ? DEFAULT_SLOW_TRACE_THRESHOLD_MS : parseDuration(flags.slowTraceThreshold);
  if (slowTraceThresholdMs === undefined || slowTraceThresholdMs < 1) {
    throw new ConfigError(`invalid value "${flags.slowTraceThreshold ?? ''}" for --slow-trace-threshold: expected a duration such as 500ms, 2s or 1m`);
  }
  const samplingPercentage = flags.samplingPercentage === undefined ? DEFAULT_SAMPLING_PERCENTAGE : parseNumber('--sampling-percentage', flags.samplingPercentage, 0, 100, 'percent');
  return { ...common, role, prometheus, loki, tempo, slowTraceThresholdMs, samplingPercentage };
}
