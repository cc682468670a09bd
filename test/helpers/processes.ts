import { readFileSync } from 'node:fs';

/**
 * Whether a process with this pid is running (signal 0 checks without signalling). A zombie (ended,
 * not yet reaped by its parent, e.g. an orphan waiting on a container's init) has ended: not alive.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !isZombie(pid);
}

/** Linux: the state in /proc/PID/stat is `Z`. Elsewhere (no /proc) nothing is taken for a zombie. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "PID (COMMAND) STATE …": the command may hold spaces and parentheses, so the state follows the last ")".
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'Z';
  } catch {
    return false;
  }
}
