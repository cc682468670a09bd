import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The first folder above this module (source, compiled or bundled) with our package.json, and that file. */
function findPackage(): { root: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'macos-agent') return { root: dir, version: pkg.version };
    } catch {
      // not here; keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('macos-agent: cannot find its own package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

const PACKAGE = findPackage();
/** The package root: build/Release (the addon) and dist/ are found from here. */
export const PACKAGE_ROOT: string = PACKAGE.root;
export const VERSION: string = PACKAGE.version;
