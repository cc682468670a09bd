// The addon's readRegistry answer (native/ioregistry_iokit.cc) as registry entries: the same model
// agent/parsers/ioreg.ts builds from ioreg's text, so each source has one decoder for both.
// The addon hands out raw values only: CFString as string, CFNumber as number (bigint past 2^53,
// as ioreg prints them: unsigned), CFBoolean as boolean, CFData as a Buffer, CFArray as an array,
// CFDictionary as an object. This checks that shape and nothing more.

import type { IoregDict, IoregEntry, IoregValue } from '../parsers/ioreg.js';

/** What readRegistry returns, unchecked. */
export type RegistryAnswer = unknown;

export class RegistryAnswerError extends Error {}

function valueOf(v: unknown, path: string): IoregValue {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
  if (v instanceof Uint8Array) return Uint8Array.from(v);
  if (Array.isArray(v)) return v.map((item, i) => valueOf(item, `${path}[${i}]`));
  if (typeof v === 'object' && v !== null) return dictOf(v, path);
  throw new RegistryAnswerError(`readRegistry answered ${typeof v} at ${path}, not a registry value`);
}

function dictOf(v: object, path: string): IoregDict {
  const dict = Object.create(null) as Record<string, IoregValue>;
  for (const [key, item] of Object.entries(v)) dict[key] = valueOf(item, `${path}.${key}`);
  return dict;
}

function entryOf(v: unknown, path: string): IoregEntry {
  if (typeof v !== 'object' || v === null) throw new RegistryAnswerError(`readRegistry answered ${typeof v} at ${path}, not an entry`);
  const raw = v as { className?: unknown; name?: unknown; properties?: unknown; children?: unknown };
  if (typeof raw.className !== 'string' || typeof raw.name !== 'string' || typeof raw.properties !== 'object' || raw.properties === null) {
    throw new RegistryAnswerError(`readRegistry answered an entry without className, name and properties at ${path}`);
  }
  const children = Array.isArray(raw.children) ? raw.children.map((c, i) => entryOf(c, `${path}.children[${i}]`)) : [];
  return { name: raw.name, className: raw.className, properties: dictOf(raw.properties, `${path}.properties`), children };
}

/** The matched entries, each with its children, as IoregEntry roots. */
export function registryEntriesOf(answer: RegistryAnswer): IoregEntry[] {
  if (!Array.isArray(answer)) throw new RegistryAnswerError(`readRegistry answered ${typeof answer}, not an array of entries`);
  return answer.map((e, i) => entryOf(e, `[${i}]`));
}
