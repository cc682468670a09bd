// Reading typed values out of I/O Registry properties (agent/parsers/ioreg.ts's value model, which
// both the ioreg text and the native addon produce): a value of the wrong type or out of range is
// reported with the property's name, never guessed.

import type { IoregDict, IoregValue } from './ioreg.js';

export type Reject = (reason: string) => void;

export function isDict(v: IoregValue | undefined): v is IoregDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** A property that must be a whole count that a double holds exactly (every counter we read). */
export function countOf(dict: IoregDict, key: string, where: string, reject: Reject): number | undefined {
  const v = dict[key];
  if (v === undefined) {
    reject(`${where} has no "${key}"`);
    return undefined;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  reject(`${where} "${key}" = ${describe(v)} is not a count (expected a whole number from 0 to 2^53)`);
  return undefined;
}

/**
 * A property the driver keeps as a signed 64-bit integer, which ioreg and the registry both hand
 * out as its unsigned bit pattern: 18446744073709550616 is -1000.
 */
export function signedOf(dict: IoregDict, key: string, where: string, reject: Reject): number | undefined {
  const v = dict[key];
  if (v === undefined) {
    reject(`${where} has no "${key}"`);
    return undefined;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'bigint' && v >= 2n ** 63n && v < 2n ** 64n) return Number(v - 2n ** 64n);
  reject(`${where} "${key}" = ${describe(v)} is not a 64-bit integer`);
  return undefined;
}

export function booleanOf(dict: IoregDict, key: string): boolean | undefined {
  const v = dict[key];
  return typeof v === 'boolean' ? v : undefined;
}

/** `o` without its undefined properties: a value that was not read is absent, never undefined. */
export function definedOnly<T extends object>(o: { readonly [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function describe(v: IoregValue): string {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return `<${Buffer.from(v).toString('hex')}>`;
  if (isDict(v)) return 'a dictionary';
  if (Array.isArray(v)) return 'an array';
  return JSON.stringify(v);
}
