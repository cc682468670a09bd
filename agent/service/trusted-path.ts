import { lstatSync, realpathSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';

/**
 * What a root-started service runs or reads must sit in a tree only root can change: the file and
 * every folder above it owned by root and not writable by group or others. Otherwise the owner of
 * any of them (on Apple Silicon, the admin who installed Homebrew owns /opt/homebrew) can rename
 * the folder and put their own code in its place, and the next start runs it as root.
 *
 * A writable folder is accepted above a root-owned entry only when it is root's and sticky (/tmp,
 * /private/var/tmp): there nobody but root can rename or remove what root owns.
 */

export class UntrustedPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UntrustedPathError';
  }
}

export interface TrustedPathOptions {
  /** The uid that must own every entry; 0 (root) unless a test says otherwise. */
  readonly ownerUid?: number;
}

const STICKY = 0o1000;
const GROUP_OR_OTHER_WRITE = 0o022;

/**
 * Why `path` is not in a root-owned tree, or undefined when it is. Checks the path as given (a
 * symbolic link on the way must itself be root's, as /etc -> private/etc is) and the real path it
 * resolves to. A path that does not exist yet is judged by its nearest existing folder.
 */
export function untrustedReason(path: string, opts: TrustedPathOptions = {}): string | undefined {
  if (!isAbsolute(path)) return `${path} is not an absolute path`;
  const owner = opts.ownerUid ?? 0;
  const existing = nearestExisting(resolve(path));
  for (const candidate of new Set([existing, realpathSync(existing)])) {
    for (const entry of selfAndAncestors(candidate)) {
      const st = lstatSync(entry);
      const problem = entryProblem(entry, st, owner);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

/** Throws UntrustedPathError naming `what`, the offending entry and the fix. */
export function assertTrustedPath(path: string, what: string, opts: TrustedPathOptions = {}): void {
  const reason = untrustedReason(path, opts);
  if (reason !== undefined) {
    throw new UntrustedPathError(`${what} ${path} is not in a root-owned tree: ${reason}; anyone who can change it could make the service run their code — move it under a folder owned by root and not writable by others`);
  }
}

function entryProblem(entry: string, st: Stats, owner: number): string | undefined {
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  if (st.uid !== owner) {
    return `${entry} is owned by uid ${st.uid}, not ${owner === 0 ? 'root' : `uid ${owner}`} (fix: sudo chown root:wheel '${entry}')`;
  }
  if (st.isSymbolicLink()) return undefined;
  if ((st.mode & GROUP_OR_OTHER_WRITE) !== 0 && !(st.isDirectory() && (st.mode & STICKY) !== 0)) {
    return `${entry} is writable by group or others (mode ${mode}) (fix: sudo chmod go-w '${entry}')`;
  }
  return undefined;
}

function nearestExisting(path: string): string {
  let at = path;
  for (;;) {
    try {
      lstatSync(at);
      return at;
    } catch {
      const up = dirname(at);
      if (up === at) return at;
      at = up;
    }
  }
}

/** `/a/b/c`, `/a/b`, `/a`, `/`. */
function selfAndAncestors(path: string): string[] {
  const out: string[] = [];
  let at = path;
  for (;;) {
    out.push(at);
    const up = dirname(at);
    if (up === at || at === sep) return out;
    at = up;
  }
}
