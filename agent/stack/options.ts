import { readFileSync, statSync } from 'node:fs';
import { ConfigError, parseDuration } from '../config.js';
import type { AlertWebhook } from './alertmanager.js';
import { DEFAULT_MEMORY_LIMIT_MIB, DEFAULT_SAMPLING_PERCENTAGE, DEFAULT_SLOW_TRACE_THRESHOLD_MS } from '../fleet/options.js';

// The flags of `macos-agent stack`, checked and turned into the typed inputs the builders take.
// Every error names the flag, the value and what is allowed; the CLI exits 2 on it.

/** The design's sizes: Prometheus ~300 GB for 6 nodes (10 GB per node per month, with room), Loki ~20 GB per node per week. */
export const DEFAULT_SIZES = { prometheus: '300Gi', loki: '150Gi', tempo: '50Gi' } as const;
export const DEFAULT_NAMESPACE = 'observability';
export const DEFAULT_GATEWAY_REPLICAS = 2;
/** The design's head sampling of auto-instrumented applications. */
export const DEFAULT_HEAD_SAMPLING_PERCENTAGE = 10;
/** The largest TLS file read (a certificate chain or key). */
const MAX_TLS_FILE_BYTES = 64 * 1024;

export interface StackFlags {
  out?: string;
  namespace?: string;
  gatewayReplicas?: string;
  storageClass?: string;
  prometheusSize?: string;
  lokiSize?: string;
  tempoSize?: string;
  headSamplingPercentage?: string;
  samplingPercentage?: string;
  slowTraceThreshold?: string;
  gatewayMemoryMib?: string;
  nodeMemoryMib?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  tlsSecret?: string;
  bearerTokenSecret?: string;
  alertWebhookUrl?: string;
  alertWebhookTokenSecret?: string;
  macHosts?: string;
  validate?: boolean;
}

/** TLS material in a Secret (keys ca.crt, tls.crt, tls.key): one the user made, or one written from files. */
export interface StackTls {
  readonly secretName: string;
  /** The files' contents when given as files: the stack writes the Secret. */
  readonly files: { readonly ca: string; readonly cert: string; readonly key: string } | undefined;
}

export interface StackOptions {
  readonly out: string;
  readonly namespace: string;
  readonly gatewayReplicas: number;
  readonly storageClass: string | undefined;
  readonly sizes: { readonly prometheus: string; readonly loki: string; readonly tempo: string };
  readonly headSamplingPercentage: number;
  readonly tailSamplingPercentage: number;
  readonly slowTraceThresholdMs: number;
  readonly gatewayMemoryMib: number;
  readonly nodeMemoryMib: number;
  readonly tls: StackTls | undefined;
  readonly bearerTokenSecret: string | undefined;
  /** Where Alertmanager sends the alerts; none: they are kept in Alertmanager, sent nowhere. */
  readonly alertWebhook: AlertWebhook | undefined;
  readonly macHosts: readonly string[];
  readonly validate: boolean;
}

/** A DNS-1123 label: Kubernetes object names, namespaces, storage classes. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A DNS-1123 subdomain: Secret and StorageClass names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
/** A Kubernetes quantity of bytes in binary or decimal units. */
const QUANTITY = /^[1-9][0-9]{0,6}(Ki|Mi|Gi|Ti|K|M|G|T)$/;
/** A host name (RFC 1123). */
const HOST_NAME = /^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*$/;

function integer(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < min || n > max) throw new ConfigError(`invalid value "${value}" for ${flag}: expected a whole number from ${min} to ${max}`);
  return n;
}

function percentage(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) throw new ConfigError(`invalid value "${value}" for ${flag}: expected a percentage from 0 to 100`);
  return n;
}

function name(flag: string, value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new ConfigError(`invalid value "${value}" for ${flag}: expected ${what}`);
  return value;
}

function size(flag: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (!QUANTITY.test(value)) throw new ConfigError(`invalid value "${value}" for ${flag}: expected a size such as 300Gi, 50Gi or 1Ti (a whole number and Ki, Mi, Gi, Ti, K, M, G or T)`);
  return value;
}

function readTlsFile(flag: string, path: string): string {
  let bytes: number;
  try {
    bytes = statSync(path).size;
  } catch (error) {
    throw new ConfigError(`cannot read ${flag} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}; give a PEM file that exists`);
  }
  if (bytes > MAX_TLS_FILE_BYTES) throw new ConfigError(`${flag} ${path} is ${bytes} bytes: a PEM certificate or key is under ${MAX_TLS_FILE_BYTES} bytes`);
  const text = readFileSync(path, 'utf8');
  if (!text.includes('-----BEGIN ')) throw new ConfigError(`${flag} ${path} is not PEM: expected a "-----BEGIN ..." block`);
  return text;
}

