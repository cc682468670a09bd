// No write of the agent follows a link, and what it reads back from its spool is bounded: a link
// planted at the pid file, a spool file, a `.tmp` file or in a capture folder is replaced or
// refused and its target left untouched; a folder others can write to is refused at start; a
// gzip bomb or a link to /dev/zero in the spool is moved aside, read within a memory bound.
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertPrivateFolder } from '../agent/file-safety.js';
import { BadSpoolFileError, MAX_BATCH_BYTES, Spool, type SpoolEntry } from '../agent/export/spool.js';
import { runCli } from './helpers/cli.js';
import { catScript, makeFakeBin } from './helpers/fake-bin.js';
import { IOREG_FIXTURE, makeBundle } from './otlp/bundle.js';
import { AgentProcess, until } from './otlp/agent-process.js';

let dir: string;
/** A root-only file stands for what a planted link aims at: it must never change. */
let target: string;
const TARGET_TEXT = 'root-only content\n';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'no-follow-'));
  target = join(dir, 'target');
  writeFileSync(target, TARGET_TEXT, { mode: 0o600 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ENTRY = { seq: 1, createdAt: 1_700_000_000_000, points: 3 };
const ENTRY_FILE = '0000000000000001-1700000000000-3.json.gz';

async function gzipBomb(bytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gzip.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  const zeros = Buffer.alloc(1 << 20);
  for (let written = 0; written < bytes; written += zeros.length) {
    if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await done;
  return Buffer.concat(chunks);
}

describe('the spool', () => {
  it('writes a batch through neither a planted .tmp link nor a link at its name', async () => {
    const spool = new Spool(dir);
    mkdirSync(spool.dir, { mode: 0o700 });
    symlinkSync(target, join(spool.dir, `${ENTRY_FILE}.tmp`));
    await spool.write(ENTRY, Spool.compress(Buffer.from('batch one')));
    expect(readFileSync(target, 'utf8')).toBe(TARGET_TEXT);
    expect(lstatSync(join(spool.dir, ENTRY_FILE)).isFile()).toBe(true);

    rmSync(join(spool.dir, ENTRY_FILE));
    symlinkSync(target, join(spool.dir, ENTRY_FILE));
    await spool.write(ENTRY, Spool.compress(Buffer.from('batch two')));
    expect(readFileSync(target, 'utf8')).toBe(TARGET_TEXT);
    const { entries } = await spool.load();
    expect(Buffer.from(await spool.read(entries[0]!)).toString()).toBe('batch two');
  });

  it('moves a link to /dev/zero named like a batch aside at load, without reading it', async () => {
    const spool = new Spool(dir);
    mkdirSync(spool.dir, { mode: 0o700 });
    symlinkSync('/dev/zero', join(spool.dir, ENTRY_FILE));
    const { entries, ignored } = await spool.load();
    expect(entries).toEqual([]);
    expect(ignored).toEqual([`${ENTRY_FILE}.bad (not a regular file)`]);
    expect(readdirSync(spool.dir)).toEqual([`${ENTRY_FILE}.bad`]);
  });

  it('refuses a link to /dev/zero that appears after load, and moves it aside once', async () => {
    const spool = new Spool(dir);
    mkdirSync(spool.dir, { mode: 0o700 });
    const entry: SpoolEntry = { ...ENTRY, bytes: 10 };
    symlinkSync('/dev/zero', join(spool.dir, ENTRY_FILE));
    await expect(spool.read(entry)).rejects.toThrow(/is a symbolic link: refused/);
    expect(readdirSync(spool.dir)).toEqual([`${ENTRY_FILE}.bad`]);
    await expect(spool.read(entry)).rejects.toThrow(/ENOENT/);
  });

  it(`decompresses a gzip bomb (256 MiB of zeros) to at most ${MAX_BATCH_BYTES / (1 << 20)} MiB, then moves it aside`, async () => {
    const spool = new Spool(dir);
    mkdirSync(spool.dir, { mode: 0o700 });
    const bomb = await gzipBomb(256 << 20);
    writeFileSync(join(spool.dir, ENTRY_FILE), bomb, { mode: 0o600 });
    const { entries } = await spool.load();
    const rssBefore = process.memoryUsage().rss;
    const error = await spool.read(entries[0]!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadSpoolFileError);
    expect((error as Error).message).toMatch(new RegExp(`^spool file .*${ENTRY_FILE} is unusable \\(Cannot create a Buffer larger than ${MAX_BATCH_BYTES} bytes.*\\); moved aside to ${ENTRY_FILE}\\.bad$`));
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(MAX_BATCH_BYTES + 64 * (1 << 20));
    expect(readdirSync(spool.dir)).toEqual([`${ENTRY_FILE}.bad`]);
    expect((await spool.load()).entries).toEqual([]);
  });
});

describe('folders the daemon writes into', () => {
  it('accepts a private folder and one that does not exist yet', () => {
    mkdirSync(join(dir, 'state'), { mode: 0o700 });
    expect(() => assertPrivateFolder(join(dir, 'state'), 'state_dir')).not.toThrow();
    expect(() => assertPrivateFolder(join(dir, 'absent'), 'state_dir')).not.toThrow();
  });

  it('refuses a folder others can write to, and a link to a folder', () => {
    mkdirSync(join(dir, 'shared'));
    chmodSync(join(dir, 'shared'), 0o1777);
    symlinkSync(join(dir, 'shared'), join(dir, 'link'));
    expect(() => assertPrivateFolder(join(dir, 'shared'), 'state_dir'))
      .toThrow(`state_dir ${join(dir, 'shared')} is writable by group or others (mode 777): another account could plant files there — run: chmod go-w '${join(dir, 'shared')}'`);
    expect(() => assertPrivateFolder(join(dir, 'link'), 'pid_file folder')).toThrow(/pid_file folder .* is a symbolic link: the agent never writes through one/);
  });

  it('refuses a folder that belongs to another account (neither the agent nor root)', () => {
    const folder = join(dir, 'theirs');
    mkdirSync(folder, { mode: 0o755 });
    const uid = process.geteuid!();
    // As root, the folder is given to another account; otherwise the agent is said to run as one.
    if (uid === 0) chownSync(folder, 4242, 4242);
    const agentUid = uid === 0 ? 0 : uid + 1;
    expect(() => assertPrivateFolder(folder, 'state_dir', agentUid))
      .toThrow(`state_dir ${folder} is owned by uid ${uid === 0 ? 4242 : uid}, not by the agent's uid ${agentUid} or root: another account could plant files there`);
  });

  it('stops the daemon at start with exit 2 when state_dir, the spool or the pid folder is writable by others', async () => {
    const bundle = makeBundle();
    try {
      const shared = join(dir, 'shared');
      mkdirSync(shared);
      chmodSync(shared, 0o777);
      const args = ['--replay', bundle, '--endpoint', 'http://127.0.0.1:9', '--interval', '200ms'];
      const state = await runCli(args, { MACOS_AGENT_STATE_DIR: shared });
      expect(state.code).toBe(2);
      expect(state.stderr).toContain(`state_dir ${shared} is writable by group or others`);

      mkdirSync(join(dir, 'state', 'spool'), { recursive: true, mode: 0o700 });
      chmodSync(join(dir, 'state', 'spool'), 0o770);
      const spool = await runCli(args, { MACOS_AGENT_STATE_DIR: join(dir, 'state') });
      expect(spool.code).toBe(2);
      expect(spool.stderr).toContain(`spool folder ${join(dir, 'state', 'spool')} is writable by group or others`);

      const pid = await runCli(args, { MACOS_AGENT_STATE_DIR: join(dir, 'private'), MACOS_AGENT_PID_FILE: join(shared, 'agent.pid') });
      expect(pid.code).toBe(2);
      expect(pid.stderr).toContain(`pid_file folder ${shared} is writable by group or others`);
    } finally {
      rmSync(bundle, { recursive: true, force: true });
    }
  });
});

describe('the pid file', () => {
  it('replaces a planted link (and a planted .tmp link) instead of writing through it', async () => {
    const bundle = makeBundle();
    const fakes = makeFakeBin({ ioreg: catScript(IOREG_FIXTURE) });
    const pidFile = join(dir, 'agent.pid');
    symlinkSync(target, pidFile);
    symlinkSync(target, `${pidFile}.tmp`);
    const agent = new AgentProcess([
      '--replay', bundle, '--endpoint', 'http://127.0.0.1:9', '--interval', '200ms',
      '--set', 'sources.powermetrics.enabled=false', '--set', 'sources.iostat.enabled=false', '--set', 'sources.smc.enabled=false',
    ], { PATH: fakes.path, MACOS_AGENT_STATE_DIR: join(dir, 'state'), MACOS_AGENT_PID_FILE: pidFile });
    try {
      await until(() => lstatSync(pidFile).isFile(), 15_000, 'the pid file');
      expect(readFileSync(pidFile, 'utf8')).toBe(`${agent.child.pid}\n`);
      expect(existsSync(`${pidFile}.tmp`)).toBe(false);
      expect(readFileSync(target, 'utf8')).toBe(TARGET_TEXT);
      expect((await agent.stop()).code).toBe(0);
      expect(readFileSync(target, 'utf8')).toBe(TARGET_TEXT);
    } finally {
      agent.kill();
      fakes.cleanup();
      rmSync(bundle, { recursive: true, force: true });
    }
  });
});

describe('capture DIR', () => {
  it('refuses a folder that exists already (exit 2), leaving what a planted link aims at untouched', async () => {
    const existing = join(dir, 'bundle');
    mkdirSync(existing);
    symlinkSync(target, join(existing, 'sysctl.txt'));
    const r = await runCli(['capture', existing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`capture folder ${existing} exists already: capture writes only into a new folder it creates`);
    expect(readFileSync(target, 'utf8')).toBe(TARGET_TEXT);
  });

  it('creates a new folder, and its parents, and writes regular files into it', async () => {
    const fakes = makeFakeBin({ sysctl: '#!/bin/sh\necho "hw.memsize: 8589934592"\n' });
    try {
      const fresh = join(dir, 'new', 'bundle');
      const r = await runCli(['capture', fresh], { PATH: `${fakes.path}:/usr/bin:/bin` });
      expect(r.stdout).toContain(`wrote ${join(fresh, 'sysctl.txt')}`);
      expect(lstatSync(join(fresh, 'sysctl.txt')).isFile()).toBe(true);
    } finally {
      fakes.cleanup();
    }
  });
});
