import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

// The rule the collector's LaunchDaemon follows (as the agent's system service does): launchd
// runs what these paths hold at boot, so nobody but root may be able to change them, nor any
// folder above them. Kept in its own file so it can give way to the lead's shared
// agent/service/trusted-path.ts.

export interface UntrustedPath {
  readonly path: string;
  readonly reason: string;
}

/** The first of `path` and its ancestors that is not root-owned or is group/other-writable. */
export function firstUntrustedAncestor(path: string): UntrustedPath | undefined {
  let current = resolve(path);
  for (;;) {
    let stats;
    try {
      stats = statSync(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { path: current, reason: code === 'ENOENT' ? 'it does not exist' : `it cannot be read (${code ?? 'error'})` };
    }
    if (stats.uid !== 0) return { path: current, reason: `it belongs to uid ${stats.uid}, not root` };
    if ((stats.mode & 0o022) !== 0) return { path: current, reason: `it is writable by its group or others (mode ${(stats.mode & 0o7777).toString(8)})` };
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}
