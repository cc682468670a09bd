// The simulated notifyd's table (test/native/simulated_notify.cc): the state posted on
// com.apple.system.thermalpressurelevel, and faults.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NotifyFaults {
  /** notify_register_check returns this status. */
  readonly failRegister?: number;
  /** notify_get_state returns this status. */
  readonly failGet?: number;
}

/** Writes the table into `dir`; returns its path. */
export function writeNotifyTable(dir: string, state: number, faults: NotifyFaults = {}): string {
  const lines = [`state com.apple.system.thermalpressurelevel ${state}`];
  if (faults.failRegister !== undefined) lines.push(`fail-register ${faults.failRegister}`);
  if (faults.failGet !== undefined) lines.push(`fail-get ${faults.failGet}`);
  const path = join(dir, 'notify.txt');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Writes the table and points this process's simulator at it (SIMULATED_NOTIFY). */
export function useNotifySimulation(dir: string, state: number, faults: NotifyFaults = {}): string {
  const path = writeNotifyTable(dir, state, faults);
  process.env['SIMULATED_NOTIFY'] = path;
  return path;
}
