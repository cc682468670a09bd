// What the agent needs from an SMC, whether the live one (through the addon) or a recorded dump
// standing in for it in replay, and the one-time discovery of its keys.

export interface SmcKeyInfo {
  /** The key's four characters, e.g. `TC0P`. */
  readonly key: string;
  /** The type FourCC, e.g. `sp78`, `flt ` (trailing space included). */
  readonly type: string;
  readonly size: number;
  readonly attributes: number;
}

export type SmcRead =
  | { readonly ok: true; readonly bytes: Uint8Array }
  /** `vanished`: the SMC says the key does not exist (any more); `failed`: any other error. */
  | { readonly ok: false; readonly reason: 'vanished' | 'failed'; readonly message: string };

/** The raw primitives of an SMC. Every method is synchronous: an SMC call takes microseconds. */
export interface SmcBackend {
  /** What is being read, for messages: the IOKit service, or the replayed file. */
  readonly description: string;
  /** Number of keys the SMC lists (`#KEY`). */
  keyCount(): number;
  /** The key at an index, or undefined when the SMC has none there. */
  keyAtIndex(index: number): string | undefined;
  /** Type, size and attributes of a key, or undefined when the SMC does not know it. */
  keyInfo(key: string): SmcKeyInfo | undefined;
  read(info: SmcKeyInfo): SmcRead;
  close(): void;
}

export interface SmcDiscovery {
  readonly keys: readonly SmcKeyInfo[];
  /** Keys listed by index whose info could not be read, with why. */
  readonly failures: readonly { key: string; message: string }[];
  /** Set when `#KEY` declared more keys than any SMC has: says how many were walked instead. */
  readonly clamped?: string;
}

/** Real SMCs list a few thousand keys; a larger `#KEY` (a corrupt or hostile dump) would walk for ever. */
export const MAX_SMC_KEYS = 10_000;

/**
 * Walks the SMC's key list by index (`#KEY` entries) and reads the info of every key that
 * `wanted` accepts (all by default). Done once at start; the cycles then read only chosen keys.
 */
export function discoverKeys(backend: SmcBackend, wanted: (key: string) => boolean = () => true): SmcDiscovery {
  const keys: SmcKeyInfo[] = [];
  const failures: { key: string; message: string }[] = [];
  const declared = backend.keyCount();
  const count = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, MAX_SMC_KEYS) : 0;
  const clamped = count === declared ? undefined
    : `${backend.description} declares ${declared} keys (#KEY); only the first ${count} are read — real SMCs list a few thousand`;
  for (let index = 0; index < count; index++) {
    const key = backend.keyAtIndex(index);
    if (key === undefined || !wanted(key)) continue;
    try {
      const info = backend.keyInfo(key);
      if (info === undefined) failures.push({ key, message: `key ${key} is listed at index ${index} but the SMC does not know it` });
      else keys.push(info);
    } catch (error) {
      failures.push({ key, message: (error as Error).message });
    }
  }
  return { keys, failures, ...(clamped !== undefined ? { clamped } : {}) };
}
