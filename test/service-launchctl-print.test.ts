import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLaunchctlPrint } from '../agent/service/launchctl-print.js';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', 'service', name), 'utf8');

describe('parseLaunchctlPrint', () => {
  it('reads a running job from a real `launchctl print system/<label>` (OS X 10.10)', () => {
    expect(parseLaunchctlPrint(fixture('launchctl-print-osx10.10-mysql-running-boxen-FRAGMENT.txt'))).toEqual({
      state: 'running',
      pid: 24784,
      runs: 2,
      lastExitCode: 1,
      lastTerminatingSignal: undefined,
      path: '/Library/LaunchDaemons/dev.mysql.plist',
      stdoutPath: '/opt/boxen/log/mysql/console.log',
      stderrPath: '/opt/boxen/log/mysql/console.log',
    });
  });

  it('reads a crash-looping job: named exit code, terminating signal, no pid; nested blocks ignored', () => {
    const job = parseLaunchctlPrint(fixture('handmade-launchctl-print-crash-looping.txt'));
    expect(job.state).toBe('not running');
    expect(job.pid).toBeUndefined();
    expect(job.runs).toBe(14);
    expect(job.lastExitCode).toBe(78);
    expect(job.lastTerminatingSignal).toBe('Killed: 9');
    expect(job.stderrPath).toBe('/opt/homebrew/var/log/macos-agent/macos-agent.err.log');
  });

  it('gives no exit code for a job that never exited, and nothing for fields that are absent', () => {
    const job = parseLaunchctlPrint('x = {\n\tstate = running\n\tpid = 7\n\tlast exit code = (never exited)\n}\n');
    expect(job).toMatchObject({ state: 'running', pid: 7, lastExitCode: undefined, runs: undefined, path: undefined });
  });
});
