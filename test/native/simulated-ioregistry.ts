// The simulated I/O Registry's table (test/native/simulated_ioregistry.cc), written from registry
// entries parsed out of a real `ioreg -l` capture, so the addon path and the ioreg text path can
// be compared on the same registry.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IoregEntry, IoregValue } from '../../agent/parsers/ioreg.js';

function hex(text: string | Uint8Array): string {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text);
  return bytes.length === 0 ? '-' : bytes.toString('hex');
}

function valueTokens(v: IoregValue, out: string[]): void {
  if (typeof v === 'string') out.push('s', hex(v));
  else if (typeof v === 'bigint') out.push('n', v.toString());
  else if (typeof v === 'number') out.push(Number.isInteger(v) ? 'n' : 'f', String(v));
  else if (typeof v === 'boolean') out.push('b', v ? '1' : '0');
  else if (v instanceof Uint8Array) out.push('x', hex(v));
  else if (Array.isArray(v)) {
    out.push('a', String(v.length));
    for (const item of v) valueTokens(item, out);
  } else {
    const entries = Object.entries(v);
    out.push('d', String(entries.length));
    for (const [key, item] of entries) {
      out.push(hex(key));
      valueTokens(item, out);
    }
  }
}

export interface RegistryTableOptions {
  /** The superclasses an entry also matches, as IOServiceMatching matches subclasses. */
  readonly superclasses?: (entry: IoregEntry) => readonly string[];
  /** IOServiceGetMatchingServices fails with this kern_return_t. */
  readonly failure?: number;
}

/** What IOServiceMatching("IOAccelerator") relies on: Apple Silicon's AGX driver classes derive from it. */
export function agxSuperclasses(entry: IoregEntry): string[] {
  return entry.className.startsWith('AGXAccelerator') ? ['IOAccelerator'] : [];
}

/** Writes the whole tree (every entry, every property) as the simulator's table; returns its path. */
export function writeRegistryTable(dir: string, roots: readonly IoregEntry[], opts: RegistryTableOptions = {}): string {
  const lines: string[] = [];
  let next = 0;
  const walk = (entry: IoregEntry, parent: number): void => {
    const index = next++;
    const supers = opts.superclasses?.(entry) ?? [];
    lines.push(['entry', String(parent), hex(entry.className), hex(entry.name), String(supers.length), ...supers.map(hex)].join(' '));
    for (const [key, value] of Object.entries(entry.properties)) {
      const tokens = ['prop', hex(key)];
      valueTokens(value, tokens);
      lines.push(tokens.join(' '));
    }
    for (const child of entry.children) walk(child, index);
  };
  for (const root of roots) walk(root, -1);
  if (opts.failure !== undefined) lines.push(`fail ${opts.failure}`);
  const path = join(dir, 'ioregistry-table.txt');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Points this process's simulator at a table and a fresh log; returns a reader of the log. */
export function useRegistrySimulation(dir: string, table: string): { calls: () => string[] } {
  const log = join(dir, `ioregistry-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(log, '');
  process.env['SIMULATED_IOREGISTRY'] = table;
  process.env['SIMULATED_IOREGISTRY_LOG'] = log;
  return { calls: () => readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') };
}
