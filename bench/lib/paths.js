import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');
export const DIST = join(REPO, 'dist', 'agent');
/** The compiled CLI, run as a user would (`npm run bench` compiles first). */
export const CLI = join(DIST, 'cli.js');
export const RESULTS = join(REPO, 'bench', 'results');
