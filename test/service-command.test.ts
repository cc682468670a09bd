import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'plist';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SERVICE_LABEL } from '../agent/service/label.js';
import { makeFakeBin, type FakeBin } from './helpers/fake-bin.js';
import { REPO, runCli } from './helpers/cli.js';

const FAKE_LAUNCHCTL = join(import.meta.dirname, 'fixtures', 'service', 'fake-launchctl.sh');
const FAKE_DSCL = join(import.meta.dirname, 'fixtures', 'service', 'fake-dscl.sh');
const FAKE_VISUDO = join(import.meta.dirname, 'fixtures', 'service', 'fake-visudo.sh');

interface Sandbox {
  readonly root: string;
  readonly prefix: string;
  /** MACOS_AGENT_SYSTEM_ROOT: where /etc, /var and /usr/local of the system service are. */
  readonly sys: string;
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
  const sys = join(root, 'sys');
  mkdirSync(join(sys, 'etc', 'macos-agent'), { recursive: true });
  writeFileSync(join(sys, 'etc', 'macos-agent', 'config.yaml'), 'interval: 10s\n');
  mkdirSync(join(root, 'dscl'));
  mkdirSync(join(root, 'visudo'));
  const fakes = makeFakeBin({
    launchctl: readFileSync(FAKE_LAUNCHCTL, 'utf8'),
    dscl: readFileSync(FAKE_DSCL, 'utf8'),
    visudo: readFileSync(FAKE_VISUDO, 'utf8'),
  });
  const launchdDir = join(root, 'LaunchDaemons');
  const newsyslogDir = join(root, 'newsyslog.d');
  const home = join(root, 'home');
  mkdirSync(home);
  box = {
    root, prefix, sys, launchdDir, newsyslogDir, home, fakes,
    env: (extra = {}) => ({
      PATH: fakes.path,
      HOME: home,
      FAKE_LAUNCHCTL_DIR: root,
      FAKE_DSCL_DIR: join(root, 'dscl'),
      FAKE_VISUDO_DIR: join(root, 'visudo'),
      MACOS_AGENT_SYSTEM_ROOT: sys,
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
const systemConfig = () => join(box.sys, 'etc', 'macos-agent', 'config.yaml');
const systemLogs = () => join(box.sys, 'var', 'log', 'macos-agent');

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
    expect((job['ProgramArguments'] as string[]).slice(-4)).toEqual(['--config', systemConfig(), '--set', 'sources.powermetrics.sudo=true']);
    expect(readFileSync(join(box.newsyslogDir, 'macos-agent.conf'), 'utf8')).toContain(join(systemLogs(), 'macos-agent.log'));
    expect(existsSync(systemLogs())).toBe(true);
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
    expect(r.stdout).toContain(join(systemLogs(), 'macos-agent.err.log'));
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
    expect(existsSync(systemConfig())).toBe(true);
    const again = await runCli(['service', 'uninstall', '--system'], box.env());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('is not installed: nothing to do');
  });

  it('says exactly what to run when not root, and changes nothing', async () => {
    const r = await runCli(['service', 'install', '--system', '--prefix', box.prefix], box.env({ MACOS_AGENT_TEST_UID: '501' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`needs root to install — run: sudo macos-agent service install --system --prefix ${box.prefix}\n`);
    expect(existsSync(plistFile())).toBe(false);
    expect(box.calls()).toEqual([]);
  });

  it('refuses to install with a config the agent would reject', async () => {
    writeFileSync(systemConfig(), 'intervall: 10s\n');
    const r = await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not installed: unknown key "intervall"/);
    expect(existsSync(plistFile())).toBe(false);
  });

  it('refuses a config file others could write or read secrets from, as the root daemon would', async () => {
    const config = systemConfig();
    chmodSync(config, 0o666);
    const writable = await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    expect(writable.code).toBe(1);
    expect(writable.stderr).toContain(`config file ${config} is writable by group or others (mode 666): the system service refuses it — run: sudo chmod go-w '${config}'`);
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
    writeFileSync(systemConfig(), `exporter:\n  headers_file: ${headers}\n  ca_file: ${join(box.root, 'missing-ca.pem')}\n`);
    const r = await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`OTLP headers file ${headers} holds secrets but is readable by everyone (mode 644)`);
    expect(r.stderr).toContain(`TLS CA certificate ${join(box.root, 'missing-ca.pem')} (from ${systemConfig()}) does not exist`);
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
    expect(existsSync(join(box.sys, 'var'))).toBe(false);
  });
});

