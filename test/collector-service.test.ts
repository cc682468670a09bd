import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'plist';
import { describe, expect, it } from 'vitest';
import { prepareStorageDirectories, storageDirectories } from '../agent/service/collector-account.js';
import { runCli } from './helpers/cli.js';

// Root-owned, not group/other-writable trees on this machine (as on a Mac): /usr/bin, /etc, /var/log.
const TRUSTED = ['--binary', '/usr/bin/true', '--config', '/etc/hostname', '--log-dir', '/var/log'];

describe('macos-agent collector service install --dry-run', () => {
  it('prints a launchd job that runs the binary with its config as the unprivileged account, kept alive with a throttle', async () => {
    const result = await runCli(['collector', 'service', 'install', ...TRUSTED, '--dry-run']);
    expect(result.code).toBe(0);
    const job = parse(result.stdout) as Record<string, unknown>;
    expect(job).toMatchObject({
      Label: 'io.github.macos-agent.otelcol',
      ProgramArguments: ['/usr/bin/true', '--config=/etc/hostname'],
      UserName: '_macos_agent',
      RunAtLoad: true,
      KeepAlive: true,
      ThrottleInterval: 30,
      StandardOutPath: '/var/log/otelcol.log',
      StandardErrorPath: '/var/log/otelcol.err.log',
    });
    expect(job['UserName']).not.toBe('root');
    const paths = [...(job['ProgramArguments'] as string[]).map((a) => a.replace(/^--config=/, '')), job['StandardOutPath'], job['StandardErrorPath']] as string[];
    for (const path of paths) expect(path.startsWith('/')).toBe(true);
  });

  it('prints the same job each time', async () => {
    const [a, b] = [await runCli(['collector', 'service', 'install', ...TRUSTED, '--dry-run']), await runCli(['collector', 'service', 'install', ...TRUSTED, '--dry-run'])];
    expect(b.stdout).toBe(a.stdout);
  });
});

