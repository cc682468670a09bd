import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'plist';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SERVICE_LABEL } from '../agent/service/label.js';
import { makeFakeBin, type FakeBin } from './helpers/fake-bin.js';
import { runCli } from './helpers/cli.js';

const FAKE_LAUNCHCTL = join(import.meta.dirname, 'fixtures', 'service', 'fake-launchctl.sh');

interface Sandbox {
  readonly root: string;
  readonly prefix: string;
  readonly launchdDir: string;
  readonly newsyslogDir: string;
  readonly home: string;
  readonly fakes: FakeBin;
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  calls(): string[][];
}

let box: Sandbox;

beforeEach(() => {
  const root = mkdtempSync(join(tmpdir(), 'macos-agent-service-'));
  const prefix = join(root, 'prefix');
  mkdirSync(join(prefix, 'etc', 'macos-agent'), { recursive: true });
  writeFileSync(join(prefix, 'etc', 'macos-agent', 'config.yaml'), 'interval: 10s\n');
  const fakes = makeFakeBin({ launchctl: `#!/bin/sh\nexec '${FAKE_LAUNCHCTL}' "$@"\n` });
  const launchdDir = join(root, 'LaunchDaemons');
  const newsyslogDir = join(root, 'newsyslog.d');
  const home = join(root, 'home');
  mkdirSync(home);
  box = {
    root, prefix, launchdDir, newsyslogDir, home, fakes,
    env: (extra = {}) => ({
      PATH: fakes.path,
      HOME: home,
      FAKE_LAUNCHCTL_DIR: root,
      MACOS_AGENT_LAUNCHD_DIR: launchdDir,
      MACOS_AGENT_NEWSYSLOG_DIR: newsyslogDir,
      ...extra,
    }),
    calls: () => existsSync(join(root, 'calls.tsv'))
      ? readFileSync(join(root, 'calls.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'))
      : [],
  };
});

afterEach(() => box.fakes.cleanup());

const systemArgs = () => ['--prefix', box.prefix, '--state-dir', join(box.root, 'state'), '--node', process.execPath];
const plistFile = () => join(box.launchdDir, `${SERVICE_LABEL}.plist`);