function tls(flags: StackFlags): StackTls | undefined {
  const files = [flags.caFile, flags.certFile, flags.keyFile];
  const given = files.filter((f) => f !== undefined).length;
  if (flags.tlsSecret !== undefined) {
    if (given > 0) throw new ConfigError('--tls-secret and --ca-file/--cert-file/--key-file exclude each other: name the Secret that holds ca.crt, tls.crt and tls.key, or give the three files');
    return { secretName: name('--tls-secret', flags.tlsSecret, DNS_SUBDOMAIN, 'a Secret name (lower-case letters, digits, "-" and ".")'), files: undefined };
  }
  if (given === 0) return undefined;
  if (given < 3) throw new ConfigError('--ca-file, --cert-file and --key-file go together (mTLS on every hop needs the CA, a certificate and its key): give all three, or --tls-secret NAME');
  return {
    secretName: 'macos-agent-tls',
    files: { ca: readTlsFile('--ca-file', flags.caFile!), cert: readTlsFile('--cert-file', flags.certFile!), key: readTlsFile('--key-file', flags.keyFile!) },
  };
}

function alertWebhook(flags: StackFlags): AlertWebhook | undefined {
  if (flags.alertWebhookUrl === undefined) {
    if (flags.alertWebhookTokenSecret !== undefined) throw new ConfigError('--alert-webhook-token-secret needs --alert-webhook-url: the token is sent to that webhook');
    return undefined;
  }
  const value = flags.alertWebhookUrl;
  const url = URL.parse(value);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ConfigError(`invalid value "${value}" for --alert-webhook-url: expected an http:// or https:// URL, e.g. https://alerts.example.com/hook`);
  }
  if (url.username !== '' || url.password !== '') throw new ConfigError('--alert-webhook-url holds credentials: give the URL without them and the token in a Secret (--alert-webhook-token-secret NAME, key "token")');
  return {
    url: value,
    tokenSecret: flags.alertWebhookTokenSecret === undefined ? undefined : name('--alert-webhook-token-secret', flags.alertWebhookTokenSecret, DNS_SUBDOMAIN, 'a Secret name holding the key "token"'),
  };
}

/** Checks the flags of `macos-agent stack`; throws ConfigError naming the flag. */
export function parseStackFlags(flags: StackFlags): StackOptions {
  if (flags.out === undefined || flags.out.trim() === '') throw new ConfigError('--out DIR is required: the folder the numbered manifests are written to (it must not exist yet, or be empty)');
  const slow = flags.slowTraceThreshold === undefined ? DEFAULT_SLOW_TRACE_THRESHOLD_MS : parseDuration(flags.slowTraceThreshold);
  if (slow === undefined || slow < 1) throw new ConfigError(`invalid value "${flags.slowTraceThreshold ?? ''}" for --slow-trace-threshold: expected a duration such as 500ms, 1s or 1m`);
  const macHosts = flags.macHosts === undefined ? [] : flags.macHosts.split(',').map((h) => h.trim());
  for (const host of macHosts) name('--mac-hosts', host, HOST_NAME, 'comma-separated host names, e.g. mac-1.lan,mac-2.lan');
  if (new Set(macHosts).size !== macHosts.length) throw new ConfigError(`invalid value "${flags.macHosts ?? ''}" for --mac-hosts: a host is listed twice`);
  return {
    out: flags.out,
    namespace: name('--namespace', flags.namespace ?? DEFAULT_NAMESPACE, DNS_LABEL, 'a namespace name (lower-case letters, digits and "-", at most 63)'),
    gatewayReplicas: flags.gatewayReplicas === undefined ? DEFAULT_GATEWAY_REPLICAS : integer('--gateway-replicas', flags.gatewayReplicas, 1, 50),
    storageClass: flags.storageClass === undefined ? undefined : name('--storage-class', flags.storageClass, DNS_SUBDOMAIN, 'a StorageClass name such as local-path (lower-case letters, digits, "-" and ".")'),
    sizes: {
      prometheus: size('--prometheus-size', flags.prometheusSize, DEFAULT_SIZES.prometheus),
      loki: size('--loki-size', flags.lokiSize, DEFAULT_SIZES.loki),
      tempo: size('--tempo-size', flags.tempoSize, DEFAULT_SIZES.tempo),
    },
    headSamplingPercentage: flags.headSamplingPercentage === undefined ? DEFAULT_HEAD_SAMPLING_PERCENTAGE : percentage('--head-sampling-percentage', flags.headSamplingPercentage),
    tailSamplingPercentage: flags.samplingPercentage === undefined ? DEFAULT_SAMPLING_PERCENTAGE : percentage('--sampling-percentage', flags.samplingPercentage),
    slowTraceThresholdMs: slow,
    gatewayMemoryMib: flags.gatewayMemoryMib === undefined ? DEFAULT_MEMORY_LIMIT_MIB.gateway : integer('--gateway-memory-mib', flags.gatewayMemoryMib, 256, 65_536),
    nodeMemoryMib: flags.nodeMemoryMib === undefined ? DEFAULT_MEMORY_LIMIT_MIB.node : integer('--node-memory-mib', flags.nodeMemoryMib, 128, 16_384),
    tls: tls(flags),
    bearerTokenSecret: flags.bearerTokenSecret === undefined ? undefined : name('--bearer-token-secret', flags.bearerTokenSecret, DNS_SUBDOMAIN, 'a Secret name holding the key "token"'),
    alertWebhook: alertWebhook(flags),
    macHosts,
    validate: flags.validate === true,
  };
}
