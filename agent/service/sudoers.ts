import { POWERMETRICS_PATH } from '../sources/powermetrics.js';
import { SERVICE_NAME } from './label.js';

/**
 * The sudoers drop-in of the system service: its role account may start powermetrics as root with
 * exactly the command lines the agent uses, and nothing else. Every argument is spelled out, so no
 * other flag (`-o FILE` would let it write any file as root) can be added.
 */

/** The drop-in's name: sudo skips files in /etc/sudoers.d whose names contain a dot or end in `~`. */
export const SUDOERS_FILE_NAME = SERVICE_NAME;

export class SudoersError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SudoersError';
  }
}

/** sudoers(5): in a command's arguments `,` `:` `=` and `\` must be escaped; whitespace cannot be written at all. */
export function sudoersArgument(arg: string): string {
  if (arg === '' || /\s/.test(arg)) {
    throw new SudoersError(`the argument "${arg}" cannot be written in a sudoers rule (empty or containing whitespace)`);
  }
  let out = '';
  for (const ch of arg) out += ',:=\\'.includes(ch) ? `\\${ch}` : ch;
  return out;
}

/** The drop-in allowing `account` to run POWERMETRICS_PATH as root with each of `argLists`. */
export function renderPowermetricsSudoers(account: string, argLists: readonly (readonly string[])[]): string {
  if (!/^_?[a-z][a-z0-9_-]*$/.test(account)) throw new SudoersError(`"${account}" is not a role account name sudoers can take`);
  if (argLists.length === 0) throw new SudoersError('no powermetrics command line to allow');
  const commands = argLists.map((args) => [POWERMETRICS_PATH, ...args.map(sudoersArgument)].join(' '));
  return [
    `# ${SERVICE_NAME}: its role account may start powermetrics as root with exactly these command lines.`,
    `# Written by \`macos-agent service install --system\` from the config (samplers, interval); removed by \`service uninstall\`.`,
    `# Check it with: visudo -cf <this file>`,
    `Cmnd_Alias MACOS_AGENT_POWERMETRICS = ${commands.join(', \\\n    ')}`,
    `${account} ALL = (root) NOPASSWD: MACOS_AGENT_POWERMETRICS`,
    '',
  ].join('\n');
}
