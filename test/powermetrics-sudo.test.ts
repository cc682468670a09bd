import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../agent/config.js';
import { PowermetricsSource } from '../agent/sources/powermetrics.js';
import { makeFakeBin, type FakeBin } from './helpers/fake-bin.js';
import { isAlive } from './helpers/processes.js';

// The system service runs as the role account and starts powermetrics as `sudo -n
// /usr/bin/powermetrics ARGS`: the same supervision must hold through sudo.

const CAPTURE = join(import.meta.dirname, 'fixtures', 'powermetrics', 'm4pro-mac16_8-macos15.5-gpu_power-5samples-nulsep-matiasinsaurralde.plist');

let fake: FakeBin;
let work: string;
const saved = { ...process.env };

beforeAll(() => {
  fake = makeFakeBin({
    powermetrics: `#!${process.execPath}\n${readFileSync(join(import.meta.dirname, 'fakes', 'powermetrics.cjs'), 'utf8')}`,
    sudo: readFileSync(join(import.meta.dirname, 'fakes', 'sudo.sh'), 'utf8'),
  });
  work = mkdtempSync(join(tmpdir(), 'macos-agent-pm-sudo-'));
});
afterAll(() => fake.cleanup());

const sources: PowermetricsSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
  process.env = { ...saved };
});

function sudoSource(name: string, env: Record<string, string> = {}): { source: PowermetricsSource; warnings: string[]; sudoCalls: () => string[]; runs: () => number[] } {
  const sudoLog = join(work, `${name}-sudo.log`);
  const runsLog = join(work, `${name}-runs.log`);
  Object.assign(process.env, { PATH: fake.path, FAKE_SUDO_LOG: sudoLog, FAKE_POWERMETRICS_LOG: runsLog, FAKE_POWERMETRICS_CAPTURE: CAPTURE, ...env });
  const { config } = loadConfig({ env: {}, overrides: { 'sources.powermetrics.interval': '100ms', 'sources.powermetrics.sudo': 'true' } });
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push((JSON.parse(line) as { msg: string }).msg) });
  const source = new PowermetricsSource({ config, log, mode: 'daemon' }, { restartDelayMs: 50, refusedRetryMs: 60_000, killGraceMs: 500 });
  sources.push(source);
  const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : []);
  return { source, warnings, sudoCalls: () => lines(sudoLog), runs: () => lines(runsLog).map((l) => Number(l.split(' ')[0])) };
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('powermetrics through sudo (the system service)', () => {
  it('runs `sudo -n /usr/bin/powermetrics` with exactly the daemon arguments, reads its samples, and stops it on stop()', async () => {
    const h = sudoSource('ok');
    await h.source.start();
    const deadline = Date.now() + 5000;
    let points = await h.source.collect().catch(() => []);
    while (!points.some((p) => p.metric === 'gpuFrequency') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      points = await h.source.collect().catch(() => []);
    }
    expect(points.find((p) => p.metric === 'gpuFrequency')?.value).toBeGreaterThan(0);
    expect(h.sudoCalls()).toEqual(['-n /usr/bin/powermetrics --samplers cpu_power,gpu_power,ane_power,thermal -i 100 -f plist']);
    const sudoPid = h.source.childPid!;
    const [powermetricsPid] = h.runs();
    expect(isAlive(sudoPid) && isAlive(powermetricsPid!)).toBe(true);
    await h.source.stop();
    await until('sudo and powermetrics to exit', () => !isAlive(sudoPid) && !isAlive(powermetricsPid!));
  });

  it('says what sudo refused and how to fix the drop-in, once, and retries later', async () => {
    const h = sudoSource('refused', { FAKE_SUDO_REFUSE: '1' });
    await h.source.start();
    const warning = await until('the refusal', () => h.warnings.find((w) => w.includes('sudo refused')));
    expect(warning).toContain('sudo refused to start powermetrics (exited (code 1)): "sudo: a password is required"');
    expect(warning).toContain('run: sudo macos-agent service install --system');
    expect(warning).toContain('trying again every 60 s');
  });
});