describe('collector service refuses paths a non-root user could change (exit 2, naming the path and the fix)', () => {
  it('a binary in a folder another user owns, even under root\'s sticky /tmp', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'macos-agent-otelcol-'));
    writeFileSync(join(dir, 'otelcol-contrib'), '');
    chownSync(dir, 501, 20);
    const result = await runCli(['collector', 'service', 'install', '--binary', join(dir, 'otelcol-contrib'), '--config', '/etc/hostname', '--log-dir', '/var/log', '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`refusing --binary ${join(dir, 'otelcol-contrib')}: it is not safe for a daemon launchd starts at boot, because ${dir} is owned by uid 501, not root (fix: sudo chown root:wheel '${dir}')`);
    expect(result.stdout).toBe('');
  });

  it('a config under a group-writable folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'macos-agent-otelcol-'));
    const etc = join(dir, 'etc');
    mkdirSync(etc);
    writeFileSync(join(etc, 'config.yaml'), '');
    chmodSync(etc, 0o775);
    const result = await runCli(['collector', 'service', 'install', '--binary', '/usr/bin/true', '--config', join(etc, 'config.yaml'), '--log-dir', '/var/log', '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${etc} is writable by group or others (mode 0775) (fix: sudo chmod go-w '${etc}')`);
  });

  it('a log folder that does not exist, with the command that creates it', async () => {
    const result = await runCli(['collector', 'service', 'install', '--binary', '/usr/bin/true', '--config', '/etc/hostname', '--log-dir', '/var/log/macos-agent-no-such-folder', '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/refusing --log-dir \/var\/log\/macos-agent-no-such-folder: it does not exist; create it first \(sudo install -d -o root -g wheel -m 0755/);
  });

  it('a missing flag or a relative path', async () => {
    expect((await runCli(['collector', 'service', 'install', '--config', '/etc/hostname', '--log-dir', '/var/log', '--dry-run'])).stderr).toMatch(/needs --binary PATH/);
    expect((await runCli(['collector', 'service', 'install', '--binary', 'otelcol-contrib', '--config', '/etc/hostname', '--log-dir', '/var/log', '--dry-run'])).stderr).toMatch(/invalid value "otelcol-contrib" for --binary: expected an absolute path/);
  });
});

describe('collector service against a fake launchctl', () => {
  const FAKE_LAUNCHCTL = join(import.meta.dirname, 'fixtures', 'service', 'fake-launchctl.sh');

  async function sandbox() {
    const { makeFakeBin } = await import('./helpers/fake-bin.js');
    const root = mkdtempSync(join(tmpdir(), 'macos-agent-otelcol-service-'));
    const launchdDir = join(root, 'LaunchDaemons');
    mkdirSync(launchdDir);
    const fakes = makeFakeBin({ launchctl: readFileSync(FAKE_LAUNCHCTL, 'utf8') });
    const env = { PATH: fakes.path, FAKE_LAUNCHCTL_DIR: root, MACOS_AGENT_LAUNCHD_DIR: launchdDir };
    const calls = (): string[][] => readFileSync(join(root, 'calls.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
    return { root, launchdDir, env, calls, cleanup: fakes.cleanup };
  }

  it('installs the collector job and its hourly log job, twice without error (idempotent), and uninstalls both', async () => {
    const box = await sandbox();
    try {
      // `nobody` exists on macOS and Linux; the default _macos_agent comes with the agent's install.
      const args = ['collector', 'service', 'install', ...TRUSTED, '--node', '/usr/bin/true', '--user', 'nobody'];
      expect((await runCli(args, box.env)).code).toBe(0);
      const again = await runCli(args, box.env);
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
      expect(readdirSync(box.launchdDir).sort()).toEqual(['io.github.macos-agent.otelcol-logs.plist', 'io.github.macos-agent.otelcol.plist']);
      const logJob = parse(readFileSync(join(box.launchdDir, 'io.github.macos-agent.otelcol-logs.plist'), 'utf8')) as Record<string, unknown>;
      expect(logJob).toMatchObject({ StartInterval: 3600, ProgramArguments: ['/usr/bin/true', expect.stringMatching(/dist\/macos-agent\.js$/), 'collector', 'service', 'rotate-logs', '--log-dir', '/var/log'] });
      expect(box.calls().filter((c) => c[0] === 'bootstrap')).toHaveLength(4);
      const status = await runCli(['collector', 'service', 'status'], box.env);
      expect(status.stdout).toMatch(/io\.github\.macos-agent\.otelcol: loaded, running/);
      expect(status.code).toBe(0);
      const uninstall = await runCli(['collector', 'service', 'uninstall'], box.env);
      expect(uninstall.code).toBe(0);
      expect(readdirSync(box.launchdDir)).toEqual([]);
      const stopped = await runCli(['collector', 'service', 'status'], box.env);
      expect(stopped.stdout).toMatch(/not loaded/);
      expect(stopped.code).toBe(3);
    } finally {
      box.cleanup();
    }
  });

  it('rotate-logs renames a log over 10 MiB and restarts the collector so launchd opens fresh files; a small log stays', async () => {
    const box = await sandbox();
    try {
      const logDir = join(box.root, 'log');
      mkdirSync(logDir);
      writeFileSync(join(logDir, 'otelcol.log'), Buffer.alloc(10 * 1024 * 1024 + 1));
      writeFileSync(join(logDir, 'otelcol.log.0'), 'older');
      writeFileSync(join(logDir, 'otelcol.err.log'), 'small');
      const result = await runCli(['collector', 'service', 'rotate-logs', '--log-dir', logDir], { ...box.env, FAKE_LAUNCHCTL_FAIL: '' });
      expect(readdirSync(logDir).sort()).toEqual(['otelcol.err.log', 'otelcol.log.0', 'otelcol.log.1']);
      expect(readFileSync(join(logDir, 'otelcol.log.1'), 'utf8')).toBe('older');
      expect(box.calls()).toContainEqual(['kickstart', '-k', 'system/io.github.macos-agent.otelcol']);
      // The fake launchctl knows no loaded collector here: kickstart exits 113 and the command says so.
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/is the collector service installed\?/);
    } finally {
      box.cleanup();
    }
  });
});

describe('collector service off macOS', () => {
  it('says launchctl is missing and exits 1, without a stack trace', async () => {
    const result = await runCli(['collector', 'service', 'status'], { PATH: '/nonexistent' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^macos-agent: launchctl not found on PATH/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('what the collector\'s account needs', () => {
  it('finds the queue folders of the config\'s file_storage extensions', () => {
    const config = 'extensions:\n  health_check: {}\n  file_storage:\n    directory: /usr/local/var/lib/otelcol-contrib/queue\n  file_storage/logs:\n    directory: /var/db/otelcol/logs\n';
    expect(storageDirectories(config)).toEqual(['/usr/local/var/lib/otelcol-contrib/queue', '/var/db/otelcol/logs']);
    expect(storageDirectories('receivers: {}\n')).toEqual([]);
  });

  it('creates a queue folder owned by the account, 0700, and refuses one that is a symlink', async () => {
    const root = mkdtempSync(join(tmpdir(), 'macos-agent-queue-'));
    const owner = { uid: process.getuid!(), gid: process.getgid!() };
    const queue = join(root, 'var', 'lib', 'queue');
    await prepareStorageDirectories([queue], owner);
    expect(lstatSync(queue).mode & 0o777).toBe(0o700);
    expect(lstatSync(join(root, 'var')).mode & 0o777).toBe(0o755);
    symlinkSync('/etc', join(root, 'link'));
    await expect(prepareStorageDirectories([join(root, 'link')], owner)).rejects.toThrow(/is not a folder \(a symlink or a file\)/);
  });

  it('install stops with exit 2 when the account does not exist', async () => {
    const result = await runCli(['collector', 'service', 'install', ...TRUSTED, '--node', '/usr/bin/true', '--user', 'no_such_account_here']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the account no_such_account_here does not exist: install the agent's system service first/);
  });
});
