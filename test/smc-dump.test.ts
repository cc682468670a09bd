import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../agent/config.js';
import { createSmcSource } from '../agent/sources/smc.js';
import { parseSmcDump } from '../agent/parsers/smc-dump.js';
import { dumpJson, formatDumpText, readFullDump } from '../agent/smc/dump.js';
import { RecordedSmc } from '../agent/smc/recorded.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'smc');
const read = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const MBP16_1 = 'intel-MacBookPro16_1-smcread-dump-virtualsmc.txt';

describe('parseSmcDump: smcread dumps', () => {
  it.each(readdirSync(FIXTURES).filter((f) => f.includes('smcread')))('%s: every key line is an entry, nothing is left over', (file) => {
    const text = read(file);
    const d = parseSmcDump(text);
    expect(d.format).toBe('smcread');
    expect(d.unparsed).toEqual([]);
    expect(d.entries.length).toBe(text.split('\n').filter((l) => l.startsWith('[')).length);
  });

  it('reads key, type, size, attributes and bytes; unreadable keys keep the reason', () => {
    const d = parseSmcDump(read(MBP16_1));
    expect(d.entries.find((e) => e.key === 'TC0P')).toMatchObject({ type: 'sp78', size: 2, attributes: 0xc0, bytes: Uint8Array.from([0x26, 0x30]), line: 796 });
    expect(d.entries.find((e) => e.key === 'AC-E')).toMatchObject({ type: 'flag', size: 1, attributes: 0x50, bytes: undefined, error: 'NOT READABLE, code 85' });
    expect(d.entries.find((e) => e.key === 'ACKG')).toMatchObject({ size: 118, bytes: undefined, error: 'NOT READABLE, code FF' });
    expect(d.entries.filter((e) => e.key === '#KEY')).toHaveLength(1);
  });

  it('takes the type from the hex type code, where smcread prints a NUL as "?"', () => {
    const d = parseSmcDump(read('intel-MacBookPro11_1-smcread-dump-virtualsmc.txt'));
    expect(d.entries.find((e) => e.key === 'zCRS')).toMatchObject({ type: 'ui8\0', error: 'NOT READABLE' });
    expect(d.entries.find((e) => e.key === 'F0Ac')?.type).toBe('fpe2');
  });
});

describe('parseSmcDump: smc -l (the M1 fragments)', () => {
  it('reads the keys, the bytes and the value the tool printed, and skips the shell prompt', () => {
    const d = parseSmcDump(read('applesilicon-m1-smc-l-head-FRAGMENT-stats181.txt'));
    expect(d.format).toBe('smc -l');
    expect(d.unparsed).toEqual([]);
    expect(d.entries).toHaveLength(15);
    expect(d.entries[0]).toMatchObject({ key: '#KEY', type: 'ui32', size: 4, attributes: undefined, bytes: Uint8Array.from([0, 0, 3, 0x5f]), shownValue: '863' });
    expect(d.entries.find((e) => e.key === 'ACKG')?.size).toBe(118);
    const tail = parseSmcDump(read('applesilicon-m1-smc-l-tail-FRAGMENT-stats181.txt'));
    expect(tail.entries.find((e) => e.key === 'uuPw')).toMatchObject({ type: 'flt ', bytes: Uint8Array.from([0, 0, 0x48, 0x43]), shownValue: '200' });
    expect(tail.entries.find((e) => e.key === 'w000')).toMatchObject({ type: 'si32', shownValue: undefined });
  });
});

