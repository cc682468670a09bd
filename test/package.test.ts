import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../agent/version.js';
import { REPO } from './helpers/cli.js';
import { startLocalRegistry, type LocalRegistry } from './helpers/local-registry.js';
import { USER_NPM_ENV } from './helpers/user-path.js';

const run = promisify(execFile);

function npm(args: readonly string[], cwd: string, timeout = 120_000): Promise<{ stdout: string; stderr: string }> {
  return run('npm', [...args], { cwd, timeout, maxBuffer: 16 * 1024 * 1024, env: USER_NPM_ENV });
}

let work: string;
let tarball: string;
let packed: string[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'macos-agent-pack-'));
  // npm test has built dist/ already (pretest); --ignore-scripts keeps `prepare` from rebuilding
  // it under the other tests that run it.
  const { stdout } = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO);
  const [report] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  tarball = join(work, report.filename);
  packed = report.files.map((f) => f.path).sort();
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack', () => {
  it('ships what runs: the bundle, the addon\'s sources, launchd files, scripts, docs, README and LICENSE', () => {
    for (const file of ['dist/macos-agent.js', 'binding.gyp', 'native/binding.cc', 'native/smc_iokit.cc', 'launchd/config.default.yaml',
      'scripts/install.sh', 'docs/metrics.md', 'README.md', 'LICENSE', 'package.json']) {
      expect(packed).toContain(file);
    }
    const topLevel = new Set(packed.map((p) => p.split('/')[0]));
    expect([...topLevel].sort()).toEqual(['LICENSE', 'README.md', 'binding.gyp', 'dist', 'docs', 'launchd', 'native', 'package.json', 'scripts']);
  });

  it('ships no tests, fixtures or TypeScript sources', () => {
    expect(packed.filter((p) => p.startsWith('test/') || p.startsWith('agent/') || p.startsWith('bench/') || p.includes('fixtures'))).toEqual([]);
  });

  it('carries the Apache-2.0 licence that package.json names', () => {
    expect((JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { license: string }).license).toBe('Apache-2.0');
    const text = readFileSync(join(REPO, 'LICENSE'), 'utf8');
    expect(text).toContain('Apache License\n                           Version 2.0, January 2004');
    expect(text).toContain('END OF TERMS AND CONDITIONS');
  });
});

describe('the packed tarball, installed with npm install -g into an empty prefix (dependencies from a loopback registry)', () => {
  let registry: LocalRegistry;
  let prefix: string;
  let command: string;

  beforeAll(async () => {
    const cacheDir = execFileSync('npm', ['config', 'get', 'cache'], { env: USER_NPM_ENV, encoding: 'utf8' }).trim();
    registry = await startLocalRegistry({ lockfile: join(REPO, 'package-lock.json'), cacheDir });
    prefix = join(work, 'prefix');
    mkdirSync(prefix);
    await npm(['install', '--global', '--prefix', prefix, '--registry', registry.url, '--cache', join(work, 'npm-cache'),
      '--no-audit', '--no-fund', tarball], work);
    command = join(prefix, 'bin', 'macos-agent');
  }, 150_000);

  afterAll(() => registry?.close());

  /** Runs the installed command with a Node the package supports first on PATH, as a user with Node >= 22.15 would. */
  const runInstalled = (args: readonly string[]) => run(command, [...args], {
    env: { PATH: [dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter), HOME: work, MACOS_AGENT_STATE_DIR: join(work, 'state') },
    maxBuffer: 16 * 1024 * 1024,
  });

  it('links the command and builds the SMC addon from the shipped sources', () => {
    expect(existsSync(command)).toBe(true);
    expect(existsSync(join(prefix, 'lib', 'node_modules', 'macos-agent', 'build', 'Release', 'smc.node'))).toBe(true);
    // Its production dependencies came from the loopback registry; no development one was asked for.
    expect(registry.requests).toEqual(expect.arrayContaining(['/pino', '/@opentelemetry/sdk-metrics', '/node-addon-api']));
    expect(registry.requests.filter((path) => /vitest|typescript|esbuild/.test(path))).toEqual([]);
  });

  it('prints its version', async () => {
    expect((await runInstalled(['--version'])).stdout.trim()).toBe(VERSION);
  });

  it('collects a capture bundle with --once --replay', async () => {
    const { stdout } = await runInstalled(['--once', '--json', '--replay', join(REPO, 'test', 'fixtures', 'bundles', 'm1-macbookair')]);
    const names = (JSON.parse(stdout) as { metrics: { name: string }[] }).metrics.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['hw.power', 'macos.cpu.cluster.frequency', 'system.memory.usage', 'system.paging.usage']));
  });
});
