import { existsSync, readFileSync } from 'node:fs';
import { homedir, platform } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { assertSafeFile, UnsafeFileError } from './file-safety.js';

// Configuration comes from three layers, each overriding the one before: the YAML file
// (`--config PATH`, else MACOS_AGENT_CONFIG, else the first of DEFAULT_CONFIG_PATHS that exists),
// environment variables, then command-line flags. Every key is declared once in SETTINGS with its
// type and default; values are validated at start, and an error names the key, the bad value and
// what is allowed.

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface AgentConfig {
  /** Collection and export interval (ms). */
  interval: number;
  log_level: LogLevel;
  /** Where the export spool and other state live. */
  state_dir: string;
  /** The daemon writes its pid here while it runs (newsyslog signals it after rotating the logs). */
  pid_file: string;
  sources: {
    powermetrics: {
      enabled: boolean;
      samplers: string[];
      /** Sample interval (ms); defaults to `interval`. */
      interval: number;
      /** Restart the long-lived child after this long (ms), because powermetrics grows without bound. */
      recycle_after: number;
      /** A plist document larger than this is dropped and the stream resynchronised. */
      max_document_bytes: number;
    };
    /** Each source's `interval` (ms): how often it is collected and exported; a multiple of `interval` is best. */
    iostat: { enabled: boolean; interval: number };
    vm_stat: { enabled: boolean; interval: number };
    sysctl: { enabled: boolean; interval: number };
    smc: {
      enabled: boolean;
      interval: number;
      /** Temperatures outside [min, max] °C are dropped as implausible. */
      min_celsius: number;
      max_celsius: number;
    };
    disk: { enabled: boolean; interval: number };
    gpu: { enabled: boolean; interval: number };
    battery: { enabled: boolean; interval: number };
  };
  exporter: {
    endpoint: string;
    /** Per-export deadline (ms). */
    timeout: number;
    /** `auto`: gzip, except to a loopback endpoint (the node's own collector), where it only costs CPU on both ends. */
    compression: 'auto' | 'gzip' | 'none';
    /** A file of `key=value` lines (or comma-separated) sent as gRPC metadata; never logged. */
    headers_file: string;
    /** Headers from OTEL_EXPORTER_OTLP_(METRICS_)HEADERS; never logged. */
    headers: string;
    ca_file: string;
    cert_file: string;
    key_file: string;
    insecure: boolean;
    queue: {
      /** Bound on queued export batches, memory and disk together. */
      max_bytes: number;
      /** Batches older than this are dropped (ms). */
      max_age: number;
    };
  };
  resource: {
    /** Extra resource attributes, `k=v,k2=v2` (as OTEL_RESOURCE_ATTRIBUTES). */
    attributes: string;
    service_name: string;
  };
}

type SettingType =
  | { kind: 'boolean' }
  | { kind: 'string' }
  | { kind: 'path' }
  | { kind: 'url'; schemes: readonly string[] }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'list'; values?: readonly string[] }
  | { kind: 'duration'; minMs: number; maxMs: number }
  | { kind: 'size'; minBytes: number; maxBytes: number }
  | { kind: 'number'; min: number; max: number };

interface Setting {
  /** Dotted path in the YAML file and in AgentConfig. */
  readonly key: string;
  readonly type: SettingType;
  /** Default as the user would write it; a function when it depends on other settings or the machine. */
  readonly default: string | ((partial: Record<string, unknown>) => string);
  /** Standard variables read in order, before MACOS_AGENT_<KEY> (which always wins). */
  readonly env?: readonly string[];
  readonly secret?: boolean;
}

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const POWERMETRICS_SAMPLERS = [
  'cpu_power', 'gpu_power', 'ane_power', 'thermal', 'tasks', 'battery', 'network', 'disk', 'interrupts', 'smc',
] as const;

