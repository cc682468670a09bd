// Builds the addon for the tests, on Linux, from the real sources: native/binding.cc with
// native/smc_iokit.cc, native/host_mach.cc, native/sysctl_darwin.cc and native/ioregistry_iokit.cc
// against the simulated AppleSMC, Mach host, sysctlbyname and I/O Registry
// (test/native/simulated_smc.cc, simulated_host.cc, simulated_sysctl.cc, simulated_ioregistry.cc
// and the stand-in IOKit, CoreFoundation, mach and sys/sysctl headers), or with the
// *_unsupported.cc files. And writes the simulators' tables.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import type { SmcDumpEntry } from '../../agent/parsers/smc-dump.js';

const REPO = join(import.meta.dirname, '..', '..');

/** Where node-gyp took the headers from when `npm install` built the addon (build/config.gypi). */
function nodedirOfInstall(): string[] {
  const config = join(REPO, 'build', 'config.gypi');
  if (!existsSync(config)) return [];
  const m = /"nodedir": "([^"]+)"/.exec(readFileSync(config, 'utf8'));
  return m === null ? [] : [join(m[1]!, 'include', 'node')];
}

/** node-gyp's downloaded headers, newest version first. */
function nodeGypCaches(): string[] {
  const caches = [join(homedir(), '.cache', 'node-gyp'), join(homedir(), 'Library', 'Caches', 'node-gyp')];
  return caches.filter((c) => existsSync(c)).flatMap((c) =>
    readdirSync(c).sort((a, b) => b.localeCompare(a, undefined, { numeric: true })).map((v) => join(c, v, 'include', 'node')));
}

/**
 * Node's C headers: the ones `npm install` built the addon with, beside the running node, in the
 * `node` npm package, node-gyp's cache or the system's. N-API is ABI-stable, so any recent version does.
 */
function nodeHeaders(): string {
  const candidates = [
    ...nodedirOfInstall(),
    join(dirname(process.execPath), '..', 'include', 'node'),
    join(REPO, 'node_modules', 'node', 'node_modules', `node-${process.platform}-${process.arch}`, 'include', 'node'),
    ...nodeGypCaches(),
    '/usr/include/node',
    '/usr/local/include/node',
  ];
  const found = candidates.find((dir) => existsSync(join(dir, 'node_api.h')));
  if (found === undefined) throw new Error(`no Node headers (node_api.h) in ${candidates.join(', ')}: run npm install (node-gyp fetches them) or install the nodejs headers`);
  return found;
}

export type AddonVariant = 'simulated-iokit' | 'unsupported';

/** native/binding_kernel.cc and its readers: memory pressure, the interface MIB, notify. */
const KERNEL_SOURCES = {
  simulated: ['native/binding_kernel.cc', 'native/memory_pressure_darwin.cc', 'native/ifmib_darwin.cc', 'test/native/simulated_ifmib.cc',
    'native/notify_darwin.cc', 'test/native/simulated_notify.cc'],
  unsupported: ['native/binding_kernel.cc', 'native/kernel_unsupported.cc'],
};

