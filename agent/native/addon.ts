// Loading the native addon (native/, build/Release/smc.node): the SMC primitives and the Mach host's
// memory counters. Only the sources that use it load it, so nothing else pays for it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SourceName } from '../metrics/catalog.js';
import { SourceError } from '../sources/source.js';
import { PACKAGE_ROOT } from '../version.js';

/** Where the addon sits inside the package (the system service checks it is root's). */
export const ADDON_PATH_IN_PACKAGE = join('build', 'Release', 'smc.node');
// At the package root whether this runs as TypeScript (tests), compiled (dist/agent/) or bundled
// (dist/macos-agent.js).
export const ADDON_PATH = join(PACKAGE_ROOT, ADDON_PATH_IN_PACKAGE);

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
  const path = addonPath ?? (existsSync(ADDON_PATH) ? ADDON_PATH : undefined);
  if (path === undefined) {
    if (process.platform !== 'darwin') throw new SourceError(source, 'missing', notOnMacos);
    throw new SourceError(source, 'missing',
      `the native addon is not built (no ${ADDON_PATH}): run "npm rebuild" in the macos-agent folder (it needs the Xcode command line tools: xcode-select --install)`);
  }
  try {
    return createRequire(import.meta.url)(path) as T;
  } catch (error) {
    throw new SourceError(source, 'failed', `cannot load the native addon ${path}: ${(error as Error).message} — rebuild it with "npm rebuild" in the macos-agent folder`, { cause: error });
  }
}

/** What a source reads through the addon instead of running its command. */
export interface AddonReadSpec {
  readonly source: SourceName;
  readonly addonPath: string | undefined;
  /** Why there is no addon off macOS, e.g. "host_statistics64 is only available on macOS". */
  readonly notOnMacos: string;
  /** The addon's function, e.g. "readVmStatistics"; a build older than it has no such function. */
  readonly fn: string;
  /** The arguments it is called with (none by default). */
  readonly args?: readonly unknown[];
  /** For the once-only log: what the addon reads, e.g. "host_statistics64". */
  readonly reads: string;
  /** For the once-only log: the command run instead, e.g. "vm_stat". */
  readonly command: string;
  /** For a failing call: what cannot be read, e.g. "the memory counters". */
  readonly what: string;
  readonly log: Logger;
}

type AddonFunctions = Readonly<Record<string, unknown>>;

/**
 * One addon call that stands in for a command; `R` is what the function returns (unchecked: the
 * caller's decoder checks it). If the addon cannot make the call at all (not built, built before
 * the function existed, not macOS), the source runs its command from then on and this is logged
 * once: at warn on a Mac, where it costs a process per collection and a rebuild fixes it; at debug
 * elsewhere, where the command is the only way. Once the addon has answered, a failing call is the
 * collection's failure, never silently replaced by the command.
 */
export class AddonReader<R> {
  readonly #spec: AddonReadSpec;
  /** The addon's function once it answered; null once it could not, and the command is run instead. */
  #call: (() => R) | null | undefined;

  constructor(spec: AddonReadSpec) {
    this.#spec = spec;
  }

  /** The addon's answer, or undefined when the source has to run its command instead. */
  read(): R | undefined {
    const spec = this.#spec;
    if (this.#call === null) return undefined;
    let call = this.#call;
    let answer: R;
    try {
      if (call === undefined) {
        const addon = loadNativeAddon<AddonFunctions>(spec.source, spec.addonPath, spec.notOnMacos);
        const fn = addon[spec.fn];
        if (typeof fn !== 'function') return this.#fallBack(`this build of the addon is older than the agent: ${spec.fn} is not a function`);
        const args = spec.args ?? [];
        call = () => (fn as (...a: unknown[]) => R).apply(addon, [...args]);
      }
      answer = call();
    } catch (error) {
      const e = error as Error & { code?: string };
      if (this.#call === undefined && (error instanceof SourceError || e.code === 'HOST_UNSUPPORTED')) return this.#fallBack(e.message);
      throw new SourceError(spec.source, 'failed', `${e.message} — ${spec.what} cannot be read; if this persists, run \`macos-agent capture DIR\` and attach DIR to an issue`, { cause: error });
    }
    if (this.#call === undefined) {
      this.#call = call;
      spec.log.debug({ source: spec.source }, `reading ${spec.what} with ${spec.reads} (no ${spec.command} process per collection)`);
    }
    return answer;
  }

  #fallBack(reason: string): undefined {
    const spec = this.#spec;
    this.#call = null;
    const onMac = process.platform === 'darwin';
    spec.log[onMac ? 'warn' : 'debug']({ source: spec.source, reason },
      `running ${spec.command} every collection: the addon cannot use ${spec.reads} (${reason})${onMac ? ' — rebuild the addon (npm rebuild in the agent\'s folder) to stop that' : ''}`);
    return undefined;
  }
}