export const SETTINGS: readonly Setting[] = [
  { key: 'interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: '10s', env: ['OTEL_METRIC_EXPORT_INTERVAL'] },
  { key: 'log_level', type: { kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }, default: 'info' },
  { key: 'state_dir', type: { kind: 'path' }, default: () => defaultStateDir() },
  { key: 'pid_file', type: { kind: 'path' }, default: '' },
  { key: 'sources.powermetrics.enabled', type: { kind: 'boolean' }, default: 'true' },
  { key: 'sources.powermetrics.samplers', type: { kind: 'list', values: POWERMETRICS_SAMPLERS }, default: 'cpu_power,gpu_power,ane_power,thermal' },
  { key: 'sources.powermetrics.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${String(c['interval'])}ms` },
  { key: 'sources.powermetrics.recycle_after', type: { kind: 'duration', minMs: 60 * SECOND, maxMs: 7 * DAY }, default: '6h' },
  { key: 'sources.powermetrics.max_document_bytes', type: { kind: 'size', minBytes: 64 * 1024, maxBytes: 256 * MiB }, default: '8MiB' },
  { key: 'sources.iostat.enabled', type: { kind: 'boolean' }, default: 'true' },
  { key: 'sources.iostat.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${String(c['interval'])}ms` },
  { key: 'sources.vm_stat.enabled', type: { kind: 'boolean' }, default: 'true' },
  { key: 'sources.vm_stat.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${String(c['interval'])}ms` },
  { key: 'sources.sysctl.enabled', type: { kind: 'boolean' }, default: 'true' },
  // Installed memory never changes and swap moves slowly: a spawn a minute is enough.
  { key: 'sources.sysctl.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${Math.max(Number(c['interval']), 60 * SECOND)}ms` },
  { key: 'sources.smc.enabled', type: { kind: 'boolean' }, default: 'true' },
  { key: 'sources.smc.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${String(c['interval'])}ms` },
  { key: 'sources.smc.min_celsius', type: { kind: 'number', min: -50, max: 100 }, default: '15' },
  { key: 'sources.smc.max_celsius', type: { kind: 'number', min: 50, max: 200 }, default: '130' },
  { key: 'sources.disk.enabled', type: { kind: 'boolean' }, default: 'true' },
  { key: 'sources.disk.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${String(c['interval'])}ms` },
  { key: 'sources.gpu.enabled', type: { kind: 'boolean' }, default: 'true' },
  { key: 'sources.gpu.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${String(c['interval'])}ms` },
  { key: 'sources.battery.enabled', type: { kind: 'boolean' }, default: 'true' },
  // Charge and health move slowly: a reading a minute is enough.
  { key: 'sources.battery.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${Math.max(Number(c['interval']), 60 * SECOND)}ms` },
  { key: 'exporter.endpoint', type: { kind: 'url', schemes: ['http:', 'https:'] }, default: 'http://localhost:4317', env: ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'] },
  { key: 'exporter.timeout', type: { kind: 'duration', minMs: 100, maxMs: 5 * 60 * SECOND }, default: '10s', env: ['OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 'OTEL_METRIC_EXPORT_TIMEOUT'] },
  { key: 'exporter.compression', type: { kind: 'enum', values: ['auto', 'gzip', 'none'] }, default: 'auto', env: ['OTEL_EXPORTER_OTLP_COMPRESSION', 'OTEL_EXPORTER_OTLP_METRICS_COMPRESSION'] },
  { key: 'exporter.headers_file', type: { kind: 'path' }, default: '' },
  { key: 'exporter.headers', type: { kind: 'string' }, default: '', env: ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS'], secret: true },
  { key: 'exporter.ca_file', type: { kind: 'path' }, default: '', env: ['OTEL_EXPORTER_OTLP_CERTIFICATE', 'OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE'] },
  { key: 'exporter.cert_file', type: { kind: 'path' }, default: '', env: ['OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE', 'OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE'] },
  { key: 'exporter.key_file', type: { kind: 'path' }, default: '', env: ['OTEL_EXPORTER_OTLP_CLIENT_KEY', 'OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY'] },
  { key: 'exporter.insecure', type: { kind: 'boolean' }, default: 'false', env: ['OTEL_EXPORTER_OTLP_INSECURE', 'OTEL_EXPORTER_OTLP_METRICS_INSECURE'] },
  { key: 'exporter.queue.max_bytes', type: { kind: 'size', minBytes: 64 * 1024, maxBytes: 4 * GiB }, default: '64MiB' },
  { key: 'exporter.queue.max_age', type: { kind: 'duration', minMs: 60 * SECOND, maxMs: 30 * DAY }, default: '24h' },
  { key: 'resource.attributes', type: { kind: 'string' }, default: '', env: ['OTEL_RESOURCE_ATTRIBUTES'] },
  { key: 'resource.service_name', type: { kind: 'string' }, default: 'macos-agent', env: ['OTEL_SERVICE_NAME'] },
];

export const DEFAULT_CONFIG_PATHS = [
  '/opt/homebrew/etc/macos-agent/config.yaml',
  '/usr/local/etc/macos-agent/config.yaml',
] as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** `--config PATH`: must exist. */
  readonly path?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, by dotted key, as the user typed them. */
  readonly overrides?: Readonly<Record<string, string>>;
}

export interface LoadedConfig {
  readonly config: AgentConfig;
  /** The file that was read, if any. */
  readonly path: string | undefined;
}

export function envName(key: string): string {
  return `MACOS_AGENT_${key.replace(/\./g, '_').toUpperCase()}`;
}

export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const path = opts.path ?? env['MACOS_AGENT_CONFIG'] ?? DEFAULT_CONFIG_PATHS.find((p) => existsSync(p));
  const explicit = opts.path !== undefined || env['MACOS_AGENT_CONFIG'] !== undefined;
  const fromFile = path !== undefined ? readConfigFile(path, explicit) : {};

  const flat: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const [raw, origin] = pickRaw(setting, fromFile, env, opts.overrides ?? {}, path);
    const value = raw === undefined
      ? parseValue(setting, typeof setting.default === 'function' ? setting.default(flat) : setting.default, 'default')
      : parseValue(setting, raw, origin);
    flat[setting.key] = value;
  }
  return { config: unflatten(flat) as unknown as AgentConfig, path };
}

function readConfigFile(path: string, explicit: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return {};
    throw new ConfigError(`cannot read config file ${path}: ${code ?? (error as Error).message} — check the path given to --config (or MACOS_AGENT_CONFIG)`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(error as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`config file ${path} must be a mapping of keys (interval, sources, exporter, ...), not ${Array.isArray(doc) ? 'a list' : typeof doc}`);
  }
  const flat = flatten(doc as Record<string, unknown>);
  const known = new Set(SETTINGS.map((s) => s.key));
  for (const key of Object.keys(flat)) {
    if (!known.has(key)) {
      throw new ConfigError(`unknown key "${key}" in ${path}; allowed keys: ${[...known].join(', ')}`);
    }
  }
  try {
    const headers = flat['exporter.headers'];
    assertSafeFile(path, { what: 'config file', secret: headers !== undefined && headers !== null && headers !== '' });
  } catch (error) {
    if (error instanceof UnsafeFileError) throw new ConfigError(error.message);
    throw error;
  }
  return flat;
}

function pickRaw(
  setting: Setting,
  fromFile: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  overrides: Readonly<Record<string, string>>,
  path: string | undefined,
): [unknown, string] {
  if (overrides[setting.key] !== undefined) return [overrides[setting.key], 'command line'];
  const own = envName(setting.key);
  if (env[own] !== undefined && env[own] !== '') return [env[own], own];
  for (const name of [...(setting.env ?? [])].reverse()) {
    if (env[name] !== undefined && env[name] !== '') return [env[name], name];
  }
  // `key:` with no value (YAML null) means the default, as if the line were not there.
  if (fromFile[setting.key] !== undefined && fromFile[setting.key] !== null) return [fromFile[setting.key], path ?? 'config file'];
  return [undefined, 'default'];
}

function fail(setting: Setting, raw: unknown, origin: string, allowed: string): never {
  const shown = setting.secret ? '(hidden)' : JSON.stringify(raw);
  throw new ConfigError(`invalid value ${shown} for ${setting.key} (from ${origin}): ${allowed}`);
}

function parseValue(setting: Setting, raw: unknown, origin: string): unknown {
  const t = setting.type;
  switch (t.kind) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(s)) return true;
      if (['false', '0', 'no', 'off'].includes(s)) return false;
      return fail(setting, raw, origin, 'expected true or false');
    }
    case 'string':
    case 'path':
      if (typeof raw === 'object' && raw !== null) return fail(setting, raw, origin, 'expected a string');
      return String(raw);
    case 'url': {
      const s = String(raw);
      let url: URL;
      try {
        url = new URL(s);
      } catch {
        return fail(setting, raw, origin, `expected a URL such as http://localhost:4317 (scheme ${t.schemes.join(' or ')})`);
      }
      if (!t.schemes.includes(url.protocol)) {
        return fail(setting, raw, origin, `the scheme must be ${t.schemes.join(' or ')}, not ${url.protocol}`);
      }
      return s;
    }
    case 'enum': {
      const s = String(raw).toLowerCase();
      if (!t.values.includes(s)) return fail(setting, raw, origin, `expected one of ${t.values.join(', ')}`);
      return s;
    }
    case 'list': {
      const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
      const list = items.map((s) => s.trim()).filter((s) => s !== '');
      const bad = t.values ? list.filter((s) => !t.values!.includes(s)) : [];
      if (bad.length > 0) return fail(setting, raw, origin, `unknown ${bad.join(', ')}; allowed: ${t.values!.join(', ')}`);
      return list;
    }
    case 'duration': {
      const ms = parseDuration(raw);
      if (ms === undefined) return fail(setting, raw, origin, 'expected a duration such as 500ms, 10s, 5m or 6h (a bare number is milliseconds)');
      if (ms < t.minMs || ms > t.maxMs) return fail(setting, raw, origin, `expected between ${t.minMs} ms and ${t.maxMs} ms`);
      return ms;
    }
    case 'size': {
      const bytes = parseSize(raw);
      if (bytes === undefined) return fail(setting, raw, origin, 'expected a size such as 512KiB, 64MiB or 1GiB (a bare number is bytes)');
      if (bytes < t.minBytes || bytes > t.maxBytes) return fail(setting, raw, origin, `expected between ${t.minBytes} and ${t.maxBytes} bytes`);
      return bytes;
    }
    case 'number': {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (!Number.isFinite(n) || String(raw).trim() === '') return fail(setting, raw, origin, 'expected a number');
      if (n < t.min || n > t.max) return fail(setting, raw, origin, `expected between ${t.min} and ${t.max}`);
      return n;
    }
  }
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: SECOND, m: 60 * SECOND, h: HOUR, d: DAY };
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1000, mb: 1e6, gb: 1e9, kib: 1024, mib: MiB, gib: GiB };

export function parseDuration(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) && raw >= 0 ? raw : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(String(raw));
  if (!m) return undefined;
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']!);
}

export function parseSize(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) && raw >= 0 ? raw : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$/i.exec(String(raw));
  if (!m) return undefined;
  return Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]!);
}

function flatten(obj: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, key));
    else out[key] = v;
  }
  return out;
}

function unflatten(flat: Record<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = value;
  }
  return root;
}

function defaultStateDir(): string {
  const isRoot = process.getuid?.() === 0;
  if (platform() === 'darwin') {
    return isRoot ? '/Library/Application Support/macos-agent' : join(homedir(), 'Library', 'Application Support', 'macos-agent');
  }
  return isRoot ? '/var/lib/macos-agent' : join(process.env['XDG_STATE_HOME'] ?? join(homedir(), '.local', 'state'), 'macos-agent');
}
