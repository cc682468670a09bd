import { readFileSync, statSync } from 'node:fs';
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
