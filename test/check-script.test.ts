import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO } from './helpers/cli.js';
import { makeFakeBin } from './helpers/fake-bin.js';

const SCRIPT = join(REPO, 'scripts', 'check.sh');
const BASH = (process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, 'bash')).find((file) => existsSync(file))!;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Runs `npm run check`'s script with nothing on PATH but `dirs`. */
function runCheck(dirs: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BASH, [SCRIPT], { env: { PATH: dirs.join(delimiter) }, timeout: 10_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

function emptyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'macos-agent-empty-path-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('npm run check (scripts/check.sh) on a machine without its tools', () => {
  it('names every missing tool with its Debian package and Homebrew formula, and fails before checking anything', async () => {
    const r = await runCheck([emptyDir()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      'check: shellcheck is not installed — Debian: apt-get install shellcheck; macOS: brew install shellcheck',
      'check: plistutil is not installed — Debian: apt-get install libplist-utils; macOS: brew install libplist',
      'check: promtool is not installed — Debian: apt-get install prometheus; macOS: brew install prometheus',
      'check: amtool is not installed — Debian: apt-get install prometheus-alertmanager; macOS: brew install alertmanager',
      'check: visudo is not installed — Debian: apt-get install sudo (it installs visudo in /usr/sbin: have that on PATH); macOS: part of the system (/usr/sbin/visudo)',
      'check: 5 tool(s) missing: install them and run npm run check again (.ci/run does it with apt-get)',
    ]);
  });

  it('names only the tool that is missing, and runs none of those that are there', async () => {
    const calls = join(emptyDir(), 'calls.txt');
    const recorder = `#!/bin/sh\necho "$0" >> '${calls}'\nexit 1\n`;
    const fakes = makeFakeBin({ shellcheck: recorder, plistutil: recorder, promtool: recorder, visudo: recorder });
    cleanups.push(() => fakes.cleanup());
    const r = await runCheck([fakes.dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('check: amtool is not installed — Debian: apt-get install prometheus-alertmanager; macOS: brew install alertmanager\n');
    expect(r.stderr).toContain('check: 1 tool(s) missing');
    expect(r.stderr).not.toMatch(/(shellcheck|plistutil|promtool|visudo) is not installed/);
    expect(existsSync(calls)).toBe(false);
  });
});
