// Each source on its own clock, through real processes: a vm_stat that hangs and ignores SIGTERM
// (fake on PATH) does not delay powermetrics' points (fake streaming powermetrics on PATH); the
// hung command is killed (SIGTERM, then SIGKILL after the grace) and its timeout reported.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Collection } from '../agent/collection.js';
import { loadConfig } from '../agent/config.js';
import { PointStore } from '../agent/metrics/instruments.js';
import { PowermetricsSource } from '../agent/sources/powermetrics.js';
import { createVmStatSource } from '../agent/sources/vm_stat.js';
import type { Source } from '../agent/sources/source.js';
import { AgentTelemetry } from '../agent/telemetry.js';
import { makeFakeBin, type FakeBin } from './helpers/fake-bin.js';
import { isAlive } from './helpers/processes.js';
import { AgentProcess, sleep, until } from './otlp/agent-process.js';
import { OtlpReceiver, pointsOf } from './otlp/receiver.js';

const M4PRO_5 = join(import.meta.dirname, 'fixtures', 'powermetrics', 'm4pro-mac16_8-macos15.5-gpu_power-5samples-nulsep-matiasinsaurralde.plist');
const CYCLE_MS = 100;

let fakes: FakeBin | undefined;
let tmp: string | undefined;
let sources: Source[] = [];
const cleanups: (() => void | Promise<void>)[] = [];
const originalPath = process.env['PATH'];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await Promise.all(sources.map((s) => s.stop()));
  sources = [];
  process.env['PATH'] = originalPath;
  delete process.env['FAKE_POWERMETRICS_CAPTURE'];
  fakes?.cleanup();
  fakes = undefined;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

describe('each source on its own clock', () => {
  it('a vm_stat that hangs and ignores SIGTERM does not delay powermetrics; it is killed after its timeout and the grace, and reported', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'macos-agent-clocks-'));
    const said = join(tmp, 'vm_stat.said');
    fakes = makeFakeBin({
      powermetrics: `#!${process.execPath}\n${readFileSync(join(import.meta.dirname, 'fakes', 'powermetrics.cjs'), 'utf8')}`,
      vm_stat: `#!/bin/sh\ntrap 'echo "SIGTERM $$" >> "${said}"' TERM\necho "started $$" >> "${said}"\nwhile :; do sleep 0.05; done\n`,
    });
    process.env['PATH'] = fakes.path;
    process.env['FAKE_POWERMETRICS_CAPTURE'] = M4PRO_5;
    const { config } = loadConfig({ env: {}, overrides: { interval: `${CYCLE_MS}ms` } });
    const logged: { msg: string; source?: string }[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => { logged.push(JSON.parse(line) as { msg: string; source?: string }); } });
    const ctx = { config, log, mode: 'daemon' as const };
    sources = [
      new PowermetricsSource(ctx, { killGraceMs: 200 }),
      createVmStatSource(ctx, { command: { timeoutMs: 400, killGraceMs: 300 } }),
    ];
    const store = new PointStore();
    const collection = new Collection(sources, store, new AgentTelemetry(), log, { cycleMs: CYCLE_MS, intervalOf: () => CYCLE_MS });
    await collection.start();

    const cycleMs: number[] = [];
    const powermetricsPoints: number[] = [];
    // Cycles until powermetrics' first sample (one interval after its child starts; how long that
    // takes depends on the machine's load, so up to 8 s), then ten more.
    let first = -1;
    for (let cycle = 0; first === -1 ? cycle < 80 : cycle < first + 10; cycle++) {
      const started = performance.now();
      await collection.collectAll(started);
      cycleMs.push(performance.now() - started);
      powermetricsPoints.push(store.count('powermetrics'));
      if (first === -1 && store.count('powermetrics') > 0) first = cycle;
      await new Promise((r) => setTimeout(r, Math.max(0, CYCLE_MS - (performance.now() - started))));
    }

    // No cycle waited for vm_stat: one that did would take its 400 ms timeout and 300 ms grace
    // (the cycle waits half a cycle; the margin is for a loaded 2-core test machine). And
    // powermetrics exported on every cycle from its first sample on.
    expect(Math.max(...cycleMs), `cycle durations (ms): ${cycleMs.map(Math.round).join(', ')}`).toBeLessThan(400);
    expect(first, `powermetrics points per cycle: ${powermetricsPoints.join(',')}`).toBeGreaterThanOrEqual(0);
    expect(powermetricsPoints.slice(first), `powermetrics points per cycle: ${powermetricsPoints.join(',')}`).toHaveLength(10);
    expect(powermetricsPoints.slice(first).every((n) => n > 0), `powermetrics points per cycle: ${powermetricsPoints.join(',')}`).toBe(true);

    // The hung vm_stat heard SIGTERM first, ignored it, was killed, and its timeout was reported.
    expect(logged.filter((l) => l.source === 'vm_stat').map((l) => l.msg)).toContain('vm_stat did not finish within 400 ms and was killed');
    const lines = readFileSync(said, 'utf8').trim().split('\n');
    const firstPid = Number(lines[0]!.split(' ')[1]);
    expect(lines).toContain(`SIGTERM ${firstPid}`);
    expect(isAlive(firstPid)).toBe(false);
  });

  it('the daemon keeps exporting powermetrics every cycle while a vm_stat hangs ignoring SIGTERM, and leaves no vm_stat behind when it stops', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'macos-agent-clocks-'));
    const pids = join(tmp, 'vm_stat.pids');
    fakes = makeFakeBin({
      powermetrics: `#!${process.execPath}\n${readFileSync(join(import.meta.dirname, 'fakes', 'powermetrics.cjs'), 'utf8')}`,
      vm_stat: `#!/bin/sh\ntrap '' TERM\necho $$ >> "${pids}"\nwhile :; do sleep 0.05; done\n`,
    });
    const receiver = await OtlpReceiver.start();
    cleanups.push(() => receiver.kill());
    const agent = new AgentProcess([
      '--interval', '200ms', '--endpoint', `http://127.0.0.1:${receiver.port}`,
      '--set', 'sources.iostat.enabled=false', '--set', 'sources.smc.enabled=false', '--set', 'sources.sysctl.enabled=false',
    ], { PATH: fakes.path, FAKE_POWERMETRICS_CAPTURE: M4PRO_5, MACOS_AGENT_STATE_DIR: join(tmp, 'state') });
    cleanups.push(() => agent.kill());
    await agent.waitForLog('vm_stat is slower than the cycle; the other sources and the export do not wait for it');
    const hungSince = Date.now();
    await sleep(2000);
    const stopped = await agent.stop();
    expect(stopped.code).toBe(0);

    // vm_stat's timeout (5 s) had not even come: a cycle waiting for it would have exported nothing in these 2 s.
    const withPower = receiver.accepted().filter((r) => r.receivedAt >= hungSince && r.receivedAt <= hungSince + 2000)
      .filter((r) => pointsOf(r.request).some((p) => p.name === 'hw.power'));
    expect(withPower.length).toBeGreaterThanOrEqual(6);
    const gaps = withPower.slice(1).map((r, i) => r.receivedAt - withPower[i]!.receivedAt);
    expect(Math.max(...gaps)).toBeLessThan(1000);
    const vmStatPids = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    expect(vmStatPids).toHaveLength(1);
    await until(() => vmStatPids.every((pid) => !isAlive(pid)), 5000, `the hung vm_stat (pid ${vmStatPids.join(', ')}) to be gone`);
  });
});