describe('macos-agent service (system mode, against a fake launchctl)', () => {
  it('installs: writes the plist and the newsyslog entry, enables and bootstraps into the system domain', async () => {
    const r = await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(box.calls()).toEqual([
      ['print', `system/${SERVICE_LABEL}`],
      ['enable', `system/${SERVICE_LABEL}`],
      ['bootstrap', 'system', plistFile()],
      ['print', `system/${SERVICE_LABEL}`],
    ]);
    const job = parse(readFileSync(plistFile(), 'utf8')) as Record<string, unknown>;
    expect((job['ProgramArguments'] as string[]).slice(-2)).toEqual(['--config', join(box.prefix, 'etc', 'macos-agent', 'config.yaml')]);
    expect(readFileSync(join(box.newsyslogDir, 'macos-agent.conf'), 'utf8')).toContain(join(box.prefix, 'var', 'log', 'macos-agent', 'macos-agent.log'));
    expect(existsSync(join(box.prefix, 'var', 'log', 'macos-agent'))).toBe(true);
    expect(existsSync(join(box.root, 'state'))).toBe(true);
    expect(r.stdout).toMatch(/state: +running, pid 4242, started 1 time\n/);
  });

  it('is idempotent: a second install leaves the plist alone and restarts the job with kickstart -k', async () => {
    await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    const first = readFileSync(plistFile(), 'utf8');
    const r = await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`unchanged launchd plist: ${plistFile()}`);
    expect(readFileSync(plistFile(), 'utf8')).toBe(first);
    expect(box.calls().slice(4)).toEqual([
      ['print', `system/${SERVICE_LABEL}`],
      ['enable', `system/${SERVICE_LABEL}`],
      ['kickstart', '-k', `system/${SERVICE_LABEL}`],
      ['print', `system/${SERVICE_LABEL}`],
    ]);
  });

  it('upgrades: a changed plist is booted out and bootstrapped again', async () => {
    await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    const args = ['--prefix', box.prefix, '--state-dir', join(box.root, 'state-2'), '--node', process.execPath];
    const r = await runCli(['service', 'install', '--system', ...args], box.env());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote launchd plist: ${plistFile()}`);
    expect(box.calls().slice(4).map((c) => c[0])).toEqual(['print', 'enable', 'bootout', 'bootstrap', 'print']);
    expect(readFileSync(plistFile(), 'utf8')).toContain('state-2');
  });

  it('reports status: running, pid, last exit, logs; exit 0', async () => {
    await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    const r = await runCli(['service', 'status', '--system', '--prefix', box.prefix], box.env());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${SERVICE_LABEL} (system service, system/${SERVICE_LABEL})`);
    expect(r.stdout).toMatch(/state: +running, pid 4242/);
    expect(r.stdout).toMatch(/last exit: +never exited/);
    expect(r.stdout).toContain(join(box.prefix, 'var', 'log', 'macos-agent', 'macos-agent.err.log'));
  });

  it('reports a crashed job as not running (exit 3) with its last exit code', async () => {
    await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    const r = await runCli(['service', 'status'], box.env({ FAKE_LAUNCHCTL_JOB_STATE: 'crashed' }));
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/state: +not running, started 1 time/);
    expect(r.stdout).toMatch(/last exit: +exit code 2/);
  });

  it('restarts with kickstart -k', async () => {
    await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    const r = await runCli(['service', 'restart', '--system'], box.env());
    expect(r.code).toBe(0);
    expect(box.calls().slice(4)).toEqual([
      ['print', `system/${SERVICE_LABEL}`],
      ['kickstart', '-k', `system/${SERVICE_LABEL}`],
      ['print', `system/${SERVICE_LABEL}`],
    ]);
    expect(r.stdout).toMatch(/pid 4243, started 2 times/);
  });

  it('uninstalls: bootout, removes the plist and the newsyslog entry, keeps config and logs; twice is fine', async () => {
    await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    const r = await runCli(['service', 'uninstall', '--system', '--prefix', box.prefix], box.env());
    expect(r.code).toBe(0);
    expect(box.calls().slice(4)).toEqual([['print', `system/${SERVICE_LABEL}`], ['bootout', `system/${SERVICE_LABEL}`]]);
    expect(existsSync(plistFile())).toBe(false);
    expect(existsSync(join(box.newsyslogDir, 'macos-agent.conf'))).toBe(false);
    expect(existsSync(join(box.prefix, 'etc', 'macos-agent', 'config.yaml'))).toBe(true);
    const again = await runCli(['service', 'uninstall', '--system'], box.env());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('is not installed: nothing to do');
  });

  it('says exactly what to run when not root, and changes nothing', async () => {
    const r = await runCli(['service', 'install', '--system', '--prefix', box.prefix], box.env({ MACOS_AGENT_TEST_UID: '501' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`needs root — run: sudo macos-agent service install --system --prefix ${box.prefix}\n`);
    expect(existsSync(plistFile())).toBe(false);
    expect(box.calls()).toEqual([]);
  });

  it('refuses to install with a config the agent would reject', async () => {
    writeFileSync(join(box.prefix, 'etc', 'macos-agent', 'config.yaml'), 'intervall: 10s\n');
    const r = await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not installed: unknown key "intervall"/);
    expect(existsSync(plistFile())).toBe(false);
  });

  it('refuses a config file others could write or read secrets from, as the root daemon would', async () => {
    const config = join(box.prefix, 'etc', 'macos-agent', 'config.yaml');
    chmodSync(config, 0o666);
    const writable = await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    expect(writable.code).toBe(1);
    expect(writable.stderr).toContain(`config file ${config} is writable by group or others (mode 666): the root daemon refuses it — run: sudo chmod go-w '${config}'`);
    writeFileSync(config, 'exporter:\n  headers: authorization=Bearer x\n');
    chmodSync(config, 0o644);
    const readable = await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    expect(readable.stderr).toContain(`config file ${config} holds secrets but is readable by everyone (mode 644)`);
    expect(existsSync(plistFile())).toBe(false);
  });

  it('checks the headers and TLS files the config names, as the root daemon will', async () => {
    const headers = join(box.root, 'headers');
    writeFileSync(headers, 'authorization=Bearer x\n');
    chmodSync(headers, 0o644);
    writeFileSync(join(box.prefix, 'etc', 'macos-agent', 'config.yaml'), `exporter:\n  headers_file: ${headers}\n  ca_file: ${join(box.root, 'missing-ca.pem')}\n`);
    const r = await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`OTLP headers file ${headers} holds secrets but is readable by everyone (mode 644)`);
    expect(r.stderr).toContain(`TLS CA certificate ${join(box.root, 'missing-ca.pem')} (from ${join(box.prefix, 'etc', 'macos-agent', 'config.yaml')}) does not exist`);
    expect(existsSync(plistFile())).toBe(false);
  });

  it('--dry-run prints the plist and the launchctl commands, and changes nothing', async () => {
    const r = await runCli(['service', 'install', '--system', '--dry-run', ...systemArgs()], box.env({ MACOS_AGENT_TEST_UID: '501' }));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`would write launchd plist ${plistFile()}:\n<?xml`);
    expect(r.stdout).toContain(`<string>${SERVICE_LABEL}</string>`);
    expect(r.stdout).toContain(`would run: launchctl enable system/${SERVICE_LABEL}\nwould run: launchctl bootstrap system ${plistFile()}\n`);
    expect(r.stdout).toContain('note: installing needs root: sudo macos-agent service install --system');
    expect(box.calls()).toEqual([['print', `system/${SERVICE_LABEL}`]]);
    expect(existsSync(box.launchdDir)).toBe(false);
    expect(existsSync(join(box.prefix, 'var'))).toBe(false);
  });
});

