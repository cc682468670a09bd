import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');
export const DIST = join(REPO, 'dist', 'agent');
/** The CLI as it ships, the bundle (`npm run bench` builds it first: tsc, then scripts/bundle.mjs). */
export const CLI = join(REPO, 'dist', 'macos-agent.js');
export const RESULTS = join(REPO, 'bench', 'results');
