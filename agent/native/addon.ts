// Loading the native addon (native/, build/Release/smc.node): the SMC primitives and the Mach host's
// memory counters. Only the sources that use it load it, so nothing else pays for it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Logger } from 'pino';
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

/** What a source reads through the addon instead of running its command. */
export interface AddonReadSpec<A extends object, R> {
  readonly source: SourceName;
  readonly addonPath: string | undefined;
  /** Why there is no addon off macOS, e.g. "host_statistics64 is only available on macOS". */
  readonly notOnMacos: string;
  /** The addon's function, e.g. (addon) => addon.readVmStatistics(). */
  readonly call: (addon: A) => R;
  /** Whether this build has the function: one built before it was added has not. */
  readonly has: (addon: A) => boolean;
  /** For the once-only log: what the addon reads, e.g. "host_statistics64". */
  readonly reads: string;
  /** For the once-only log: the command run instead, e.g. "vm_stat". */
  readonly command: string;
  /** For a failing call: what cannot be read, e.g. "the memory counters". */
  readonly what: string;
  readonly log: Logger;
}

/**
 * One addon call that stands in for a command. If the addon cannot make it at all (not built,
 * built before the call existed, not macOS), the source runs its command from then on and this
 * is logged once: at warn on a Mac, where it costs a process per collection and a rebuild fixes
 * it; at debug elsewhere, where the command is the only way. Once the addon has answered, a
 * failing call is the collection's failure, never silently replaced by the command.
 */
export class AddonReader<A extends object, R> {
  readonly #spec: AddonReadSpec<A, R>;
  /** The addon once it answered; null once it could not, and the command is run instead. */
  #addon: A | null | undefined;

  constructor(spec: AddonReadSpec<A, R>) {
    this.#spec = spec;
  }

  /** The addon's answer, or undefined when the source has to run its command instead. */
  read(): R | undefined {
    const spec = this.#spec;
    const known = this.#addon;
    if (known === null) return undefined;
    let addon: A | undefined = known;
    let answer: R;
    try {
      addon ??= loadNativeAddon<A>(spec.source, spec.addonPath, spec.notOnMacos);
      answer = spec.call(addon);
    } catch (error) {
      const e = error as Error & { code?: string };
      if (this.#addon === undefined && (error instanceof SourceError || e.code === 'HOST_UNSUPPORTED' || (addon !== undefined && !spec.has(addon)))) {
        this.#addon = null;
        const onMac = process.platform === 'darwin';
        spec.log[onMac ? 'warn' : 'debug']({ source: spec.source, reason: e.message },
          `running ${spec.command} every collection: the addon cannot use ${spec.reads} (${e.message})${onMac ? ' — rebuild the addon (npm rebuild in the agent\'s folder) to stop that' : ''}`);
        return undefined;
      }
      throw new SourceError(spec.source, 'failed', `${e.message} — ${spec.what} cannot be read; if this persists, run \`macos-agent capture DIR\` and attach DIR to an issue`, { cause: error });
    }
    if (this.#addon === undefined) {
      this.#addon = addon;
      spec.log.debug({ source: spec.source }, `reading ${spec.what} with ${spec.reads} (no ${spec.command} process per collection)`);
    }
    return answer;
  }
}
