import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../agent/version.js';
import { REPO } from './helpers/cli.js';

const run = promisify(execFile);
const BUNDLE_FIXTURE = join(REPO, 'test', 'fixtures', 'bundles', 'm1-macbookair');

interface OnceJson {
  resource: Record<string, string>;
  metrics: { name: string; unit: string; points: unknown[] }[];
  sources: unknown;
}

/** `--once --json --replay` of the m1 capture bundle, as printed by the given script (HOME: an empty folder). */
async function onceJson(script: string, home: string): Promise<OnceJson> {
  const { stdout } = await run(process.execPath, [script, '--once', '--json', '--replay', BUNDLE_FIXTURE], {
    env: { PATH: '/usr/bin:/bin', HOME: home, MACOS_AGENT_STATE_DIR: join(home, 'state') },
  });
  return JSON.parse(stdout) as OnceJson;
}

// The agent's own telemetry (how long this collection took, its own CPU and memory) differs from
// one run to the next; everything read from the capture must not.
const ownTelemetry = (name: string): boolean => name.startsWith('macos.agent.') || name.startsWith('process.');

describe('dist/macos-agent.js, the bundle the command and the service run', () => {
  let alone: string;
  beforeAll(() => {
    // Only the bundle and package.json, which it finds its version and package root by: no
    // node_modules, no dist/agent/.
    alone = mkdtempSync(join(tmpdir(), 'macos-agent-bundle-'));
    mkdirSync(join(alone, 'dist'));
    copyFileSync(join(REPO, 'dist', 'macos-agent.js'), join(alone, 'dist', 'macos-agent.js'));
    copyFileSync(join(REPO, 'package.json'), join(alone, 'package.json'));
    mkdirSync(join(alone, 'home'));
  });
  afterAll(() => rmSync(alone, { recursive: true, force: true }));

  it('carries every dependency: it runs with no node_modules beside it', async () => {
    const { stdout } = await run(process.execPath, [join(alone, 'dist', 'macos-agent.js'), '--version']);
    expect(stdout.trim()).toBe(VERSION);
  });

  // V8 keeps the source text of the daemon's one module resident, one byte per character only when
  // every character is Latin-1: one em dash doubled it (2.2 MB more, bench/README.md).
  it.each(['macos-agent.js', 'macos-agent-stack.js'])('dist/%s is ASCII only, so V8 holds its source one byte per character', (file) => {
    const bytes = readFileSync(join(REPO, 'dist', file));
    expect(bytes.length).toBeGreaterThan(100_000);
    expect(bytes.findIndex((b) => b > 0x7f)).toBe(-1);
  });

  it('collects the same as the compiled files it is built from', async () => {
    const [bundled, compiled] = await Promise.all([
      onceJson(join(alone, 'dist', 'macos-agent.js'), join(alone, 'home')),
      onceJson(join(REPO, 'dist', 'agent', 'cli.js'), join(alone, 'home')),
    ]);
    expect(bundled.resource).toEqual(compiled.resource);
    expect(bundled.sources).toEqual(compiled.sources);
    expect(bundled.metrics.map((m) => m.name)).toEqual(compiled.metrics.map((m) => m.name));
    const fromCapture = (r: OnceJson) => r.metrics.filter((m) => !ownTelemetry(m.name));
    expect(fromCapture(bundled).length).toBeGreaterThan(15);
    expect(fromCapture(bundled)).toEqual(fromCapture(compiled));
  });
});

describe('the bundle under a Node.js older than the engines field', () => {
  /** Runs `--version` under this test's Node told by a preload that it is `version`: what an old Node would see. */
  async function versionAs(version: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const pretend = `Object.defineProperty(process.versions, 'node', { value: '${version}' }); Object.defineProperty(process, 'version', { value: 'v${version}' });`;
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(pretend)}`, join(REPO, 'dist', 'macos-agent.js'), '--version']);
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it.each(['20.19.0', '22.14.0'])('refuses Node.js %s before any dependency loads, in one line naming the version and the fix', async (version) => {
    const r = await versionAs(version);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`macos-agent needs Node.js 22.15 or later; this is v${version} (${process.execPath}) — install Node.js 24 LTS, or in the project run it with npm run agent --, which brings its own\n`);
  });

  it('runs under Node.js 22.15, the oldest the engines field allows', async () => {
    const r = await versionAs('22.15.0');
    expect(r).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });
});
