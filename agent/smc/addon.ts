import { loadNativeAddon, type NativeAddonOptions } from '../native/addon.js';
import { SourceError } from '../sources/source.js';
import type { SmcBackend, SmcKeyInfo, SmcRead } from './keys.js';

/** The native addon's connection (native/binding.cc). */
interface SmcAddonConnection {
  readonly service: string;
  keyCount(): number;
  keyAtIndex(index: number): string | undefined;
  keyInfo(key: string): { type: string; size: number; attributes: number } | undefined;
  read(key: string, size: number): Buffer | undefined;
  close(): void;
}

interface SmcAddon {
  readonly SmcConnection: new () => SmcAddonConnection;
}

/** An error thrown by the addon: `code` says what failed, `smcCode` is the raw SMC result or kern_return_t. */
interface SmcAddonError extends Error {
  readonly code?: string;
  readonly smcCode?: number;
}

export const SMC_ONLY_ON_MACOS =
  'SMC is only available on macOS: temperatures, fans and system power are not collected here; disable the smc source (--set sources.smc.enabled=false) to silence this';

/** SMC result bytes with a known meaning, for messages. */
const SMC_RESULTS: Readonly<Record<number, string>> = {
  0x84: 'key not found',
  0x85: 'key not readable',
  0x87: 'key size mismatch',
  0xb8: 'key index out of range',
};

function describeAddonError(error: unknown): string {
  const e = error as SmcAddonError;
  const meaning = e.code === 'SMC_RESULT' && e.smcCode !== undefined ? SMC_RESULTS[e.smcCode] : undefined;
  return meaning !== undefined ? `${e.message} (${meaning})` : e.message;
}

class NativeSmc implements SmcBackend {
  readonly #connection: SmcAddonConnection;
  readonly description: string;

  constructor(connection: SmcAddonConnection) {
    this.#connection = connection;
    this.description = `IOKit service ${connection.service}`;
  }

  keyCount(): number {
    return this.#connection.keyCount();
  }

  keyAtIndex(index: number): string | undefined {
    return this.#connection.keyAtIndex(index);
  }

  keyInfo(key: string): SmcKeyInfo | undefined {
    const info = this.#connection.keyInfo(key);
    return info === undefined ? undefined : { key, ...info };
  }

  read(info: SmcKeyInfo): SmcRead {
    try {
      const bytes = this.#connection.read(info.key, info.size);
      if (bytes === undefined) return { ok: false, reason: 'vanished', message: `key ${info.key} is no longer known to the SMC` };
      return { ok: true, bytes };
    } catch (error) {
      return { ok: false, reason: 'failed', message: describeAddonError(error) };
    }
  }

  close(): void {
    this.#connection.close();
  }
}

export type OpenSmcOptions = NativeAddonOptions;

/** Opens the live SMC through the addon, or throws a SourceError that says what to do. */
export function openNativeSmc(opts: OpenSmcOptions = {}): SmcBackend {
  const addon = loadNativeAddon<SmcAddon>('smc', opts.addonPath, SMC_ONLY_ON_MACOS);
  try {
    return new NativeSmc(new addon.SmcConnection());
  } catch (error) {
    const e = error as SmcAddonError;
    if (e.code === 'SMC_UNSUPPORTED') throw new SourceError('smc', 'missing', SMC_ONLY_ON_MACOS);
    if (e.code === 'SMC_NO_SERVICE') {
      throw new SourceError('smc', 'missing', `${e.message}: this Mac exposes no SMC to user space (a virtual machine?); disable the smc source to silence this`);
    }
    throw new SourceError('smc', 'failed', `${describeAddonError(e)} — SMC reads need no root; check that nothing (sandbox, MDM profile) blocks IOKit user clients`, { cause: error });
  }
}
