import { createHash } from 'node:crypto';
import { hostname, arch, cpus } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseSysctl } from './parsers/sysctl.js';
import { readRegularFile } from './file-safety.js';
import { describeExit, runFile } from './sources/child-process.js';
import { MAX_REPLAY_FILE_BYTES } from './sources/run-command.js';
import type { Attributes } from './metrics/catalog.js';
import type { AgentConfig } from './config.js';
import { VERSION } from './version.js';

/** Maps Node's arch names to the semantic conventions' host.arch values. */
const HOST_ARCH: Record<string, string> = { arm64: 'arm64', x64: 'amd64', arm: 'arm32', ia32: 'x86', ppc64: 'ppc64', s390x: 's390x' };

/** Parses `k=v,k2=v2` (OTEL_RESOURCE_ATTRIBUTES), percent-decoding values as the spec says. */
export function parseResourceAttributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const i = pair.indexOf('=');
    if (i <= 0) continue;
    const key = pair.slice(0, i).trim();
    const raw = pair.slice(i + 1).trim();
    try {
      out[key] = decodeURIComponent(raw);
    } catch {
      out[key] = raw;
    }
  }
  return out;
}

/** The resource attributes that need no command: enough for `--once`. */
function basicResource(config: AgentConfig): Attributes {
  return {
    'service.name': config.resource.service_name,
    'service.version': VERSION,
    'host.name': hostname(),
    'host.arch': HOST_ARCH[arch()] ?? arch(),
    ...(cpus()[0]?.model ? { 'host.cpu.model.name': cpus()[0]!.model.trim() } : {}),
    'os.type': process.platform === 'darwin' ? 'darwin' : process.platform,
    ...parseResourceAttributes(config.resource.attributes),
  };
}

/** The namespace the semantic conventions give for deriving service.instance.id as a UUIDv5. */
const SERVICE_INSTANCE_NAMESPACE = '4d63009a-8d0f-11ee-aad7-4c796ed8e320';

/** RFC 9562 UUID version 5 (SHA-1, name-based). */
export function uuidV5(name: string, namespace: string = SERVICE_INSTANCE_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `ProductName:\tmacOS` lines of `sw_vers` (tab-separated, unlike sysctl). */
export function parseSwVers(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, Math.max(colon, 0)).trimStart();
    const value = line.slice(colon + 1).trim();
    if (colon !== -1 && /^[A-Za-z]+$/.test(name) && value !== '') out.set(name, value);
  }
  return out;
}

/** The IOPlatformUUID line of `ioreg -rd1 -c IOPlatformExpertDevice`. */
export function parseIoregPlatformUuid(text: string): string | undefined {
  return /"IOPlatformUUID"\s*=\s*"([0-9A-Fa-f-]{36})"/.exec(text)?.[1];
}

async function run(command: string, args: readonly string[], timeoutMs: number): Promise<string> {
  const result = await runFile(command, args, { timeoutMs });
  if (result.exitCode !== 0) {
    const how = result.timedOut ? `did not finish within ${timeoutMs} ms` : describeExit(result);
    throw new Error(`${[command, ...args].join(' ')} ${how}`);
  }
  return result.stdout;
}

export interface DetectResourceOptions {
  readonly config: AgentConfig;
  readonly log: Logger;
  /** `--replay DIR`: the OS and machine model come from the bundle (sw_vers.txt, hw.txt, sysctl.txt). */
  readonly replayDir?: string | undefined;
  /** Detection never delays start by more than this; what is not known by then is left out. */
  readonly timeoutMs?: number;
}

/**
 * The daemon's resource: the basic attributes plus what commands tell about the Mac (host.id,
 * service.instance.id, os.*, machine model), each command run once at start, in parallel.
 */
export async function detectResource(opts: DetectResourceOptions): Promise<Attributes> {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const fromReplay = async (file: string): Promise<string> =>
    (await readRegularFile(join(opts.replayDir!, file), { what: 'replay file', maxBytes: MAX_REPLAY_FILE_BYTES })).toString('utf8');
  const settle = async (what: string, p: Promise<string>): Promise<string | undefined> => {
    try {
      return await p;
    } catch (error) {
      opts.log.debug({ what, err: (error as Error).message }, `resource detection: ${what} unavailable`);
      return undefined;
    }
  };
  const replay = opts.replayDir !== undefined;
  const tasks = Promise.all([
    settle('ioreg', run('ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice'], timeoutMs)),
    settle('sw_vers', replay ? fromReplay('sw_vers.txt') : run('sw_vers', [], timeoutMs)),
    settle('hw.model', replay ? fromReplay('hw.txt') : run('sysctl', ['hw.model', 'machdep.cpu.brand_string'], timeoutMs)),
    settle('sysctl.txt', replay ? fromReplay('sysctl.txt') : Promise.resolve('')),
  ]);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), timeoutMs); });
  const outputs = await Promise.race([tasks, deadline]);
  clearTimeout(timer);
  if (outputs === undefined) opts.log.warn({ timeout_ms: timeoutMs }, `resource detection took over ${timeoutMs} ms; starting without host.id, os.version and the machine model`);
  const [ioreg, swVers, hw, sysctlText] = outputs ?? [];

  const machine = new Map<string, string>([...parseSysctl(sysctlText ?? ''), ...parseSysctl(hw ?? '')]);
  const os = parseSwVers(swVers ?? '');
  const base = basicResource(opts.config);
  const hostId = ioreg !== undefined ? parseIoregPlatformUuid(ioreg) : undefined;
  const isMac = process.platform === 'darwin' || os.size > 0;
  const cpuModel = machine.get('machdep.cpu.brand_string');
  const hwModel = machine.get('hw.model');
  const explicit = parseResourceAttributes(opts.config.resource.attributes);
  return {
    ...base,
    ...(hostId !== undefined ? { 'host.id': hostId } : {}),
    // Without host.id (not a Mac, or ioreg too slow) the host name is the next most stable key.
    'service.instance.id': uuidV5(hostId ?? String(base['host.name'])),
    ...(isMac ? { 'os.type': 'darwin', 'os.name': os.get('ProductName') ?? 'macOS' } : {}),
    ...(os.has('ProductVersion') ? { 'os.version': os.get('ProductVersion')! } : {}),
    ...(os.has('BuildVersion') ? { 'os.build_id': os.get('BuildVersion')! } : {}),
    ...(cpuModel ? { 'host.cpu.model.name': cpuModel } : {}),
    ...(hwModel ? { 'macos.hw.model': hwModel } : {}),
    ...explicit,
  };
}