describe('macos-agent service (user mode)', () => {
  const userEnv = () => box.env({ MACOS_AGENT_TEST_UID: '501', MACOS_AGENT_LAUNCHD_DIR: '' });
  const agentPlist = () => join(box.home, 'Library', 'LaunchAgents', `${SERVICE_LABEL}.plist`);

  it('installs a LaunchAgent into gui/<uid> with powermetrics off, and no newsyslog entry', async () => {
    const r = await runCli(['service', 'install', '--user', '--prefix', box.prefix, '--node', process.execPath], userEnv());
    expect(r.code).toBe(0);
    expect(box.calls()).toEqual([
      ['print', `gui/501/${SERVICE_LABEL}`],
      ['enable', `gui/501/${SERVICE_LABEL}`],
      ['bootstrap', 'gui/501', agentPlist()],
      ['print', `gui/501/${SERVICE_LABEL}`],
    ]);
    const job = parse(readFileSync(agentPlist(), 'utf8')) as Record<string, unknown>;
    expect(job['ProgramArguments']).toContain('sources.powermetrics.enabled=false');
    expect((job['EnvironmentVariables'] as Record<string, string>)['MACOS_AGENT_STATE_DIR']).toBe(join(box.home, 'Library', 'Application Support', 'macos-agent'));
    expect(existsSync(box.newsyslogDir)).toBe(false);
    expect(r.stdout).toContain('powermetrics is off in the user service (it needs root)');
  });

  it('is the default for a non-root user, and status finds it without a flag', async () => {
    await runCli(['service', 'install', '--prefix', box.prefix, '--node', process.execPath], userEnv());
    const r = await runCli(['service', 'status'], userEnv());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`(user service, gui/501/${SERVICE_LABEL})`);
  });

  it('refuses to run as root', async () => {
    const r = await runCli(['service', 'install', '--user', '--prefix', box.prefix], box.env({ MACOS_AGENT_LAUNCHD_DIR: '' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the user service is a LaunchAgent in a logged-in user's session, but this runs as root/);
  });
});

describe('macos-agent service arguments', () => {
  it('rejects an unknown action and --system with --user', async () => {
    expect((await runCli(['service', 'start'], box.env())).stderr).toMatch(/unknown service action "start": expected install, uninstall, status, restart/);
    const both = await runCli(['service', 'status', '--system', '--user'], box.env());
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--system and --user exclude each other/);
  });
});
