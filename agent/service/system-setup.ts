import { closeSync, constants, fchmodSync, fchownSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ADDON_PATH_IN_PACKAGE } from '../native/addon.js';
import type { ServiceLayout } from './paths.js';
import { createAccountCommands, deleteAccountCommands, freeRoleId, parseAccountIds, ROLE_ACCOUNT, type RoleAccountIds } from './role-account.js';
import { runSystemTool, runSystemToolOrThrow, SystemToolError } from './system-tool.js';
import { untrustedReason } from './trusted-path.js';

// What the system service needs beyond its plist: the role account it runs as, folders that
// account may write and root's trees around them, and the sudoers drop-in for powermetrics.

const INSTALL_HINT = 'scripts/install.sh --system installs the package and its Node binary into /usr/local/libexec/macos-agent, owned by root';

/**
 * What the root-started job runs or reads and is not in a root-owned tree (trusted-path.ts): the
 * Node binary, the agent's script, addon and package.json, the config, and the folders above the
 * log and state folders (the state folder itself is the role account's).
 */
export function trustProblems(layout: ServiceLayout): string[] {
  const packageRoot = dirname(dirname(layout.cliScript));
  const checks: { path: string; what: string; fix: string }[] = [
    { path: layout.nodeBin, what: 'Node binary', fix: `${INSTALL_HINT}, or pass --node with a Node.js in a root-owned tree` },
    { path: layout.cliScript, what: 'agent script', fix: INSTALL_HINT },
    { path: join(packageRoot, ADDON_PATH_IN_PACKAGE), what: 'native addon', fix: INSTALL_HINT },
    { path: join(packageRoot, 'package.json'), what: 'package.json of the agent', fix: INSTALL_HINT },
    { path: layout.configFile, what: 'config file', fix: 'keep it in /etc/macos-agent (the default) or another root-owned folder' },
    { path: layout.logDir, what: 'log folder', fix: 'keep logs in /var/log/macos-agent (the default)' },
    { path: dirname(layout.stateDir), what: 'folder holding the state folder', fix: 'keep state in /var/db/macos-agent (the default)' },
  ];
  const problems: string[] = [];
  for (const check of checks) {
    const reason = untrustedReason(check.path);
    if (reason !== undefined) problems.push(`${check.what} ${check.path} is not in a root-owned tree: ${reason} — the service starts as root, so whoever can change it could run code as root; ${check.fix}`);
  }
  return problems;
}

/** The role account's ids, or undefined when it does not exist. */
export async function lookupRoleAccount(): Promise<RoleAccountIds | undefined> {
  const result = await runSystemTool('dscl', ['.', '-read', `/Users/${ROLE_ACCOUNT}`, 'UniqueID', 'PrimaryGroupID']);
  return result.code === 0 ? parseAccountIds(result.stdout) : undefined;
}

/** Creates the role account and its group when missing (dscl); returns its ids. */
export async function ensureRoleAccount(write: (text: string) => void): Promise<RoleAccountIds> {
  const existing = await lookupRoleAccount();
  if (existing !== undefined) {
    write(`role account ${ROLE_ACCOUNT} exists (uid ${existing.uid}, gid ${existing.gid})\n`);
    return existing;
  }
  const id = await chooseRoleId();
  for (const args of createAccountCommands(id)) await runSystemToolOrThrow('dscl', args);
  const created = await lookupRoleAccount();
  if (created === undefined) throw new SystemToolError(`dscl created ${ROLE_ACCOUNT} but cannot read it back`);
  write(`created role account ${ROLE_ACCOUNT} (uid ${created.uid}, gid ${created.gid}; no shell, no home, no password, hidden)\n`);
  return created;
}

export async function chooseRoleId(): Promise<number> {
  const users = await runSystemToolOrThrow('dscl', ['.', '-list', '/Users', 'UniqueID']);
  const groups = await runSystemToolOrThrow('dscl', ['.', '-list', '/Groups', 'PrimaryGroupID']);
  return freeRoleId(users.stdout, groups.stdout);
}

/** Deletes the role account and its group if they exist; says what it did or would do. */
export async function removeRoleAccount(dryRun: boolean, write: (text: string) => void): Promise<void> {
  if (await lookupRoleAccount() === undefined) return;
  for (const args of deleteAccountCommands()) {
    write(`${dryRun ? 'would run' : '$'}: dscl ${args.join(' ')}\n`);
    if (!dryRun) await runSystemToolOrThrow('dscl', args);
  }
}

/**
 * The log folder root's (0755) with the two log files the role account's (0640), so the account
 * can write its logs but create nothing there; the state folder the account's own (0700).
 * Nothing is followed through a symbolic link.
 */
export function prepareSystemFolders(layout: ServiceLayout, ids: RoleAccountIds): void {
  ensureDirectory(layout.logDir, 0o755, { uid: 0, gid: 0 });
  for (const file of [layout.logFile, layout.stderrLog]) ensureFile(file, 0o640, ids);
  mkdirSync(dirname(layout.stateDir), { recursive: true, mode: 0o755 });
  ensureDirectory(layout.stateDir, 0o700, ids);
}

function ensureDirectory(path: string, mode: number, owner: RoleAccountIds): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  try {
    mkdirSync(path, { mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    fchownSync(fd, owner.uid, owner.gid);
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}

function ensureFile(path: string, mode: number, owner: RoleAccountIds): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, mode);
  try {
    if (!fstatSync(fd).isFile()) throw new SystemToolError(`${path} is not a regular file: remove it and install again`);
    fchownSync(fd, owner.uid, owner.gid);
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}

/**
 * Puts the sudoers drop-in in place when it differs: written to a new file beside it (0440,
 * root's), checked with `visudo -cf`, then renamed over the old one, so sudo never reads a broken
 * file (a syntax error in any drop-in stops sudo for everyone). Returns whether it changed.
 */
export async function writeSudoers(path: string, text: string): Promise<boolean> {
  if (currentText(path) === text) return false;
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.new`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o440);
  try {
    writeSync(fd, text);
    fchownSync(fd, 0, 0);
    fchmodSync(fd, 0o440);
  } finally {
    closeSync(fd);
  }
  try {
    const check = await runSystemTool('visudo', ['-cf', tmp]);
    if (check.code !== 0) {
      const said = (check.stderr.trim() || check.stdout.trim()).split('\n')[0] ?? '';
      throw new SystemToolError(`visudo rejected the sudoers drop-in for ${path}${said ? `: "${said}"` : ''}; nothing was changed`);
    }
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
  return true;
}

function currentText(path: string): string | undefined {
  try {
    return readFileSync(path, { encoding: 'utf8', flag: constants.O_RDONLY | constants.O_NOFOLLOW });
  } catch {
    return undefined;
  }
}
