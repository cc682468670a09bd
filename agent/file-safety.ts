import { closeSync, constants, lstatSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { ROLE_ACCOUNT } from './service/role-account.js';

export class UnsafeFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeFileError';
  }
}

export interface SafeFileOptions {
  /** What the file is, for the error message (e.g. "OTLP headers file"). */
  readonly what: string;
  /** Secrets (headers, TLS keys) must also not be readable by others. */
  readonly secret?: boolean;
  /** Defaults to whether this process runs as root or as the system service's role account. */
  readonly enforce?: boolean;
  /** For tests: the uid the file must belong to (0 for the root daemon). */
  readonly ownerUid?: number;
}

/**
 * Refuses a file the root daemon would read when someone other than root could have written it
 * (owner not root, or writable by group or others), and a secret that others can read. Returns
 * nothing when the file is safe or when the check does not apply (not running as root).
 */
export function assertSafeFile(path: string, opts: SafeFileOptions): void {
  const enforce = opts.enforce ?? runsAsSystemService();
  if (!enforce) return;
  const st = statSync(path);
  const owner = opts.ownerUid ?? 0;
  const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
  if (st.uid !== owner) {
    throw new UnsafeFileError(`${opts.what} ${path} is owned by uid ${st.uid}, not root: the system service refuses it — run: sudo chown root:wheel '${path}'`);
  }
  if ((st.mode & 0o022) !== 0) {
    throw new UnsafeFileError(`${opts.what} ${path} is writable by group or others (mode ${mode}): the system service refuses it — run: sudo chmod go-w '${path}'`);
  }
  if (opts.secret === true && (st.mode & 0o004) !== 0) {
    throw new UnsafeFileError(`${opts.what} ${path} holds secrets but is readable by everyone (mode ${mode}) — let only root and the service's account read it: sudo chown root:${ROLE_ACCOUNT} '${path}' && sudo chmod 640 '${path}'`);
  }
}

/** Root, or the role account the system service runs as: both read files only root may change. */
export function runsAsSystemService(): boolean {
  if (process.getuid?.() === 0) return true;
  try {
    return userInfo().username === ROLE_ACCOUNT;
  } catch {
    return false;
  }
}

/** Reads a file after checking it is safe for the root daemon; the content is never logged. */
export function readSafeFile(path: string, opts: SafeFileOptions): Buffer {
  assertSafeFile(path, opts);
  return readFileSync(path);
}

export class UnreadableFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnreadableFileError';
  }
}

export interface RegularFileOptions {
  /** What the file is, for the error message (e.g. "replay file"). */
  readonly what: string;
  /** A larger file is refused, never read in part. */
  readonly maxBytes: number;
  /** When set, the file must also belong to this uid (a spool file: the agent's own). */
  readonly ownerUid?: number;
}

/**
 * Reads a regular file of bounded size without following a symlink at its last component and
 * without blocking on a FIFO or a device (O_NONBLOCK: a FIFO opens at once and is then refused by
 * fstat). ENOENT passes through as is, so callers can tell "absent" from "refused".
 */
export async function readRegularFile(path: string, opts: RegularFileOptions): Promise<Buffer> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') throw new UnreadableFileError(`${opts.what} ${path} is a symbolic link: refused (links are never followed) — put the file itself there`, { cause: error });
    throw error;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new UnreadableFileError(`${opts.what} ${path} is not a regular file (${fileKind(st)}): refused`);
    if (opts.ownerUid !== undefined && st.uid !== opts.ownerUid) {
      throw new UnreadableFileError(`${opts.what} ${path} belongs to uid ${st.uid}, not to the agent (uid ${opts.ownerUid}): refused`);
    }
    if (st.size > opts.maxBytes) throw new UnreadableFileError(`${opts.what} ${path} is ${st.size} bytes, more than the ${opts.maxBytes} bytes allowed: refused`);
    // One byte more than fstat said: a file that grows while it is read is seen, never read unbounded.
    const buffer = Buffer.alloc(st.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > st.size) throw new UnreadableFileError(`${opts.what} ${path} grew while it was read: refused`);
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

function fileKind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

/** The uid this process acts as: what owns the files it creates. */
export function effectiveUid(): number {
  return process.geteuid?.() ?? 0;
}

/**
 * Refuses a folder the agent writes into (state_dir, the spool, the pid file's folder) that
 * someone else could plant a link or a file in: it must be a real directory (not a symlink),
 * owned by the agent's effective uid or root, and not writable by group or others. A folder that
 * does not exist yet passes: the agent creates it private (mode 0700).
 */
export function assertPrivateFolder(path: string, what: string, agentUid: number = effectiveUid()): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new UnsafeFileError(`${what} ${path} cannot be checked: ${(error as Error).message}`);
  }
  const uid = agentUid;
  const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
  if (st.isSymbolicLink()) throw new UnsafeFileError(`${what} ${path} is a symbolic link: the agent never writes through one — use the real folder's path`);
  if (!st.isDirectory()) throw new UnsafeFileError(`${what} ${path} is not a folder`);
  if (st.uid !== uid && st.uid !== 0) {
    throw new UnsafeFileError(`${what} ${path} is owned by uid ${st.uid}, not by the agent's uid ${uid} or root: another account could plant files there — run: sudo chown ${uid} '${path}'`);
  }
  if ((st.mode & 0o022) !== 0) {
    throw new UnsafeFileError(`${what} ${path} is writable by group or others (mode ${mode}): another account could plant files there — run: chmod go-w '${path}'`);
  }
}

/**
 * Writes a file whole without ever writing through a link: the content goes to `path.tmp`, created
 * exclusively with O_NOFOLLOW (a stale or planted `.tmp`, link or not, is unlinked first, never
 * followed), then renamed over `path` (rename replaces a link at `path`, never its target).
 */
export async function writeFileNoFollow(path: string, data: Uint8Array | string, mode: number): Promise<void> {
  const tmp = `${path}.tmp`;
  await unlink(tmp).catch((error: NodeJS.ErrnoException) => { if (error.code !== 'ENOENT') throw error; });
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

/** writeFileNoFollow, synchronously (the pid file, written once at start). */
export function writeFileNoFollowSync(path: string, data: string, mode: number): void {
  const tmp = `${path}.tmp`;
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    writeFileSync(fd, data);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
