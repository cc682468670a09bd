import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * The PATH of the user's own shell: the test's PATH without the node_modules/.bin folders that npm
 * scripts put first. `npm` and `npx` on it run under the Node that ran `npm install` (which may be
 * older than the package's engines), as they do for a user typing the README's commands.
 */
export const USER_PATH = (process.env['PATH'] ?? '').split(delimiter).filter((dir) => !dir.endsWith(join('node_modules', '.bin'))).join(delimiter);

/** npm as the user's shell runs it (USER_PATH, their HOME), without its weekly check for a newer npm: tests stay on loopback. */
export const USER_NPM_ENV: NodeJS.ProcessEnv = { PATH: USER_PATH, HOME: process.env['HOME'] ?? tmpdir(), npm_config_update_notifier: 'false' };
