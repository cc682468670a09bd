// `--replay DIR` reads only regular files of bounded size: a FIFO, a device, a link or a huge file
// in a bundle is refused at once with a message, never waited on or read whole.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_REPLAY_FILE_BYTES, readReplayFile } from '../agent/sources/run-command.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'replay-files-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readReplayFile', () => {
  it('reads a regular file', async () => {
    writeFileSync(join(dir, 'sysctl.txt'), 'hw.memsize: 8589934592\n');
    await expect(readReplayFile('sysctl', dir, 'sysctl.txt')).resolves.toBe('hw.memsize: 8589934592\n');
  });

  it('refuses a FIFO at once instead of blocking on it', async () => {
    execFileSync('mkfifo', [join(dir, 'sysctl.txt')]);
    const started = performance.now();
    await expect(readReplayFile('sysctl', dir, 'sysctl.txt')).rejects.toThrow(`replay file ${join(dir, 'sysctl.txt')} is not a regular file (a FIFO): refused; sysctl is not replayed`);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses a symlink, even to a regular file, and a link to /dev/zero reads nothing', async () => {
    writeFileSync(join(dir, 'real.txt'), 'hw.memsize: 1\n');
    symlinkSync(join(dir, 'real.txt'), join(dir, 'sysctl.txt'));
    symlinkSync('/dev/zero', join(dir, 'vm_stat.txt'));
    await expect(readReplayFile('sysctl', dir, 'sysctl.txt')).rejects.toThrow(/is a symbolic link: refused/);
    await expect(readReplayFile('vm_stat', dir, 'vm_stat.txt')).rejects.toThrow(/is a symbolic link: refused/);
  });

  it('refuses a device', async () => {
    await expect(readReplayFile('vm_stat', '/dev', 'zero')).rejects.toThrow('replay file /dev/zero is not a regular file (a device): refused');
  });

  it(`refuses a file larger than ${MAX_REPLAY_FILE_BYTES} bytes without reading it`, async () => {
    writeFileSync(join(dir, 'iostat.txt'), '');
    truncateSync(join(dir, 'iostat.txt'), MAX_REPLAY_FILE_BYTES + 1);
    await expect(readReplayFile('iostat', dir, 'iostat.txt')).rejects.toThrow(`is ${MAX_REPLAY_FILE_BYTES + 1} bytes, more than the ${MAX_REPLAY_FILE_BYTES} bytes allowed: refused`);
  });

  it('still says a bundle has no file when it is absent', async () => {
    await expect(readReplayFile('smc', dir, 'smc.txt')).rejects.toThrow(/replay bundle has no smc.txt/);
  });
});