describe('the agent\'s own dump format', () => {
  it('writes smcread lines with the decoded value, and reads back the same table', () => {
    const original = parseSmcDump(read(MBP16_1));
    const text = formatDumpText(readFullDump(new RecordedSmc(original, 'MacBookPro16,1 dump')));
    expect(text.split('\n')[0]).toBe('# macos-agent smc dump: 897 keys from MacBookPro16,1 dump');
    expect(text).toContain('[TC0P] type [sp78] 73703738 len [ 2] attr [C0] -> 2630 = 38.1875\n');
    expect(text).toContain('[AC-C] type [flag] 666C6167 len [ 1] attr [C0] -> 00 = false\n');
    expect(text).toContain('[ACKG] type [hex_] 6865785F len [118] attr [54] -> NOT READABLE, 118 bytes (one SMC read returns 1 to 32)\n');
    const again = parseSmcDump(text);
    expect(again.format).toBe('macos-agent');
    expect(again.unparsed).toEqual([]);
    const shape = (e: { key: string; type: string; size: number; attributes: number | undefined; bytes: Uint8Array | undefined }) =>
      [e.key, e.type, e.size, e.attributes, e.bytes === undefined ? null : Buffer.from(e.bytes).toString('hex')];
    expect(again.entries.map(shape)).toEqual(original.entries.slice(0, 897).map(shape));
    expect(again.entries.find((e) => e.key === 'TC0P')?.shownValue).toBe('38.1875');
  });

  it('gives every key as JSON with raw hex and decoded value', () => {
    const json = dumpJson(readFullDump(new RecordedSmc(parseSmcDump(read(MBP16_1)), 'dump'))) as { keys: Record<string, unknown>[] };
    expect(json.keys).toHaveLength(897);
    expect(json.keys.find((k) => k['key'] === 'TC0P')).toEqual({ key: 'TC0P', type: 'sp78', size: 2, attributes: 0xc0, raw: '2630', value: 38.1875 });
    expect(json.keys.find((k) => k['key'] === 'AC-E')).toEqual({
      key: 'AC-E', type: 'flag', size: 1, attributes: 0x50, raw: null, value: null,
      error: 'NOT READABLE, key AC-E in dump (line 6): NOT READABLE, code 85',
    });
  });
});

describe('parseSmcDump: bad input (hand-made)', () => {
  it('returns no entry for empty text or garbage, listing the lines it did not understand', () => {
    expect(parseSmcDump('')).toEqual({ format: 'smcread', entries: [], unparsed: [] });
    const d = parseSmcDump('hello\n\u0000\u00ff garbage\n[TC0P] type [sp78]\n');
    expect(d.entries).toEqual([]);
    expect(d.unparsed.map((u) => u.line)).toEqual([1, 2, 3]);
  });

  it('keeps a key whose bytes were cut short, without a value', () => {
    const d = parseSmcDump('[TC0P] type [sp78] 73703738 len [ 2] attr [C0] -> 26\n');
    expect(d.entries[0]).toMatchObject({ key: 'TC0P', bytes: undefined, error: '1 bytes shown for a key of 2' });
  });
});

describe('the smc source replaying DIR/smc.txt', () => {
  const replay = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'macos-agent-smc-replay-'));
    writeFileSync(join(dir, 'smc.txt'), text);
    const parseErrors: Error[] = [];
    const source = createSmcSource({
      config: loadConfig({ env: {} }).config, mode: 'once', log: pino({ level: 'silent' }), replayDir: dir,
      onParseError: (_s, e) => parseErrors.push(e),
    });
    return { source, parseErrors, dir };
  };

  it('fails with a parse error that names the file when it holds no key (hand-made garbage)', async () => {
    const { source, dir } = replay('not an smc dump\n\u0000\u0001\n');
    await expect(source.collect()).rejects.toMatchObject({
      kind: 'parse',
      message: `${dir}/smc.txt holds no SMC key line (expected a macos-agent smc dump, smcread or smc -l output)`,
    });
  });

  it('counts lines it did not understand as a parse error and still reports the keys it read', async () => {
    const lines = read(MBP16_1).split('\n');
    lines.splice(10, 0, 'a line that is not a key');
    const { source, parseErrors } = replay(lines.join('\n'));
    const points = await source.collect();
    expect(points.find((p) => p.metric === 'temperature' && p.attributes['hw.id'] === 'TC0P')?.value).toBe(38.1875);
    expect(parseErrors.map((e) => e.message)).toEqual([expect.stringMatching(/smc\.txt: 1 line\(s\) not understood, first at line 11: "a line that is not a key"$/)]);
  });
});
