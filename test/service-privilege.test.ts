import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAccountCommands, freeRoleId, parseAccountIds, ROLE_ACCOUNT } from '../agent/service/role-account.js';
import { renderPowermetricsSudoers, sudoersArgument } from '../agent/service/sudoers.js';
import { untrustedReason } from '../agent/service/trusted-path.js';
import { daemonPowermetricsArgs } from '../agent/sources/powermetrics.js';
import { REPO } from './helpers/cli.js';

// Sandboxes are made under the system's temporary folder: root's and sticky, which the check
// accepts above root-owned entries. These tests chown, so they run as root (as CI does).

function sandbox(): string {
  return mkdtempSync(join(tmpdir(), 'macos-agent-trust-'));
}

describe('the root-owned tree check', () => {
  it('accepts a root-owned tree with no group/other-writable folder', () => {
    const root = sandbox();
    mkdirSync(join(root, 'libexec', 'macos-agent', 'dist'), { recursive: true });
    writeFileSync(join(root, 'libexec', 'macos-agent', 'dist', 'macos-agent.js'), '');
    expect(untrustedReason(join(root, 'libexec', 'macos-agent', 'dist', 'macos-agent.js'))).toBeUndefined();
  });

  it('names the first ancestor another account owns (the Homebrew prefix takeover)', () => {
    const root = sandbox();
    const prefix = join(root, 'opt', 'homebrew');
    mkdirSync(join(prefix, 'opt', 'macos-agent', 'dist'), { recursive: true });
    writeFileSync(join(prefix, 'opt', 'macos-agent', 'dist', 'macos-agent.js'), '');
    chownSync(prefix, 501, 80);
    expect(untrustedReason(join(prefix, 'opt', 'macos-agent', 'dist', 'macos-agent.js')))
      .toBe(`${prefix} is owned by uid 501, not root (fix: sudo chown root:wheel '${prefix}')`);
  });

  it('refuses a group- or other-writable folder or file, and accepts a sticky one', () => {
    const root = sandbox();
    mkdirSync(join(root, 'shared'));
    writeFileSync(join(root, 'shared', 'node'), '');
    chmodSync(join(root, 'shared'), 0o775);
    expect(untrustedReason(join(root, 'shared', 'node'))).toBe(`${join(root, 'shared')} is writable by group or others (mode 0775) (fix: sudo chmod go-w '${join(root, 'shared')}')`);
    chmodSync(join(root, 'shared'), 0o1777);
    expect(untrustedReason(join(root, 'shared', 'node'))).toBeUndefined();
    chmodSync(join(root, 'shared', 'node'), 0o666);
    expect(untrustedReason(join(root, 'shared', 'node'))).toMatch(/node is writable by group or others \(mode 0666\)/);
  });

  it('follows a symbolic link into the tree it points to, and refuses a link another account owns', () => {
    const root = sandbox();
    const user = join(root, 'user');
    mkdirSync(user);
    writeFileSync(join(user, 'node'), '');
    chownSync(user, 501, 20);
    symlinkSync(join(user, 'node'), join(root, 'node'));
    expect(untrustedReason(join(root, 'node'))).toBe(`${user} is owned by uid 501, not root (fix: sudo chown root:wheel '${user}')`);
    const trusted = join(root, 'trusted-node');
    writeFileSync(trusted, '');
    symlinkSync(trusted, join(user, 'link'));
    expect(untrustedReason(join(user, 'link'))).toMatch(/is owned by uid 501/);
  });

  it('judges a path that does not exist yet by its nearest existing folder', () => {
    const root = sandbox();
    expect(untrustedReason(join(root, 'var', 'log', 'macos-agent'))).toBeUndefined();
    chownSync(root, 501, 20);
    expect(untrustedReason(join(root, 'var', 'log', 'macos-agent'))).toMatch(/is owned by uid 501/);
  });
});

describe('the role account', () => {
  it('takes the first id from 200 that no user and no group has', () => {
    expect(freeRoleId('root 0\n_www 70\n_a 200\nyou 501\n', 'wheel 0\n_b 201\n_c 203\n')).toBe(202);
  });

  it('is created as macOS creates daemon accounts: no shell, no home, no password, hidden', () => {
    const commands = createAccountCommands(250).map((c) => c.join(' '));
    expect(commands).toContain(`. -create /Users/${ROLE_ACCOUNT} UserShell /usr/bin/false`);
    expect(commands).toContain(`. -create /Users/${ROLE_ACCOUNT} NFSHomeDirectory /var/empty`);
    expect(commands).toContain(`. -create /Users/${ROLE_ACCOUNT} Password *`);
    expect(commands).toContain(`. -create /Users/${ROLE_ACCOUNT} IsHidden 1`);
    expect(commands).toContain(`. -create /Groups/${ROLE_ACCOUNT} PrimaryGroupID 250`);
  });

  it('reads its ids from dscl -read, and nothing from a partial answer', () => {
    expect(parseAccountIds('UniqueID: 202\nPrimaryGroupID: 202\n')).toEqual({ uid: 202, gid: 202 });
    expect(parseAccountIds('UniqueID: 202\n')).toBeUndefined();
  });
});

describe('the sudoers drop-in', () => {
  it('escapes what sudoers treats as syntax and refuses what it cannot write', () => {
    expect(sudoersArgument('cpu_power,gpu_power')).toBe('cpu_power\\,gpu_power');
    expect(sudoersArgument('a:b=c\\d')).toBe('a\\:b\\=c\\\\d');
    expect(() => sudoersArgument('two words')).toThrow(/cannot be written in a sudoers rule/);
    expect(() => sudoersArgument('')).toThrow(/cannot be written in a sudoers rule/);
  });

  it('allows the role account exactly the daemon\'s command lines, nothing else (launchd/examples/sudoers.d/ for the defaults)', () => {
    const text = renderPowermetricsSudoers(ROLE_ACCOUNT, daemonPowermetricsArgs(['cpu_power', 'gpu_power', 'ane_power', 'thermal'], 10_000));
    expect(text).toBe(readFileSync(join(REPO, 'launchd', 'examples', 'sudoers.d', 'macos-agent'), 'utf8'));
    const rules = text.split('\n').filter((l) => !l.startsWith('#') && l !== '');
    expect(rules.at(-1)).toBe(`${ROLE_ACCOUNT} ALL = (root) NOPASSWD: MACOS_AGENT_POWERMETRICS`);
    expect(text).not.toContain('*');
  });

  it('has one command line when the interval is no longer than the first sample', () => {
    expect(daemonPowermetricsArgs(['thermal'], 1000)).toEqual([['--samplers', 'thermal', '-i', '1000', '-f', 'plist']]);
  });
});