describe('macos-agent service --system: least privilege', () => {
  const dsclCalls = () => readFileSync(join(box.root, 'dscl', 'calls.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const sudoersFile = () => join(box.sys, 'etc', 'sudoers.d', 'macos-agent');

  it('runs the job as the role account, created with dscl, with its own log files and state, and powermetrics allowed through a checked sudoers drop-in', async () => {
    const r = await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Ids 200 and 201 are taken by an account and a group: the first free one is 202.
    expect(dsclCalls().filter((c) => c[1] === '-create').map((c) => c.slice(2).join(' '))).toEqual([
      '/Groups/_macos_agent', '/Groups/_macos_agent PrimaryGroupID 202', '/Groups/_macos_agent RealName macos-agent daemon', '/Groups/_macos_agent Password *',
      '/Users/_macos_agent', '/Users/_macos_agent UniqueID 202', '/Users/_macos_agent PrimaryGroupID 202', '/Users/_macos_agent RealName macos-agent daemon',
      '/Users/_macos_agent UserShell /usr/bin/false', '/Users/_macos_agent NFSHomeDirectory /var/empty', '/Users/_macos_agent Password *', '/Users/_macos_agent IsHidden 1',
    ]);
    expect(r.stdout).toContain('created role account _macos_agent (uid 202, gid 202;');
    const job = parse(readFileSync(plistFile(), 'utf8')) as Record<string, unknown>;
    expect(job['UserName']).toBe('_macos_agent');
    expect(job['GroupName']).toBe('_macos_agent');

    const logs = statSync(systemLogs());
    expect([logs.uid, logs.mode & 0o7777]).toEqual([0, 0o755]);
    for (const name of ['macos-agent.log', 'macos-agent.err.log']) {
      const log = statSync(join(systemLogs(), name));
      expect([log.uid, log.gid, log.mode & 0o777]).toEqual([202, 202, 0o640]);
    }
    const state = statSync(join(box.root, 'state'));
    expect([state.uid, state.mode & 0o777]).toEqual([202, 0o700]);

    // Exactly the two command lines the daemon runs at the default 10 s interval, commas escaped.
    const sudoers = readFileSync(sudoersFile(), 'utf8');
    expect(sudoers).toContain([
      'Cmnd_Alias MACOS_AGENT_POWERMETRICS = /usr/bin/powermetrics --samplers cpu_power\\,gpu_power\\,ane_power\\,thermal -i 1000 -n 1 -f plist, \\',
      '    /usr/bin/powermetrics --samplers cpu_power\\,gpu_power\\,ane_power\\,thermal -i 10000 -f plist',
      '_macos_agent ALL = (root) NOPASSWD: MACOS_AGENT_POWERMETRICS',
    ].join('\n'));
    expect(sudoers).not.toMatch(/\*|ALL\s*$/m);
    const st = statSync(sudoersFile());
    expect([st.uid, st.mode & 0o777]).toEqual([0, 0o440]);
    expect(readFileSync(join(box.root, 'visudo', 'checked'), 'utf8')).toBe(sudoers);
    expect(r.stdout).toContain(`wrote sudoers drop-in (powermetrics as root, exactly these command lines): ${sudoersFile()}`);
  });

  it('keeps an existing role account and an unchanged drop-in on a second install', async () => {
    await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    const creates = dsclCalls().filter((c) => c[1] === '-create').length;
    const r = await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('role account _macos_agent exists (uid 202, gid 202)');
    expect(r.stdout).toContain(`unchanged sudoers drop-in (powermetrics as root, exactly these command lines): ${sudoersFile()}`);
    expect(dsclCalls().filter((c) => c[1] === '-create')).toHaveLength(creates);
  });

  it('writes the drop-in for the configured interval and samplers, and none when powermetrics is off', async () => {
    writeFileSync(systemConfig(), 'interval: 5s\nsources:\n  powermetrics:\n    samplers: cpu_power,thermal\n');
    await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    expect(readFileSync(sudoersFile(), 'utf8')).toContain('/usr/bin/powermetrics --samplers cpu_power\\,thermal -i 1000 -n 1 -f plist, \\\n    /usr/bin/powermetrics --samplers cpu_power\\,thermal -i 5000 -f plist\n');
    writeFileSync(systemConfig(), 'sources:\n  powermetrics:\n    enabled: false\n');
    const r = await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    expect(r.stdout).toContain(`removed ${sudoersFile()}: powermetrics is off in ${systemConfig()}`);
    expect(existsSync(sudoersFile())).toBe(false);
  });

  it('leaves no drop-in when visudo rejects it, and says so', async () => {
    const r = await runCli(['service', 'install', '--system', ...systemArgs()], box.env({ FAKE_VISUDO_REJECT: '1' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/visudo rejected the sudoers drop-in for .*macos-agent: ".*syntax error"; nothing was changed/);
    expect(existsSync(join(box.sys, 'etc', 'sudoers.d'))).toBe(true);
    expect(readdirSync(join(box.sys, 'etc', 'sudoers.d'))).toEqual([]);
    expect(existsSync(plistFile())).toBe(false);
  });

  it('uninstall removes the drop-in and the role account', async () => {
    await runCli(['service', 'install', '--system', ...systemArgs()], box.env());
    const r = await runCli(['service', 'uninstall', '--system'], box.env());
    expect(r.code).toBe(0);
    expect(existsSync(sudoersFile())).toBe(false);
    expect(r.stdout).toContain('$: dscl . -delete /Users/_macos_agent\n$: dscl . -delete /Groups/_macos_agent\n');
    expect(existsSync(join(box.root, 'dscl', 'Users', '_macos_agent'))).toBe(false);
  });

  it('--dry-run shows the role account, the sudoers drop-in and the root-owned paths', async () => {
    const r = await runCli(['service', 'install', '--system', '--dry-run', ...systemArgs()], box.env());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('would create role account _macos_agent with dscl (first free id from 200 to 499;');
    expect(r.stdout).toContain('the job runs as _macos_agent; only /usr/bin/powermetrics runs as root, through sudo');
    expect(r.stdout).toContain(`root-owned paths the job runs or reads: ${process.execPath}, ${join(REPO, 'dist', 'macos-agent.js')}, ${systemConfig()}, ${systemLogs()}`);
    expect(r.stdout).toContain(`would write sudoers drop-in (powermetrics as root, exactly these command lines) ${sudoersFile()}:\n# macos-agent:`);
    expect(existsSync(sudoersFile())).toBe(false);
    expect(existsSync(join(box.root, 'dscl', 'Users', '_macos_agent'))).toBe(false);
  });

  // The takeover this prevents: the service started root's Node on a script in a Homebrew prefix,
  // which belongs to the admin who installed Homebrew; any process of that user could put its own
  // script there and the next start ran it as root.
  it('refuses an agent whose package sits in a tree another account owns, naming the path and the fix', async () => {
    const brew = join(box.root, 'brew');
    const pkg = join(brew, 'opt', 'macos-agent');
    for (const file of ['dist/macos-agent.js', 'package.json', 'build/Release/smc.node']) {
      mkdirSync(join(pkg, file, '..'), { recursive: true });
      copyFileSync(join(REPO, file), join(pkg, file));
    }
    chownSync(brew, 501, 20);
    const r = await runCli(['service', 'install', '--system', ...systemArgs()], box.env(), 30_000, join(pkg, 'dist', 'macos-agent.js'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`agent script ${join(pkg, 'dist', 'macos-agent.js')} is not in a root-owned tree: ${brew} is owned by uid 501, not root (fix: sudo chown root:wheel '${brew}')`);
    expect(r.stderr).toContain('scripts/install.sh --system installs the package and its Node binary into /usr/local/libexec/macos-agent, owned by root');
    expect(existsSync(plistFile())).toBe(false);
    expect(existsSync(join(box.root, 'dscl', 'calls.tsv'))).toBe(false);
  });

  it('refuses a Node binary or a config another account could change', async () => {
    const userOwned = join(box.root, 'user-owned');
    mkdirSync(userOwned);
    copyFileSync(systemConfig(), join(userOwned, 'config.yaml'));
    chownSync(userOwned, 501, 20);
    const node = await runCli(['service', 'install', '--system', '--state-dir', join(box.root, 'state'), '--node', join(userOwned, 'node')], box.env());
    expect(node.stderr).toContain(`Node binary ${join(userOwned, 'node')} is not in a root-owned tree: ${userOwned} is owned by uid 501`);
    const config = await runCli(['--config', join(userOwned, 'config.yaml'), 'service', 'install', '--system', ...systemArgs()], box.env());
    expect(config.stderr).toContain(`config file ${join(userOwned, 'config.yaml')} is not in a root-owned tree`);
    chmodSync(userOwned, 0o777);
    chownSync(userOwned, 0, 0);
    const writable = await runCli(['--config', join(userOwned, 'config.yaml'), 'service', 'install', '--system', ...systemArgs()], box.env());
    expect(writable.stderr).toContain(`${userOwned} is writable by group or others (mode 0777) (fix: sudo chmod go-w '${userOwned}')`);
    expect(existsSync(plistFile())).toBe(false);
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
