// The agent's child processes: one-shot runs that report how they ended instead of throwing,
// timeouts that end even a child ignoring SIGTERM, and no child left running when the agent exits.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { liveChildCount, runFile, spawnChild } from '../agent/sources/child-process.js';
import { isAlive } from './helpers/processes.js';

const MODULE = join(import.meta.dirname, '..', 'agent', 'sources', 'child-process.ts');

let tmp: string | undefined;
afterEach(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});


async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('runFile', () => {
  it('reports a command that is not on PATH as not found, without throwing', async () => {
    const result = await runFile('macos-agent-no-such-command', ['-x'], { timeoutMs: 1000 });
    expect(result).toMatchObject({ notFound: true, exitCode: null, signal: null, timedOut: false, stdout: '', stderr: '' });
    expect((result.startError as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('returns the output and exit code of a command that fails', async () => {
    const result = await runFile('/bin/sh', ['-c', 'echo partial; echo "sysctl: unknown oid" >&2; exit 3'], { timeoutMs: 5000 });
    expect(result).toMatchObject({
      exitCode: 3, signal: null, notFound: false, startError: undefined, timedOut: false, outputTooLarge: false,
      stdout: 'partial\n', stderr: 'sysctl: unknown oid\n',
    });
  });

  it('runs the child with LC_ALL=C, the given variables and the rest of the environment', async () => {
    process.env['MACOS_AGENT_TEST_INHERITED'] = 'inherited';
    try {
      const result = await runFile('/bin/sh', ['-c', 'echo "$LC_ALL $MACOS_AGENT_TEST_INHERITED $EXTRA"'], { timeoutMs: 5000, env: { EXTRA: 'given' } });
      expect(result.stdout).toBe('C inherited given\n');
    } finally {
      delete process.env['MACOS_AGENT_TEST_INHERITED'];
    }
  });

  it('ends a command at its timeout with SIGTERM', async () => {
    const t0 = Date.now();
    const result = await runFile('sleep', ['10'], { timeoutMs: 100 });
    expect(result).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGTERM' });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('kills a timed-out command that ignores SIGTERM with SIGKILL after the grace period', async () => {
    const t0 = Date.now();
    const result = await runFile('/bin/sh', ['-c', 'trap "echo got SIGTERM" TERM; while :; do sleep 0.05; done'], { timeoutMs: 150, killGraceMs: 300 });
    const elapsed = Date.now() - t0;
    expect(result).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGKILL' });
    expect(result.stdout).toContain('got SIGTERM');
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(3000);
  });

  it('returns soon after the command exits even when a process it left behind holds its output open', async () => {
    const t0 = Date.now();
    const result = await runFile('/bin/sh', ['-c', 'sleep 30 & echo $!'], { timeoutMs: 5000 });
    process.kill(Number(result.stdout), 'SIGKILL');
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('a timed-out command is stopped with its whole process group: what it forked is gone too', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'macos-agent-group-'));
    const grandchildPid = join(tmp, 'grandchild.pid');
    const result = await runFile('/bin/sh', ['-c', `sleep 60 & echo $! > '${grandchildPid}'; wait`], { timeoutMs: 300 });
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGTERM' });
    const pid = Number(readFileSync(grandchildPid, 'utf8').trim());
    await until(() => !isAlive(pid), 5000, `the grandchild (pid ${pid}) to be gone`);
  });

  it('keeps at most maxBufferBytes of output and ends a command that prints more', async () => {
    const result = await runFile('head', ['-c', '1000000', '/dev/zero'], { timeoutMs: 5000, maxBufferBytes: 1000 });
    expect(result.outputTooLarge).toBe(true);
    expect(result.stdout).toHaveLength(1000);
  });
});

describe('spawnChild', () => {
  it('counts a child as live until it has exited, and terminate() ends it', async () => {
    const before = liveChildCount();
    const child = spawnChild('sleep', ['60']);
    expect(child.pid).toBeGreaterThan(0);
    expect(liveChildCount()).toBe(before + 1);
    child.terminate();
    expect(await child.exited).toMatchObject({ exitCode: null, signal: 'SIGTERM', notFound: false });
    expect(liveChildCount()).toBe(before);
    expect(isAlive(child.pid!)).toBe(false);
  });

  it('terminate() stops the child\'s whole process group, a grandchild that ignores SIGTERM included (SIGKILL after the grace)', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'macos-agent-group-'));
    const grandchildPid = join(tmp, 'grandchild.pid');
    const child = spawnChild('/bin/sh', ['-c', `sh -c 'trap "" TERM; echo $$ > "${grandchildPid}"; while :; do sleep 0.05; done' & wait`], { killGraceMs: 300 });
    await until(() => existsSync(grandchildPid) && readFileSync(grandchildPid, 'utf8').trim() !== '', 2000, 'the grandchild to start');
    const pid = Number(readFileSync(grandchildPid, 'utf8').trim());
    child.terminate();
    expect(await child.exited).toMatchObject({ signal: 'SIGTERM' });
    // Gone once reaped: on this Linux test machine pid 1 reaps orphans only every ~2 s.
    await until(() => !isAlive(pid), 5000, `the grandchild (pid ${pid}) to be gone`);
  });

  it('streams the child output as it comes', async () => {
    const child = spawnChild('/bin/sh', ['-c', 'echo one; echo two >&2']);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    expect(await child.exited).toMatchObject({ exitCode: 0, signal: null });
    expect([stdout, stderr]).toEqual(['one\n', 'two\n']);
  });
});