/** Every file a test build reads: the addon's sources and headers, the simulators and the stand-in headers. */
function buildInputs(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(cc|h)$/.test(f) && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Where builds are kept between test files and runs: named by a hash of the compiler, its flags and
 * every source and header, so a change to any of them builds anew. Seven test files use the same
 * two builds; test/global-setup.ts builds them before any of them starts.
 */
function cacheDir(flags: readonly string[]): string {
  const hash = createHash('sha256').update(JSON.stringify([process.env['CXX'] ?? 'c++', flags]));
  for (const file of [...buildInputs(join(REPO, 'native')), ...buildInputs(join(REPO, 'test', 'native'))]) {
    hash.update(file).update(readFileSync(file));
  }
  return join(REPO, 'node_modules', '.cache', 'macos-agent-test-addons', hash.digest('hex').slice(0, 16));
}

/** Runs the compiler; its output goes to a scratch name, renamed into place whole (two test processes may build at once). */
async function compileTo(out: string, args: readonly string[]): Promise<void> {
  const scratch = `${out}.${process.pid}.tmp`;
  mkdirSync(dirname(out), { recursive: true });
  try {
    await promisify(execFile)(process.env['CXX'] ?? 'c++', [...args, '-o', scratch], { cwd: REPO });
    renameSync(scratch, out);
  } finally {
    rmSync(scratch, { force: true });
  }
}

/** At most one compiler per core; an object both builds use is compiled once (keyed by its path). */
const compilerSlot = pLimit(availableParallelism());
const objects = new Map<string, Promise<string>>();

function objectFile(dir: string, source: string, flags: readonly string[]): Promise<string> {
  const out = join(dir, 'obj', `${source.replaceAll('/', '_')}.o`);
  let built = objects.get(out);
  if (built === undefined) {
    built = existsSync(out) ? Promise.resolve(out) : compilerSlot(() => compileTo(out, ['-c', ...flags, join(REPO, source)])).then(() => out);
    objects.set(out, built);
  }
  return built;
}

/** Compiles one variant (or finds it already compiled from the same inputs) and returns the path of the .node file. */
export async function buildTestAddon(variant: AddonVariant): Promise<string> {
  const addonApi = dirname(createRequire(import.meta.url).resolve('node-addon-api/package.json'));
  const sources = variant === 'simulated-iokit'
    ? ['native/binding.cc', 'native/smc_iokit.cc', 'test/native/simulated_smc.cc', 'native/host_mach.cc', 'test/native/simulated_host.cc',
      'native/sysctl_darwin.cc', 'test/native/simulated_sysctl.cc', ...KERNEL_SOURCES.simulated,
      'native/ioregistry_binding.cc', 'native/ioregistry_iokit.cc', 'test/native/simulated_ioregistry.cc']
    : ['native/binding.cc', 'native/smc_unsupported.cc', 'native/host_unsupported.cc', 'native/sysctl_unsupported.cc', ...KERNEL_SOURCES.unsupported,
      'native/ioregistry_binding.cc', 'native/ioregistry_unsupported.cc'];
  const flags = [
    '-fPIC', '-O1', '-std=c++17', '-fno-exceptions', '-Wall', '-Wextra', '-Werror',
    '-DNAPI_VERSION=8', '-DNODE_ADDON_API_DISABLE_CPP_EXCEPTIONS',
    `-I${addonApi}`, `-I${nodeHeaders()}`, `-I${join(REPO, 'test', 'native')}`,
  ];
  const dir = cacheDir(flags);
  const addon = join(dir, `smc-${variant}.node`);
  if (existsSync(addon)) return addon;
  const objectFiles = await Promise.all(sources.map((source) => objectFile(dir, source, flags)));
  // macOS's linker refuses the N-API symbols a .node file leaves for Node to provide unless told to.
  await compileTo(addon, ['-shared', ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : []), ...objectFiles]);
  return addon;
}

function hex(text: string): string {
  return Buffer.from(text, 'latin1').toString('hex').toUpperCase();
}

export interface SimulationFaults {
  /** The IOKit service that exists (AppleSMCKeysEndpoint on Apple Silicon, AppleSMC on Intel). */
  readonly service?: string;
  /** Keys that are listed and described but answer "not found" (0x84) when read. */
  readonly vanish?: readonly string[];
  /** Keys whose read makes IOConnectCallStructMethod fail with this kern_return_t. */
  readonly fail?: Readonly<Record<string, number>>;
  /** IOServiceOpen fails with this kern_return_t. */
  readonly openFailure?: number;
}

/** Writes a key table for the simulator from parsed dump entries; unreadable keys answer "not readable" (0x85). */
export function writeSimulationTable(dir: string, entries: readonly SmcDumpEntry[], faults: SimulationFaults = {}): string {
  const lines = [`service ${faults.service ?? 'AppleSMC'}`];
  for (const e of entries) {
    const data = e.bytes !== undefined ? Buffer.from(e.bytes).toString('hex').toUpperCase() : '!85';
    lines.push(`key ${hex(e.key)} ${hex(e.type)} ${e.size} ${(e.attributes ?? 0).toString(16).padStart(2, '0')} ${data === '' ? '!85' : data}`);
  }
  for (const key of faults.vanish ?? []) lines.push(`vanish ${hex(key)}`);
  for (const [key, kr] of Object.entries(faults.fail ?? {})) lines.push(`fail ${hex(key)} ${kr.toString(16)}`);
  if (faults.openFailure !== undefined) lines.push(`open-fail ${faults.openFailure.toString(16)}`);
  const path = join(dir, 'smc-table.txt');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Points the simulator at a table and a fresh call log; returns a reader of the log. */
export function useSimulation(dir: string, table: string): { calls: () => string[] } {
  const log = join(dir, `calls-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(log, '');
  process.env['SIMULATED_SMC_TABLE'] = table;
  process.env['SIMULATED_SMC_LOG'] = log;
  return { calls: () => readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') };
}
