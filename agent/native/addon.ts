// Loading the native addon (native/, build/Release/smc.node): the SMC primitives and the Mach host's
// memory counters. Only the sources that use it load it, so nothing else pays for it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { SourceName } from '../metrics/catalog.js';
import { SourceError } from '../sources/source.js';

// build/Release sits at the package root: two levels above agent/native/ when the TypeScript runs
// directly (tests), three above dist/agent/native/ when compiled.
export const ADDON_CANDIDATES = [
  join(import.meta.dirname, '..', '..', 'build', 'Release', 'smc.node'),
  join(import.meta.dirname, '..', '..', '..', 'build', 'Release', 'smc.node'),
];

/** Where the sources that use the addon take it from. */
export interface NativeAddonOptions {
  /** The addon to load instead of build/Release/smc.node (the tests' simulated AppleSMC and Mach host). */
  readonly addonPath?: string | undefined;
}

/**
 * Loads the addon at `addonPath` (the tests' simulated build) or from build/Release. Throws a
 * SourceError for `source` that says what to do: `notOnMacos` when there is no addon off macOS.
 */
export function loadNativeAddon<T>(source: SourceName, addonPath: string | undefined, notOnMacos: string): T {
  const path = addonPath ?? ADDON_CANDIDATES.find((p) => existsSync(p));
  if (path === undefined) {
    if (process.platform !== 'darwin') throw new SourceError(source, 'missing', notOnMacos);
    throw new SourceError(source, 'missing',
      `the native addon is not built (no ${ADDON_CANDIDATES[1]}): run "npm rebuild" in the macos-agent folder (it needs the Xcode command line tools: xcode-select --install)`);
  }
  try {
    return createRequire(import.meta.url)(path) as T;
  } catch (error) {
    throw new SourceError(source, 'failed', `cannot load the native addon ${path}: ${(error as Error).message} — rebuild it with "npm rebuild" in the macos-agent folder`, { cause: error });
  }
}
