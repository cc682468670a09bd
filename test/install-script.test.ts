import { execFile, execFileSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SERVICE_LABEL } from '../agent/service/label.js';
import { makeFakeBin, type FakeBin } from './helpers/fake-bin.js';
import { REPO } from './helpers/cli.js';

const SCRIPT = join(REPO, 'scripts', 'install.sh');
const FAKE_LAUNCHCTL = join(import.meta.dirname, 'fixtures', 'service', 'fake-launchctl.sh');
const FAKE_DSCL = join(import.meta.dirname, 'fixtures', 'service', 'fake-dscl.sh');
const FAKE_VISUDO = join(import.meta.dirname, 'fixtures', 'service', 'fake-visudo.sh');

/** The commands the script uses besides the fakes, linked into one folder so PATH holds nothing else (no node, no npm). */
const TOOLS = ['bash', 'sh', 'env', 'cat', 'cp', 'mv', 'rm', 'ln', 'mkdir', 'rmdir', 'mktemp', 'chmod', 'chown', 'sed', 'grep', 'find', 'head', 'tail', 'dirname', 'tr', 'sysctl'];

interface Sandbox {
  readonly root: string;
  readonly prefix: string;
  /** MACOS_AGENT_SYSTEM_ROOT: the system service's /usr/local, /etc and /var. */
  readonly sys: string;
  readonly from: string;
  readonly fakes: FakeBin;
  readonly tools: string;
  run(args: readonly string[], env?: NodeJS.ProcessEnv, opts?: { node?: boolean; cwd?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
  launchctlCalls(): string[][];
  npmCalls(): string[];
  tree(): string[];
}

let box: Sandbox;

/** Where this machine has each of TOOLS (looked up once per file: the same for every sandbox). */
const TOOL_PATHS = new Map(TOOLS.flatMap((tool) => {
  const at = execFileSync('/bin/sh', ['-c', `command -v ${tool} || true`]).toString().trim();
  return at === '' ? [] : [[tool, at] as const];
}));

/** The package as a checkout that has run `npm install` holds it: sources to copy and a built dist/. */
function packageSource(dir: string, built: boolean): void {
  for (const item of ['package.json', 'package-lock.json', 'launchd', 'binding.gyp', 'native']) {
    if (existsSync(join(REPO, item))) cpSync(join(REPO, item), join(dir, item), { recursive: true });
  }
  if (built) {
    cpSync(join(REPO, 'dist'), join(dir, 'dist'), { recursive: true });
  } else {
    mkdirSync(join(dir, 'agent'));
    writeFileSync(join(dir, 'agent', 'cli.ts'), '');
    writeFileSync(join(dir, 'tsconfig.json'), '{}');
    mkdirSync(join(dir, 'scripts'));
    writeFileSync(join(dir, 'scripts', 'bundle.mjs'), '');
  }
}

function listTree(root: string, skip: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const rel = relative(root, path);
      if (skip.some((s) => rel === s || rel.startsWith(`${s}/`))) continue;
      const st = lstatSync(path);
      if (st.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(path)}`);
      else if (st.isDirectory()) {
        out.push(`${rel}/`);
        if (name !== 'node_modules' && name !== 'dist') walk(path);
      } else out.push(`${rel} ${(st.mode & 0o777).toString(8)}`);
    }
  };
  walk(root);
  return out.sort();
}

beforeEach(() => {
  const root = mkdtempSync(join(tmpdir(), 'macos-agent-install-'));
  const from = join(root, 'src');
  mkdirSync(from);
  packageSource(from, true);
  const tools = join(root, 'tools');
  mkdirSync(tools);
  for (const [tool, at] of TOOL_PATHS) symlinkSync(at, join(tools, tool));
  mkdirSync(join(root, 'node-bin'));
  symlinkSync(process.execPath, join(root, 'node-bin', 'node'));
  const fakes = makeFakeBin({
    uname: '#!/bin/sh\ncase "$1" in -s) echo Darwin ;; -m) echo "${FAKE_ARCH:-arm64}" ;; *) echo Darwin ;; esac\n',
    sw_vers: '#!/bin/sh\necho "${FAKE_MACOS:-14.6.1}"\n',
    id: '#!/bin/sh\necho "${FAKE_UID:-0}"\n',
    'xcode-select': '#!/bin/sh\necho /Library/Developer/CommandLineTools\n',
    launchctl: readFileSync(FAKE_LAUNCHCTL, 'utf8'),
    dscl: readFileSync(FAKE_DSCL, 'utf8'),
    visudo: readFileSync(FAKE_VISUDO, 'utf8'),
    // otool -L as it answers for the official Node.js build (system libraries only), or with a
    // Homebrew library first when FAKE_OTOOL_BREW is set.
    otool: '#!/bin/sh\necho "$2:"\n[ -z "$FAKE_OTOOL_BREW" ] || echo "\t/opt/homebrew/opt/libuv/lib/libuv.1.dylib (compatibility version 2.0.0, current version 2.0.0)"\necho "\t/usr/lib/libSystem.B.dylib (compatibility version 1.0.0, current version 1351.0.0)"\n',
    // npm as the script uses it: `ci` gets the dependencies (here: the repo's, already installed),
    // `run build` compiles and bundles (here: the repo's dist/, if the bundler script was copied
    // beside the sources). Each call is recorded with its folder.
    npm: [
      '#!/bin/sh',
      `echo "$(pwd) $*" >> '${join(root, 'npm-calls.txt')}'`,
      '[ -z "$FAKE_NPM_FAIL" ] || { echo "npm error code E404" >&2; exit 1; }',
      `case "$1" in ci) ln -s '${join(REPO, 'node_modules')}' node_modules ;; run) [ -f scripts/bundle.mjs ] || { echo 'no scripts/bundle.mjs' >&2; exit 1; }; cp -R '${join(REPO, 'dist')}' dist ;; esac`,
      '',
    ].join('\n'),
  });
  mkdirSync(join(root, 'launchctl'));
  mkdirSync(join(root, 'dscl'));
  mkdirSync(join(root, 'visudo'));
  const prefix = join(root, 'prefix');
  const sys = join(root, 'sys');
  box = {
    root, prefix, sys, from, fakes, tools,
    run: (args, env = {}, opts = {}) => new Promise((resolve) => {
      execFile(join(tools, 'bash'), [SCRIPT, '--prefix', prefix, '--from', from, '--state-dir', join(root, 'state', 'macos-agent'), ...args], {
        env: {
          PATH: [fakes.dir, ...(opts.node === false ? [] : [join(root, 'node-bin')]), tools].join(':'),
          HOME: join(root, 'home'),
          FAKE_LAUNCHCTL_DIR: join(root, 'launchctl'),
          FAKE_DSCL_DIR: join(root, 'dscl'),
          FAKE_VISUDO_DIR: join(root, 'visudo'),
          MACOS_AGENT_SYSTEM_ROOT: sys,
          MACOS_AGENT_LAUNCHD_DIR: join(root, 'LaunchDaemons'),
          MACOS_AGENT_NEWSYSLOG_DIR: join(root, 'newsyslog.d'),
          ...env,
        },
        timeout: 60_000,
        cwd: opts.cwd,
      }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
    }),
    launchctlCalls: () => existsSync(join(root, 'launchctl', 'calls.tsv'))
      ? readFileSync(join(root, 'launchctl', 'calls.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'))
      : [],
    npmCalls: () => existsSync(join(root, 'npm-calls.txt')) ? readFileSync(join(root, 'npm-calls.txt'), 'utf8').trim().split('\n') : [],
    tree: () => listTree(root, ['src', 'tools', 'node-bin', 'launchctl', 'dscl', 'visudo', 'npm-calls.txt']),
  };
});

afterEach(() => box.fakes.cleanup());

const plist = () => join(box.root, 'LaunchDaemons', `${SERVICE_LABEL}.plist`);
/** The system service's config and package, in root's trees (below the sandbox's system root). */
const config = () => join(box.sys, 'etc', 'macos-agent', 'config.yaml');
const pkg = () => join(box.sys, 'usr', 'local', 'libexec', 'macos-agent');
const PKG = 'sys/usr/local/libexec/macos-agent';

/** The installed package's files as listTree shows them, below `at`. */
function packageTree(at: string): string[] {
  const launchd = (dir: string): string[] => readdirSync(join(REPO, 'launchd', dir), { withFileTypes: true }).flatMap((e) => e.isDirectory()
    ? [`${at}/launchd/${dir}${e.name}/`, ...launchd(`${dir}${e.name}/`)]
    : [`${at}/launchd/${dir}${e.name} 644`]);
  return [
    `${at}/`,
    `${at}/bin/`,
    `${at}/bin/macos-agent 755`,
    ...(existsSync(join(REPO, 'binding.gyp')) ? [`${at}/binding.gyp 644`] : []),
    `${at}/dist/`,
    `${at}/launchd/`,
    ...launchd(''),
    ...(existsSync(join(REPO, 'native')) ? [`${at}/native/`, ...readdirSync(join(REPO, 'native')).sort().map((f) => `${at}/native/${f} 644`)] : []),
    `${at}/node_modules -> ${join(REPO, 'node_modules')}`,
    `${at}/package-lock.json 644`,
    `${at}/package.json 644`,
  ];
}

describe('scripts/install.sh (system mode, with fakes for launchctl, sw_vers, uname, id and npm)', () => {
  it('installs the package with its own Node.js in a root-owned tree, the command, a default config, the logs and the running service', async () => {
    const r = await box.run([]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(box.tree()).toEqual([
      'LaunchDaemons/',
      `LaunchDaemons/${SERVICE_LABEL}.plist 644`,
      'newsyslog.d/',
      'newsyslog.d/macos-agent.conf 644',
      'prefix/',
      'prefix/bin/',
      `prefix/bin/macos-agent -> ${pkg()}/bin/macos-agent`,
      'state/',
      'state/macos-agent/',
      'sys/',
      'sys/etc/',
      'sys/etc/macos-agent/',
      'sys/etc/macos-agent/config.yaml 644',
      'sys/etc/sudoers.d/',
      'sys/etc/sudoers.d/macos-agent 440',
      'sys/usr/',
      'sys/usr/local/',
      'sys/usr/local/libexec/',
      ...packageTree(PKG),
      `${PKG}/bin/node 755`,
      'sys/var/',
      'sys/var/log/',
      'sys/var/log/macos-agent/',
      'sys/var/log/macos-agent/macos-agent.err.log 640',
      'sys/var/log/macos-agent/macos-agent.log 640',
    ].sort());
    expect(readFileSync(config(), 'utf8')).toBe(readFileSync(join(REPO, 'launchd', 'config.default.yaml'), 'utf8'));
    expect(box.npmCalls()).toEqual([expect.stringMatching(new RegExp(`^${join(box.sys, 'usr', 'local', 'libexec')}/\\.macos-agent\\.new\\.\\w+ ci --omit=dev --no-audit --no-fund$`))]);
    expect(JSON.parse(readFileSync(join(pkg(), 'package.json'), 'utf8')).scripts.prepare).toBeUndefined();
    expect(box.launchctlCalls().map((c) => c.slice(0, 2))).toEqual([
      ['print', `system/${SERVICE_LABEL}`], ['enable', `system/${SERVICE_LABEL}`], ['bootstrap', 'system'], ['print', `system/${SERVICE_LABEL}`], ['print', `system/${SERVICE_LABEL}`],
    ]);
    // The service runs the package's own copy of Node.js, root's like the rest of the package.
    expect(readFileSync(join(pkg(), 'bin', 'node')).equals(readFileSync(process.execPath))).toBe(true);
    for (const path of [pkg(), join(pkg(), 'bin', 'node'), join(pkg(), 'bin', 'macos-agent'), join(pkg(), 'package.json')]) {
      const st = statSync(path);
      expect([path, st.uid, st.mode & 0o022]).toEqual([path, 0, 0]);
    }
    expect(readFileSync(join(pkg(), 'bin', 'macos-agent'), 'utf8')).toContain(`exec ${pkg()}/bin/node ${pkg()}/dist/macos-agent.js "$@"`);
    const job = readFileSync(plist(), 'utf8');
    expect(job).toContain(`<string>${pkg()}/bin/node</string>`);
    expect(job).toContain('<key>UserName</key>\n    <string>_macos_agent</string>');
    expect(readFileSync(join(box.sys, 'etc', 'sudoers.d', 'macos-agent'), 'utf8')).toContain('_macos_agent ALL = (root) NOPASSWD: MACOS_AGENT_POWERMETRICS');
    expect(r.stdout).toContain('created role account _macos_agent (uid 202, gid 202;');
    expect(r.stdout).toContain('macos-agent 0.1.0 is installed and running as the system service.');
    expect(execFileSync(join(box.prefix, 'bin', 'macos-agent'), ['--version']).toString().trim()).toBe('0.1.0');
    // The installed command knows its system paths without being told.
    const dryRun = execFileSync(join(box.prefix, 'bin', 'macos-agent'), ['service', 'install', '--system', '--dry-run'], { env: { PATH: `${box.fakes.dir}:${box.tools}`, MACOS_AGENT_SYSTEM_ROOT: box.sys, FAKE_DSCL_DIR: join(box.root, 'dscl'), FAKE_LAUNCHCTL_DIR: join(box.root, 'launchctl') } }).toString();
    expect(dryRun).toContain(`<string>${config()}</string>`);
    expect(dryRun).toContain(`<string>${pkg()}/dist/macos-agent.js</string>`);
    expect(dryRun).toContain('role account _macos_agent exists (uid 202, gid 202)');
  });

  it('refuses a Node.js that loads libraries from outside macOS (Homebrew\'s), saying what to install, and leaves nothing', async () => {
    const r = await box.run([], { FAKE_OTOOL_BREW: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('loads /opt/homebrew/opt/libuv/lib/libuv.1.dylib, which is not one of macOS\'s own libraries');
    expect(r.stderr).toContain('install the official Node.js for macOS (https://nodejs.org; self-contained, in /usr/local/bin) and run: sudo ');
    expect(box.tree().filter((l) => l.includes('libexec/macos-agent') || l.includes('LaunchDaemons/'))).toEqual([]);
  });

  // The takeover this prevents: a system folder (or a prefix, as /opt/homebrew is) owned by another
  // account lets that account swap what root starts.
  it('refuses system folders another account owns, naming the folder and the fix', async () => {
    mkdirSync(join(box.sys, 'usr', 'local'), { recursive: true });
    chownSync(join(box.sys, 'usr', 'local'), 501, 80);
    const r = await box.run([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${pkg()} is not in a root-owned tree: ${join(box.sys, 'usr', 'local')} is not owned by root, or is writable by group or others;`);
    expect(r.stderr).toContain(`fix: sudo chown root:wheel '${join(box.sys, 'usr', 'local')}' && sudo chmod go-w '${join(box.sys, 'usr', 'local')}'`);
    expect(box.npmCalls()).toEqual([]);
  });

  it('upgrades in place when run again: keeps the edited config, restarts the service, leaves nothing behind', async () => {
    expect((await box.run([])).code).toBe(0);
    writeFileSync(config(), 'interval: 30s\n');
    const before = box.tree();
    const plistBefore = readFileSync(plist(), 'utf8');
    const r = await box.run([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`config ${config()}: kept`);
    expect(readFileSync(config(), 'utf8')).toBe('interval: 30s\n');
    expect(readFileSync(plist(), 'utf8')).toBe(plistBefore);
    expect(box.tree()).toEqual(before);
    expect(box.launchctlCalls().slice(5).map((c) => c[0])).toEqual(['print', 'enable', 'kickstart', 'print', 'print']);
  });

  it('--uninstall stops and removes the service, the package and the command, and keeps config and logs', async () => {
    expect((await box.run([])).code).toBe(0);
    const r = await box.run(['--uninstall']);
    expect(r.code).toBe(0);
    expect(box.launchctlCalls().slice(5)).toEqual([['print', `system/${SERVICE_LABEL}`], ['bootout', `system/${SERVICE_LABEL}`]]);
    expect(box.tree()).toEqual([
      'LaunchDaemons/', 'newsyslog.d/', 'prefix/', 'prefix/bin/', 'state/', 'state/macos-agent/',
      'sys/', 'sys/etc/', 'sys/etc/macos-agent/', 'sys/etc/macos-agent/config.yaml 644', 'sys/etc/sudoers.d/',
      'sys/usr/', 'sys/usr/local/', 'sys/usr/local/libexec/',
      'sys/var/', 'sys/var/log/', 'sys/var/log/macos-agent/', 'sys/var/log/macos-agent/macos-agent.err.log 640', 'sys/var/log/macos-agent/macos-agent.log 640',
    ]);
    expect(r.stdout).toContain(`Kept: config ${config()}`);
  });

  it('--purge removes only folders named macos-agent', async () => {
    mkdirSync(join(box.root, 'precious'));
    const r = await box.run(['--uninstall', '--purge', '--state-dir', join(box.root, 'precious')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`kept ${join(box.root, 'precious')}: --purge removes only folders named macos-agent`);
    expect(existsSync(join(box.root, 'precious'))).toBe(true);
  });

  it('--uninstall --purge also removes the config, the logs and the state folder', async () => {
    expect((await box.run([])).code).toBe(0);
    expect((await box.run(['--uninstall', '--purge'])).code).toBe(0);
    expect(box.tree()).toEqual(['LaunchDaemons/', 'newsyslog.d/', 'prefix/', 'prefix/bin/', 'state/', 'sys/', 'sys/etc/', 'sys/etc/sudoers.d/', 'sys/usr/', 'sys/usr/local/', 'sys/usr/local/libexec/', 'sys/var/', 'sys/var/log/']);
  });

  it('--dry-run prints every action and writes nothing', async () => {
    const before = box.tree();
    const r = await box.run(['--dry-run']);
    expect(r.code).toBe(0);
    expect(box.tree()).toEqual(before);
    expect(box.launchctlCalls()).toEqual([]);
    expect(box.npmCalls()).toEqual([]);
    expect(r.stdout).toContain(' ci --omit=dev --no-audit --no-fund');
    expect(r.stdout).toContain(`would write ${config()} (the commented default, launchd/config.default.yaml)`);
    expect(r.stdout).toContain(`would run: ${pkg()}/bin/macos-agent service install --system --prefix ${box.prefix}`);
    expect(r.stdout).toContain('the service would run as the role account _macos_agent (created with dscl if missing); only /usr/bin/powermetrics runs as root');
    expect(r.stdout).toContain(`would write the sudoers drop-in ${join(box.sys, 'etc', 'sudoers.d', 'macos-agent')} allowing _macos_agent exactly the powermetrics command lines of ${config()} (checked with visudo -cf)`);
    expect(r.stdout).toContain(`root-owned paths the service runs or reads: ${pkg()}/bin/node, ${pkg()}/dist/macos-agent.js, ${config()}, ${join(box.sys, 'var', 'log', 'macos-agent')}`);
  });

  it('takes a relative --state-dir from the working folder, as it does --prefix, and checks that folder\'s parents', async () => {
    const r = await box.run(['--dry-run', '--state-dir', 'relative/macos-agent']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`--state-dir ${join(process.cwd(), 'relative', 'macos-agent')}`);

    const theirs = join(box.root, 'theirs');
    mkdirSync(theirs);
    chownSync(theirs, 501, 20);
    const refused = await box.run(['--dry-run', '--state-dir', 'relative/macos-agent'], {}, { cwd: theirs });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${join(theirs, 'relative')} is not in a root-owned tree: ${theirs} is not owned by root`);
  });

  it('builds the TypeScript in a staging folder when the checkout has no dist/', async () => {
    const from = join(box.root, 'src');
    execFileSync(join(box.tools, 'rm'), ['-rf', join(from, 'dist')]);
    packageSource(from, false);
    const r = await box.run([]);
    expect(r.code).toBe(0);
    const where = (line: string): string => `${line.split(' ')[0]!.endsWith('/.build') ? 'build folder' : 'staging folder'}: ${line.slice(line.indexOf(' ') + 1)}`;
    expect(box.npmCalls().map(where)).toEqual([
      'build folder: ci --ignore-scripts --no-audit --no-fund', 'build folder: run build', 'staging folder: ci --omit=dev --no-audit --no-fund',
    ]);
    expect(existsSync(join(pkg(), 'dist', 'macos-agent.js'))).toBe(true);
    expect(existsSync(join(pkg(), 'agent'))).toBe(false);
  });
});

describe('scripts/install.sh (user mode)', () => {
  it('installs a LaunchAgent in the gui domain of the user running it, and says powermetrics is off', async () => {
    const r = await box.run(['--user'], { FAKE_UID: '501', MACOS_AGENT_TEST_UID: '501' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(box.launchctlCalls().map((c) => c.slice(0, 2))).toEqual([
      ['print', `gui/501/${SERVICE_LABEL}`], ['enable', `gui/501/${SERVICE_LABEL}`], ['bootstrap', 'gui/501'], ['print', `gui/501/${SERVICE_LABEL}`], ['print', `gui/501/${SERVICE_LABEL}`],
    ]);
    expect(readFileSync(plist(), 'utf8')).toContain('<string>sources.powermetrics.enabled=false</string>');
    expect(existsSync(join(box.root, 'newsyslog.d'))).toBe(false);
    expect(r.stdout).toContain('powermetrics is off in the user service (it needs root)');
  });

  it('refuses to run as root', async () => {
    const r = await box.run(['--user']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the user service is a LaunchAgent in your login session: run this script without sudo');
  });
});

describe('scripts/install.sh under a prefix with a space', () => {
  it.each([['user', ['--user'], { FAKE_UID: '501', MACOS_AGENT_TEST_UID: '501' }], ['system', [], {}]] as const)('installs in %s mode, and the linked command runs', async (_mode, args, env) => {
    const prefix = join(box.root, 'my prefix');
    const r = await box.run([...args, '--prefix', prefix], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(execFileSync(join(prefix, 'bin', 'macos-agent'), ['--version']).toString().trim()).toBe('0.1.0');
  });
});

describe('scripts/install.sh refuses clearly, and leaves no half-installed state', () => {
  it('without Node.js, saying how to get it', async () => {
    const r = await box.run([], {}, { node: false });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Node.js is not installed: macos-agent needs Node.js >= 22.15 — install it with: brew install node');
    expect(box.tree()).toEqual([]);
  });

  it('finds Node.js in the prefix when PATH lacks it (sudo may drop /opt/homebrew/bin)', async () => {
    mkdirSync(join(box.prefix, 'bin'), { recursive: true });
    symlinkSync(process.execPath, join(box.prefix, 'bin', 'node'));
    const r = await box.run(['--dry-run'], {}, { node: false });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`(${join(box.prefix, 'bin', 'node')})`);
  });

  it('with a Node.js that is too old', async () => {
    const old = makeFakeBin({ node: '#!/bin/sh\necho v20.11.1\n' });
    const r = await box.run([], { PATH: [box.fakes.dir, old.dir, box.tools].join(':') });
    old.cleanup();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Node.js v20.11.1 at .*\/node is too old: macos-agent needs >= 22.15 — upgrade it with: brew upgrade node/);
  });

  it('on an unsupported macOS version', async () => {
    const r = await box.run([], { FAKE_MACOS: '12.7.4' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('macOS 12.7.4 is not supported: macos-agent needs macOS 13 (Ventura) or later');
    expect(r.stderr).toContain('step "check the platform" failed');
    expect(box.tree()).toEqual([]);
  });

  it('in system mode without root, saying what to run', async () => {
    const r = await box.run(['--system'], { FAKE_UID: '501' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the system service \(LaunchDaemon started by root, runs as _macos_agent\) needs root to install: run sudo \S*install.sh --system/);
    expect(box.tree()).toEqual([]);
  });

  it('when the dependencies fail to install: the staging folder goes, the installed version stays', async () => {
    expect((await box.run([])).code).toBe(0);
    const before = box.tree();
    const r = await box.run([], { FAKE_NPM_FAIL: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('step "install dependencies and build the SMC addon" failed (exit 1)');
    expect(box.tree()).toEqual(before);
  });

  it('when the upgraded service cannot restart: the previous package comes back and its service runs', async () => {
    expect((await box.run([])).code).toBe(0);
    const before = box.tree();
    const r = await box.run([], { FAKE_LAUNCHCTL_FAIL: 'kickstart' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('step "install and start the system service" failed');
    expect(r.stderr).toContain('putting back what was there before');
    expect(box.tree()).toEqual(before);
    expect(box.launchctlCalls().slice(-3).map((c) => c[0])).toEqual(['enable', 'bootstrap', 'print']);
    expect(readdirSync(join(box.root, 'launchctl', 'loaded'))).toEqual([`system_${SERVICE_LABEL}`]);
  });

  it('when the service cannot start on a fresh install: everything written is removed', async () => {
    const r = await box.run([], { FAKE_LAUNCHCTL_FAIL: 'enable' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('step "install and start the system service" failed');
    expect(box.tree().filter((l) => !l.startsWith('sys/var/') && !l.startsWith('sys/etc/sudoers.d/'))).toEqual([
      'LaunchDaemons/', 'newsyslog.d/', 'prefix/', 'prefix/bin/', 'state/', 'state/macos-agent/', 'sys/', 'sys/etc/', 'sys/usr/', 'sys/usr/local/', 'sys/usr/local/libexec/',
    ]);
  });
});

describe('scripts/install.sh', () => {
  it('is the one command the README\'s "Install on a Mac" section gives', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Install on a Mac'), readme.indexOf('\n## ', readme.indexOf('## Install on a Mac') + 1));
    expect(section.match(/```sh\n([^`]*)```/g)).toEqual(['```sh\nsudo scripts/install.sh\n```']);
    expect(readFileSync(SCRIPT, 'utf8')).toContain('#   sudo scripts/install.sh              system service');
  });

  it('asks for the Node.js version package.json promises', () => {
    const engines = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const text = readFileSync(SCRIPT, 'utf8');
    const [major, minor] = engines.replace('>=', '').split('.');
    expect(text).toContain(`readonly MIN_NODE_MAJOR=${major}\n`);
    expect(text).toContain(`readonly MIN_NODE_MINOR=${minor}\n`);
  });

  it('writes a default config that covers every setting with its default', async () => {
    const { SETTINGS, loadConfig } = await import('../agent/config.js');
    const text = readFileSync(join(REPO, 'launchd', 'config.default.yaml'), 'utf8');
    for (const s of SETTINGS) expect(text, s.key).toContain(`# ${s.key.split('.').at(-1)!}:`);
    expect(loadConfig({ path: join(REPO, 'launchd', 'config.default.yaml'), env: {} }).config).toEqual(loadConfig({ env: {} }).config);
    const uncommented = text.split('\n').map((l) => l.replace(/^(\s*)# ([a-z_]+:( |$))/, '$1$2')).join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'macos-agent-config-'));
    writeFileSync(join(dir, 'config.yaml'), uncommented);
    const { state_dir: _fileState, ...fromFile } = loadConfig({ path: join(dir, 'config.yaml'), env: {} }).config;
    const { state_dir: _defaultState, ...defaults } = loadConfig({ env: {} }).config;
    expect(fromFile).toEqual(defaults);
  });
});
