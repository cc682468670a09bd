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

type SettingType =
  | { readonly kind: 'boolean' }
  | { readonly kind: 'string' }
  | { readonly kind: 'path' }
  | { readonly kind: 'url'; readonly schemes: readonly string[] }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'list'; readonly values?: readonly string[] }
  | { readonly kind: 'duration'; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: 'size'; readonly minBytes: number; readonly maxBytes: number }
  | { readonly kind: 'number'; readonly min: number; readonly max: number };

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

// The one table of settings: AgentConfig, the type the agent reads, is derived from it below.
// Durations are in ms, sizes in bytes.
export const SETTINGS = [
  { key: 'interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: '10s', env: ['OTEL_METRIC_EXPORT_INTERVAL'] },
  { key: 'log_level', type: { kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }, default: 'info' },
  { key: 'log_file', type: { kind: 'path' }, default: '' },
  { key: 'state_dir', type: { kind: 'path' }, default: () => defaultStateDir() },
  // The daemon writes its pid here while it runs, for the user's own tooling; the service needs none.
  { key: 'pid_file', type: { kind: 'path' }, default: '' },
  { key: 'sources.powermetrics.enabled', type: { kind: 'boolean' }, default: 'true' },
  { key: 'sources.powermetrics.samplers', type: { kind: 'list', values: POWERMETRICS_SAMPLERS }, default: 'cpu_power,gpu_power,ane_power,thermal' },
  { key: 'sources.powermetrics.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${String(c['interval'])}ms` },
  // powermetrics grows without bound: the long-lived child is replaced this often.
  { key: 'sources.powermetrics.recycle_after', type: { kind: 'duration', minMs: 60 * SECOND, maxMs: 7 * DAY }, default: '6h' },
  // A plist document larger than this is dropped and the stream resynchronised.
  { key: 'sources.powermetrics.max_document_bytes', type: { kind: 'size', minBytes: 64 * 1024, maxBytes: 256 * MiB }, default: '8MiB' },
  { key: 'sources.powermetrics.sudo', type: { kind: 'boolean' }, default: 'false' },
  { key: 'sources.iostat.enabled', type: { kind: 'boolean' }, default: 'true' },
  { key: 'sources.iostat.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${String(c['interval'])}ms` },
  { key: 'sources.vm_stat.enabled', type: { kind: 'boolean' }, default: 'true' },
  { key: 'sources.vm_stat.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${String(c['interval'])}ms` },
  { key: 'sources.sysctl.enabled', type: { kind: 'boolean' }, default: 'true' },
  // Installed memory never changes and swap moves slowly: a spawn a minute is enough.
  { key: 'sources.sysctl.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${Math.max(Number(c['interval']), 60 * SECOND)}ms` },
  { key: 'sources.smc.enabled', type: { kind: 'boolean' }, default: 'true' },
  { key: 'sources.smc.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${String(c['interval'])}ms` },
  // Temperatures outside [min, max] °C are dropped as implausible.
  { key: 'sources.smc.min_celsius', type: { kind: 'number', min: -50, max: 100 }, default: '15' },
  { key: 'sources.smc.max_celsius', type: { kind: 'number', min: 50, max: 200 }, default: '130' },
  { key: 'sources.memory_pressure.enabled', type: { kind: 'boolean' }, default: 'true' },
  { key: 'sources.memory_pressure.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${String(c['interval'])}ms` },
  { key: 'sources.network.enabled', type: { kind: 'boolean' }, default: 'true' },
  { key: 'sources.network.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${String(c['interval'])}ms` },
  { key: 'sources.network.interfaces', type: { kind: 'list' }, default: '' },
  { key: 'sources.network.exclude', type: { kind: 'list' }, default: '' },
  // macos.thermal.pressure has one source at a time: powermetrics when its thermal sampler runs.
  { key: 'sources.thermal_pressure.enabled', type: { kind: 'boolean' }, default: (c) => String(!powermetricsReportsThermalPressure(c)) },
  { key: 'sources.thermal_pressure.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${String(c['interval'])}ms` },
  { key: 'sources.disk.enabled', type: { kind: 'boolean' }, default: 'true' },
  { key: 'sources.disk.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${String(c['interval'])}ms` },
  { key: 'sources.gpu.enabled', type: { kind: 'boolean' }, default: 'true' },
  { key: 'sources.gpu.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${String(c['interval'])}ms` },
  { key: 'sources.battery.enabled', type: { kind: 'boolean' }, default: 'true' },
  // Charge and health move slowly: a reading a minute is enough.
  { key: 'sources.battery.interval', type: { kind: 'duration', minMs: 100, maxMs: HOUR }, default: (c) => `${Math.max(Number(c['interval']), 60 * SECOND)}ms` },
  { key: 'exporter.endpoint', type: { kind: 'url', schemes: ['http:', 'https:'] }, default: 'http://localhost:4317', env: ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'] },
  { key: 'exporter.timeout', type: { kind: 'duration', minMs: 100, maxMs: 5 * 60 * SECOND }, default: '10s', env: ['OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 'OTEL_METRIC_EXPORT_TIMEOUT'] },
  // `auto`: gzip, except to a loopback endpoint (the node's own collector), where it only costs CPU on both ends.
  { key: 'exporter.compression', type: { kind: 'enum', values: ['auto', 'gzip', 'none'] }, default: 'auto', env: ['OTEL_EXPORTER_OTLP_COMPRESSION', 'OTEL_EXPORTER_OTLP_METRICS_COMPRESSION'] },
  // Headers (a file of `key=value` lines, or inline) are sent as gRPC metadata and never logged.
  { key: 'exporter.headers_file', type: { kind: 'path' }, default: '' },
  { key: 'exporter.headers', type: { kind: 'string' }, default: '', env: ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS'], secret: true },
  { key: 'exporter.ca_file', type: { kind: 'path' }, default: '', env: ['OTEL_EXPORTER_OTLP_CERTIFICATE', 'OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE'] },
  { key: 'exporter.cert_file', type: { kind: 'path' }, default: '', env: ['OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE', 'OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE'] },
  { key: 'exporter.key_file', type: { kind: 'path' }, default: '', env: ['OTEL_EXPORTER_OTLP_CLIENT_KEY', 'OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY'] },
  // Bound on queued export batches, memory and disk together; older batches are dropped after max_age.
  { key: 'exporter.queue.max_bytes', type: { kind: 'size', minBytes: 64 * 1024, maxBytes: 4 * GiB }, default: '64MiB' },
  { key: 'exporter.queue.max_age', type: { kind: 'duration', minMs: 60 * SECOND, maxMs: 30 * DAY }, default: '24h' },
  { key: 'resource.attributes', type: { kind: 'string' }, default: '', env: ['OTEL_RESOURCE_ATTRIBUTES'] },
  { key: 'resource.service_name', type: { kind: 'string' }, default: 'macos-agent', env: ['OTEL_SERVICE_NAME'] },
] as const satisfies readonly Setting[];

type AnySetting = (typeof SETTINGS)[number];

/** The value a setting's type parses to. */
type ValueOf<T extends SettingType> =
  T extends { kind: 'boolean' } ? boolean
    : T extends { kind: 'enum'; values: readonly (infer V)[] } ? V
      : T extends { kind: 'list'; values: readonly (infer V)[] } ? V[]
        : T extends { kind: 'list' } ? string[]
          : T extends { kind: 'duration' | 'size' | 'number' } ? number
            : string;

/** Every setting's value by its dotted key. */
type FlatConfig = { [S in AnySetting as S['key']]: ValueOf<S['type']> };

/** Dotted keys under prefix P, nested into objects: `sources.smc.enabled` becomes sources → smc → enabled. */
type Nested<F, P extends string = ''> = {
  [K in keyof F & string as K extends `${P}${infer Head}.${string}` ? Head : K extends `${P}${infer Leaf}` ? Leaf : never]:
    K extends `${P}${infer Head}.${string}` ? Nested<F, `${P}${Head}.`> : F[K];
};

/** The configuration as the agent reads it, derived from SETTINGS (durations in ms, sizes in bytes). */
export type AgentConfig = Nested<FlatConfig>;

export type LogLevel = AgentConfig['log_level'];

/**
 * Keys that were settings once and are refused with what to do instead, rather than accepted and
 * ignored. The variables are the standard ones that would set them.
 */
const RETIRED_SETTINGS: readonly { readonly key: string; readonly env: readonly string[]; readonly why: string }[] = [
  {
    key: 'exporter.insecure',
    env: ['OTEL_EXPORTER_OTLP_INSECURE', 'OTEL_EXPORTER_OTLP_METRICS_INSECURE'],
    why: "the endpoint's scheme decides TLS: set exporter.endpoint to http://HOST:4317 for plaintext or https://HOST:4317 for TLS",
  },
];

function powermetricsReportsThermalPressure(flat: Record<string, unknown>): boolean {
  const samplers = flat['sources.powermetrics.samplers'];
  return flat['sources.powermetrics.enabled'] === true && Array.isArray(samplers) && samplers.includes('thermal');
}

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
  const overrides = opts.overrides ?? {};
  refuseRetiredSettings(fromFile, env, overrides, path);
  for (const key of Object.keys(overrides)) {
    if (!KNOWN_KEYS.has(key)) throw new ConfigError(`unknown key "${key}" on the command line; allowed keys: ${[...KNOWN_KEYS].join(', ')}`);
  }

  const flat: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const [raw, origin] = pickRaw(setting, fromFile, env, overrides, path);
    const value = raw === undefined
      ? parseValue(setting, typeof setting.default === 'function' ? setting.default(flat) : setting.default, 'default')
      : parseValue(setting, raw, origin);
    flat[setting.key] = value;
  }
  if (flat['sources.thermal_pressure.enabled'] === true && powermetricsReportsThermalPressure(flat)) {
    throw new ConfigError('sources.thermal_pressure.enabled is true while powermetrics runs its thermal sampler: both would report macos.thermal.pressure — leave sources.thermal_pressure.enabled unset (it turns itself on when powermetrics is off), or remove thermal from sources.powermetrics.samplers');
  }
  // AgentConfig is derived from SETTINGS, and every key of SETTINGS was just parsed by its type.
  return { config: unflatten(flat) as AgentConfig, path };
}

const KNOWN_KEYS: ReadonlySet<string> = new Set(SETTINGS.map((s) => s.key));

/** A retired setting anywhere (file, variable, flag) stops the agent with what to do instead. */
function refuseRetiredSettings(fromFile: Record<string, unknown>, env: NodeJS.ProcessEnv, overrides: Readonly<Record<string, string>>, path: string | undefined): void {
  for (const retired of RETIRED_SETTINGS) {
    const origin = overrides[retired.key] !== undefined ? 'command line'
      : [envName(retired.key), ...retired.env].find((name) => env[name] !== undefined && env[name] !== '')
        ?? (fromFile[retired.key] !== undefined ? path ?? 'config file' : undefined);
    if (origin !== undefined) throw new ConfigError(`${retired.key} (from ${origin}) is not supported: ${retired.why}`);
  }
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
  for (const key of Object.keys(flat)) {
    if (!KNOWN_KEYS.has(key) && !RETIRED_SETTINGS.some((r) => r.key === key)) {
      throw new ConfigError(`unknown key "${key}" in ${path}; allowed keys: ${[...KNOWN_KEYS].join(', ')}`);
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

/** A URL as text with any `user:password@`, `?query` and `#fragment` cut out, by plain string search (the text may not parse). */
function withoutSecretParts(text: string): string {
  const cut = text.search(/[?#]/);
  let kept = cut >= 0 ? text.slice(0, cut) : text;
  const schemeEnd = kept.indexOf('//');
  const authorityStart = schemeEnd >= 0 ? schemeEnd + 2 : 0;
  const pathStart = kept.indexOf('/', authorityStart);
  const at = kept.lastIndexOf('@', (pathStart >= 0 ? pathStart : kept.length) - 1);
  if (at >= authorityStart) kept = kept.slice(0, authorityStart) + kept.slice(at + 1);
  return cut >= 0 ? `${kept}…` : kept;
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
      // Shown in errors without user name, password, query or fragment: any of them may be a secret.
      const shown = withoutSecretParts(s);
      let url: URL;
      try {
        url = new URL(s);
      } catch {
        return fail(setting, shown, origin, `expected a URL such as http://localhost:4317 (scheme ${t.schemes.join(' or ')})`);
      }
      if (url.username !== '' || url.password !== '') {
        return fail(setting, shown, origin, 'it holds a user name or password, which would be sent in clear and logged — send credentials as headers (exporter.headers_file) instead');
      }
      if (url.search !== '' || url.hash !== '') {
        return fail(setting, shown, origin, `it has a ${url.search !== '' ? 'query (?…)' : 'fragment (#…)'}, which OTLP/gRPC does not use and which may hold a secret such as an api_key (not shown) — send credentials as headers (exporter.headers_file) and write the endpoint as ${url.protocol}//${url.host}`);
      }
      if (!t.schemes.includes(url.protocol)) {
        return fail(setting, shown, origin, `the scheme must be ${t.schemes.join(' or ')}, not ${url.protocol}`);
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
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(String(raw).trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']!);
}

export function parseSize(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) && raw >= 0 ? raw : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?$/i.exec(String(raw).trim());
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