describe('children and the agent process', () => {
  it('kills every child still running when the process exits', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'macos-agent-children-'));
    const oneShotPidFile = join(tmp, 'one-shot.pid');
    const parent = join(tmp, 'parent.mjs');
    writeFileSync(parent, [
      `import { readFileSync } from 'node:fs';`,
      `import { runFile, spawnChild } from ${JSON.stringify(pathToFileURL(MODULE).href)};`,
      `const longLived = spawnChild('sleep', ['60']);`,
      `void runFile('/bin/sh', ['-c', ${JSON.stringify(`echo $$ > '${oneShotPidFile}'; exec sleep 61`)}], { timeoutMs: 60000 });`,
      `const started = setInterval(() => {`,
      `  let pid = '';`,
      `  try { pid = readFileSync(${JSON.stringify(oneShotPidFile)}, 'utf8').trim(); } catch {}`,
      `  if (pid === '') return;`,
      `  clearInterval(started);`,
      `  process.stdout.write(String(longLived.pid));`,
      `  process.exit(0);`,
      `}, 10);`,
    ].join('\n'));
    const { stdout } = await promisify(execFile)(process.execPath, ['--disable-warning=ExperimentalWarning', parent], { timeout: 10_000 });
    const longLivedPid = Number(stdout);
    expect(longLivedPid).toBeGreaterThan(0);
    const oneShotPid = Number(readFileSync(oneShotPidFile, 'utf8').trim());
    await until(() => !isAlive(longLivedPid) && !isAlive(oneShotPid), 2000, `the children (pids ${longLivedPid}, ${oneShotPid}) to be gone`);
  });

  /**
   * A parent that starts a child whose own child ignores SIGTERM, waits until that grandchild runs,
   * then ends as `how` says; returns the grandchild's pid once the parent is gone.
   */
  async function grandchildAfterParentEnds(how: 'process.exit' | 'SIGHUP'): Promise<number> {
    tmp = mkdtempSync(join(tmpdir(), 'macos-agent-children-'));
    const pidFile = join(tmp, 'grandchild.pid');
    const parent = join(tmp, 'parent.mjs');
    writeFileSync(parent, [
      `import { readFileSync } from 'node:fs';`,
      `import { spawnChild } from ${JSON.stringify(pathToFileURL(MODULE).href)};`,
      `spawnChild('/bin/sh', ['-c', ${JSON.stringify(`sh -c 'trap "" TERM; echo $$ > "${pidFile}"; while :; do sleep 0.05; done' & wait`)}]);`,
      `const started = setInterval(() => {`,
      `  let pid = '';`,
      `  try { pid = readFileSync(${JSON.stringify(pidFile)}, 'utf8').trim(); } catch {}`,
      `  if (pid === '') return;`,
      `  clearInterval(started);`,
      how === 'process.exit' ? `  process.exit(0);` : `  process.kill(process.pid, 'SIGHUP');`,
      `}, 10);`,
    ].join('\n'));
    await promisify(execFile)(process.execPath, ['--disable-warning=ExperimentalWarning', parent], { timeout: 10_000 }).catch(() => undefined);
    return Number(readFileSync(pidFile, 'utf8').trim());
  }

  it('at exit, stops each live child\'s whole process group, a grandchild that ignores SIGTERM included', async () => {
    const pid = await grandchildAfterParentEnds('process.exit');
    // Gone once reaped: on this Linux test machine pid 1 reaps orphans only every ~2 s.
    await until(() => !isAlive(pid), 5000, `the grandchild (pid ${pid}) to be gone`);
  });

  it('when the process dies of a signal it does not handle, execa\'s cleanup stops the live children\'s process groups', async () => {
    const pid = await grandchildAfterParentEnds('SIGHUP');
    await until(() => !isAlive(pid), 5000, `the grandchild (pid ${pid}) to be gone`);
  });
});
