import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeFakeBin } from './helpers/fake-bin.js';
import { AgentProcess, sleep, until } from './otlp/agent-process.js';
import { startAgent } from './otlp/daemon.js';
import { OtlpReceiver } from './otlp/receiver.js';
import { isAlive } from './helpers/processes.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});


describe('the daemon on SIGTERM and SIGINT', () => {
  it('exits at once on a second signal while the first is still flushing to a slow collector', async () => {
    const receiver = await OtlpReceiver.start({ delayMs: 8000 });
    cleanups.push(() => receiver.kill());
    const { agent, cleanup } = startAgent(`http://127.0.0.1:${receiver.port}`, { args: ['--set', 'exporter.timeout=20s'] });
    cleanups.push(cleanup);
    await until(() => receiver.requests.length > 0 || agent.lines.some((l) => l.msg.includes('started')), 15_000, 'the agent to start');
    await sleep(500);
    agent.child.kill('SIGINT');
    await agent.waitForLog('SIGINT received');
    const t0 = Date.now();
    const { code } = await agent.stop('SIGINT');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(code).toBe(130);
  });

  it('stops a hanging child and exits 0 within 5 s; the child does not outlive it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'macos-agent-signals-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const pidFile = join(dir, 'vm_stat.pid');
    const fakes = makeFakeBin({ vm_stat: `#!/bin/sh\necho $$ >> '${pidFile}'\nexec sleep 60\n` });
    cleanups.push(() => fakes.cleanup());
    const agent = new AgentProcess([
      '--interval', '200ms', '--endpoint', 'http://127.0.0.1:9',
      '--set', 'sources.powermetrics.enabled=false', '--set', 'sources.iostat.enabled=false',
      '--set', 'sources.smc.enabled=false', '--set', 'sources.sysctl.enabled=false',
    ], { PATH: fakes.path, MACOS_AGENT_STATE_DIR: join(dir, 'state'), MACOS_AGENT_PID_FILE: join(dir, 'agent.pid') });
    cleanups.push(() => agent.kill());
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 15_000, 'the fake vm_stat to start');
    await until(() => existsSync(join(dir, 'agent.pid')), 5000, 'the agent to write its pid file');
    expect(readFileSync(join(dir, 'agent.pid'), 'utf8')).toBe(`${agent.child.pid}\n`);
    expect(isAlive(Number(readFileSync(pidFile, 'utf8').trim()))).toBe(true);
    const stopped = await agent.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    expect(existsSync(join(dir, 'agent.pid')), 'the pid file is removed at exit').toBe(false);
    expect(stopped.ms).toBeLessThan(5000);
    const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    await until(() => pids.every((pid) => !isAlive(pid)), 2000, `every fake vm_stat (pids ${pids.join(', ')}) to be gone`);
  });
});
