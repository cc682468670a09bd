// The supervisor of long-lived children, through real processes: one backoff formula, a stop that
// is SIGTERM first (so a `sudo` in front of the command can relay it), and a command given as
// (file, args) so a prefix is one more argument.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backoffDelay, SupervisedChild, type ChildEnd, type NextStep } from '../agent/sources/supervised-child.js';
import { makeFakeBin, type FakeBin } from './helpers/fake-bin.js';
import { isAlive } from './helpers/processes.js';

let fakes: FakeBin | undefined;
let tmp: string | undefined;
const supervisors: SupervisedChild[] = [];
const originalPath = process.env['PATH'];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stop()));
  process.env['PATH'] = originalPath;
  fakes?.cleanup();
  fakes = undefined;
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

const TIMING = { restartDelayMs: 50, maxRestartDelayMs: 200, killGraceMs: 2000, silenceMs: 60_000 };

describe('backoffDelay', () => {
  it('doubles from the first delay per consecutive failure, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay({ restartDelayMs: 1000, maxRestartDelayMs: 60_000 }, n)))
      .toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });
});

describe('SupervisedChild', () => {
  it('stops a command run behind a sudo-like prefix with SIGTERM first: the command hears it and ends cleanly', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'macos-agent-supervised-'));
    const said = join(tmp, 'said');
    // A stand-in for `sudo -n CMD ARGS`: runs the command as its child and relays SIGTERM to it,
    // as sudo does (a SIGKILL to sudo could not be relayed).
    fakes = makeFakeBin({
      sudo: '#!/bin/sh\nshift\n"$@" &\npid=$!\ntrap \'kill -TERM $pid\' TERM\nwait $pid\nwait $pid\n',
      // The TERM can arrive twice (to the process group, and relayed by the stand-in): the handler
      // ignores the second, as a program that is already ending does.
      streamer: `#!/bin/sh\ntrap 'trap "" TERM; echo "SIGTERM $$" >> "${said}"; exit 0' TERM\necho "started $$" >> "${said}"\nwhile :; do echo row; sleep 0.05; done\n`,
    });
    const ends: ChildEnd[] = [];
    const child = new SupervisedChild({
      command: () => ({ file: join(fakes!.dir, 'sudo'), args: ['-n', join(fakes!.dir, 'streamer'), '--interval', '1'] }),
      timing: TIMING,
      onStdout: () => child.noteHealthy(),
      onEnd: (end) => {
        ends.push(end);
        return 'backoff';
      },
    });
    supervisors.push(child);
    child.start();
    await until(() => existsSync(said), 2000, 'the command to start');
    const commandPid = Number(readFileSync(said, 'utf8').split(' ')[1]);
    const sudoPid = child.pid!;
    await child.stop();
    expect(readFileSync(said, 'utf8')).toBe(`started ${commandPid}\nSIGTERM ${commandPid}\n`);
    expect(isAlive(sudoPid)).toBe(false);
    expect(child.pid).toBeUndefined();
    expect(ends).toEqual([]);
  });

  it('hands each end to the source with its exit, stderr and backoff, and follows the answer', async () => {
    fakes = makeFakeBin({ failing: '#!/bin/sh\necho "no sampler could be started" >&2\nexit 1\n' });
    const ends: ChildEnd[] = [];
    let restarts = 0;
    const answers: NextStep[] = ['backoff', 'backoff', { retryAfterMs: 10 }, 'give-up'];
    const child = new SupervisedChild({
      command: () => ({ file: 'failing', args: [] }),
      timing: TIMING,
      onStdout: () => undefined,
      onEnd: (end) => {
        ends.push(end);
        return answers[ends.length - 1]!;
      },
      onRestart: () => restarts++,
    });
    supervisors.push(child);
    process.env['PATH'] = fakes.path;
    child.start();
    await until(() => ends.length === 4, 3000, 'four ends');
    expect(ends.map((e) => [e.cause, e.exit.exitCode, e.stderr, e.failures, e.backoffMs])).toEqual([
      ['exited', 1, 'no sampler could be started\n', 1, 50],
      ['exited', 1, 'no sampler could be started\n', 2, 100],
      // A fixed retry is not a failure of the backoff: the count stays.
      ['exited', 1, 'no sampler could be started\n', 3, 200],
      ['exited', 1, 'no sampler could be started\n', 3, 200],
    ]);
    expect(restarts).toBe(3);
    expect(child.running).toBe(false);
  });

  it('ends a child that makes no progress for silenceMs (SIGTERM, then SIGKILL) and says how long it was silent', async () => {
    fakes = makeFakeBin({ mute: '#!/bin/sh\ntrap "" TERM\nwhile :; do sleep 0.05; done\n' });
    const ends: ChildEnd[] = [];
    const child = new SupervisedChild({
      command: () => ({ file: join(fakes!.dir, 'mute'), args: [] }),
      timing: { ...TIMING, silenceMs: 150, killGraceMs: 100 },
      onStdout: () => undefined,
      onEnd: (end) => {
        ends.push(end);
        return 'give-up';
      },
    });
    supervisors.push(child);
    child.start();
    const pid = child.pid!;
    await until(() => ends.length === 1, 3000, 'the watchdog');
    expect(ends[0]).toMatchObject({ cause: 'silent', exit: { signal: 'SIGKILL' } });
    expect(ends[0]!.silentForMs).toBeGreaterThan(150);
    expect(isAlive(pid)).toBe(false);
  });

  it('gives a new child startGraceMs more for its first progress, then the plain silence window', async () => {
    // Starts slowly (first line after 400 ms, past silenceMs), then prints once and falls silent.
    fakes = makeFakeBin({ slow: '#!/bin/sh\nsleep 0.4\necho ready\nexec sleep 60\n' });
    const ends: ChildEnd[] = [];
    let firstLineAt = 0;
    const child: SupervisedChild = new SupervisedChild({
      command: () => ({ file: join(fakes!.dir, 'slow'), args: [] }),
      timing: { ...TIMING, silenceMs: 200, startGraceMs: 1000, killGraceMs: 100 },
      onStdout: () => {
        firstLineAt ||= Date.now();
        child.noteProgress();
      },
      onEnd: (end) => {
        ends.push(end);
        return 'give-up';
      },
    });
    supervisors.push(child);
    child.start();
    await until(() => ends.length === 1, 5000, 'the watchdog');
    expect(firstLineAt).toBeGreaterThan(0);
    expect(ends[0]).toMatchObject({ cause: 'silent' });
    expect(ends[0]!.silentForMs).toBeGreaterThanOrEqual(200);
    expect(ends[0]!.silentForMs).toBeLessThan(1000);
  });
});
