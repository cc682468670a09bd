import type { SmcDump, SmcDumpEntry } from '../parsers/smc-dump.js';
import { numericSmcValue } from './decode.js';
import type { SmcBackend, SmcKeyInfo, SmcRead } from './keys.js';

/**
 * A recorded dump standing in for the SMC (`--replay`): answers the same primitives from the
 * parsed table, so a published dump replays as that Mac. Like the real SMC, it lists as many
 * keys by index as `#KEY` says (smcread's "hidden" keys come after them and are not listed).
 */
export class RecordedSmc implements SmcBackend {
  readonly description: string;
  readonly #entries: readonly SmcDumpEntry[];
  readonly #byKey: ReadonlyMap<string, SmcDumpEntry>;

  constructor(dump: SmcDump, description: string) {
    this.description = description;
    this.#entries = dump.entries;
    this.#byKey = new Map(dump.entries.map((e) => [e.key, e]));
  }

  keyCount(): number {
    const count = this.#byKey.get('#KEY');
    const declared = count?.bytes !== undefined ? numericSmcValue(count.type, count.bytes) : undefined;
    return declared ?? this.#entries.length;
  }

  keyAtIndex(index: number): string | undefined {
    return this.#entries[index]?.key;
  }

  keyInfo(key: string): SmcKeyInfo | undefined {
    const e = this.#byKey.get(key);
    return e === undefined ? undefined : { key, type: e.type, size: e.size, attributes: e.attributes ?? 0 };
  }

  read(info: SmcKeyInfo): SmcRead {
    const e = this.#byKey.get(info.key);
    if (e === undefined) return { ok: false, reason: 'vanished', message: `key ${info.key} is not in ${this.description}` };
    if (e.bytes === undefined) return { ok: false, reason: 'failed', message: `key ${info.key} in ${this.description} (line ${e.line}): ${e.error ?? 'no value'}` };
    return { ok: true, bytes: e.bytes };
  }

  close(): void {}
}
