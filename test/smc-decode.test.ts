import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSmcValue, numericSmcValue } from '../agent/smc/decode.js';
import { parseSmcDump, type SmcDump } from '../agent/parsers/smc-dump.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'smc');
const read = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const dump = (name: string): SmcDump => parseSmcDump(read(name));
const SMCREAD_DUMPS = readdirSync(FIXTURES).filter((f) => f.includes('smcread'));
// MSPT is `ui8 ` with 5 bytes, hSta `ui8 ` with 3, MSSN `ui16` with 1 (checked in the dump by hand).
const MBP11_MISMATCHED = ['MSPT', 'hSta', 'MSSN'];
const MBP11_FIRST_REASON = 'type "ui8 " takes 1 bytes, the key has 5';

function valueOf(d: SmcDump, key: string): number | undefined {
  const e = d.entries.find((x) => x.key === key);
  return e?.bytes === undefined ? undefined : numericSmcValue(e.type, e.bytes);
}

describe('decoding against the M1 smc -l fragments (the tool printed its decoded value)', () => {
  const entries = ['applesilicon-m1-smc-l-head-FRAGMENT-stats181.txt', 'applesilicon-m1-smc-l-tail-FRAGMENT-stats181.txt']
    .flatMap((f) => dump(f).entries);

  it('decodes flt little-endian: 00 00 48 43 is 200.0', () => {
    expect(decodeSmcValue('flt ', Uint8Array.from([0x00, 0x00, 0x48, 0x43]))).toEqual({ kind: 'number', value: 200 });
  });

  it('matches every numeric value the tool printed (it prints whole numbers)', () => {
    const shown = entries.filter((e) => e.shownValue !== undefined && /^-?\d+$/.test(e.shownValue));
    expect(shown.map((e) => e.key)).toEqual(expect.arrayContaining(['#KEY', 'AC-I', 'uuPw', 'uuTo', 'uuUR', 'voF0', 'xDPE', 'xPPT', 'xUPT']));
    for (const e of shown) {
      const decoded = numericSmcValue(e.type, e.bytes!);
      expect(decoded, `${e.key} ${e.type}`).toBeDefined();
      expect(Math.abs(decoded! - Number(e.shownValue)), `${e.key} shown ${e.shownValue}, decoded ${decoded}`).toBeLessThan(1);
    }
    expect(shown.length).toBe(22);
  });

  it('gives the exact values of the fragment', () => {
    const v = (key: string) => { const e = entries.find((x) => x.key === key)!; return numericSmcValue(e.type, e.bytes!); };
    expect(v('#KEY')).toBe(863);
    expect(v('uuTo')).toBe(-100);
    expect(v('uuUR')).toBe(2350);
    expect(v('voF0')).toBe(1700);
    expect(v('xDPE')).toBeCloseTo(0.3339, 4);
    expect(decodeSmcValue('hex_', entries.find((x) => x.key === 'ACSt')!.bytes!)).toEqual({ kind: 'bytes', hex: '07000000' });
    expect(decodeSmcValue('flag', entries.find((x) => x.key === 'AC-S')!.bytes!)).toEqual({ kind: 'flag', value: true });
  });
});

describe('decoding the Intel smcread dumps', () => {
  it.each(SMCREAD_DUMPS)('%s: #KEY decodes to the "Public keys (N)" count the tool printed', (file) => {
    const declared = Number(/Public keys \((\d+)\)/.exec(read(file))![1]);
    expect(valueOf(dump(file), '#KEY')).toBe(declared);
  });

  it.each(SMCREAD_DUMPS)('%s: FNum decodes to the number of fans that have a speed key', (file) => {
    const d = dump(file);
    const fans = d.entries.filter((e) => /^F\dAc$/.test(e.key)).length;
    expect(valueOf(d, 'FNum')).toBe(fans);
  });

  it.each(SMCREAD_DUMPS)('%s: every temperature, fan and power key of a numeric type decodes', (file) => {
    const undecoded = dump(file).entries
      .filter((e) => e.bytes !== undefined && /^(T|F\d|PSTR)/.test(e.key) && /^(sp|fp|flt |ioft|ui|si)/.test(e.type))
      .filter((e) => numericSmcValue(e.type, e.bytes!) === undefined)
      .map((e) => e.key);
    expect(undecoded).toEqual([]);
  });

  it('reports keys whose size does not fit their type as unknown (real SMCs have some)', () => {
    const mismatched = dump('intel-MacBookPro11_1-smcread-dump-virtualsmc.txt').entries
      .filter((e) => e.bytes !== undefined)
      .map((e) => ({ key: e.key, decoded: decodeSmcValue(e.type, e.bytes!) }))
      .filter((x) => x.decoded.kind === 'unknown' && x.decoded.reason.includes('takes'));
    expect(mismatched.map((x) => x.key)).toEqual(MBP11_MISMATCHED);
    expect(mismatched[0]!.decoded).toEqual({ kind: 'unknown', reason: MBP11_FIRST_REASON });
  });

  it('decodes each numeric type to the value worked out by hand from the raw bytes', () => {
    const mbp16 = dump('intel-MacBookPro16_1-smcread-dump-virtualsmc.txt');
    expect(valueOf(mbp16, 'TC0P')).toBe(38.1875); // sp78 2630: 0x26 + 0x30/256
    expect(valueOf(mbp16, 'F0Mn')).toBe(1836); // flt 0080E544 -> 0x44E58000
    expect(valueOf(mbp16, 'F0Ac')).toBeCloseTo(1849.882, 3); // flt 3A3CE744
    expect(valueOf(mbp16, 'PSTR')).toBeCloseTo(6.9511, 4); // flt 606FDE40 -> 0x40DE6F60
    expect(valueOf(mbp16, 'AC-B')).toBe(-1); // si8 FF
    expect(valueOf(mbp16, 'MSSN')).toBe(-128); // si8 80 (a hidden key)
    expect(valueOf(mbp16, 'AC-I')).toBe(19); // ui16 0013
    expect(valueOf(mbp16, 'F0AH')).toBe(5971); // spf0 1753: signed, no fraction bits
    const air = dump('intel-MacBookAir8_1-smcread-dump-virtualsmc.txt');
    expect(valueOf(air, 'F0Mx')).toBe(8000); // flt 0000FA45 -> 0x45FA0000
    const mbp11 = dump('intel-MacBookPro11_1-smcread-dump-virtualsmc.txt');
    expect(valueOf(mbp11, 'F0Ac')).toBe(1298); // fpe2 1448: 5192 / 4
    expect(valueOf(mbp11, 'F0Mx')).toBe(6199); // fpe2 60DC
    expect(valueOf(mbp11, 'PSTR')).toBe(13.90625); // sp78 0DE8
    expect(valueOf(dump('intel-MacBookPro5_5-smcread-dump-virtualsmc.txt'), 'F0Ac')).toBe(2419.25); // fpe2 25CD
    expect(valueOf(dump('intel-iMac19_1-smcread-dump-virtualsmc.txt'), 'PSTR')).toBe(61.59375); // sp96 0F66: 3942 / 64
    expect(valueOf(dump('intel-MacBookPro16_3-smcread-dump-virtualsmc.txt'), 'TDFR')).toBe(36.1484375); // ioft 0026240000000000 LE / 65536
  });

  it('reads ioft as signed: c4 4e ea ff ff ff ff ff is -21.69 (handmade bytes; no published dump holds a negative ioft)', () => {
    const bytes = Uint8Array.from([0xc4, 0x4e, 0xea, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(decodeSmcValue('ioft', bytes)).toEqual({ kind: 'number', value: -1421628 / 65536 });
    expect(numericSmcValue('ioft', bytes)).toBeCloseTo(-21.69, 2);
  });

  it('reads ch8* as text', () => {
    const e = dump('intel-MacBookPro16_1-smcread-dump-virtualsmc.txt').entries.find((x) => x.key === 'OSK0')!;
    expect(decodeSmcValue(e.type, e.bytes!)).toEqual({ kind: 'text', value: 'ourhardworkbythesewordsguardedpl' });
  });

  it('reports types it does not know as unknown, never guessed', () => {
    const d = dump('intel-MacBookPro16_1-smcread-dump-virtualsmc.txt');
    const unknownTypes = new Set(d.entries
      .filter((e) => e.bytes !== undefined && decodeSmcValue(e.type, e.bytes).kind === 'unknown')
      .map((e) => e.type));
    expect([...unknownTypes].sort()).toEqual(['ui64', '{jst']);
    expect(decodeSmcValue('{jst', Uint8Array.from([1, 2]))).toEqual({ kind: 'unknown', reason: 'unknown type "{jst"' });
    expect(decodeSmcValue('ui8\0', Uint8Array.from([1]))).toEqual({ kind: 'unknown', reason: 'unknown type "ui8\\u0000"' });
  });
});

describe('decoding edge cases', () => {
  it('sign-extends signed integers and fixed point', () => {
    expect(numericSmcValue('si16', Uint8Array.from([0xff, 0xfe]))).toBe(-2);
    expect(numericSmcValue('si32', Uint8Array.from([0x80, 0, 0, 0]))).toBe(-(2 ** 31));
    expect(numericSmcValue('ui32', Uint8Array.from([0xff, 0xff, 0xff, 0xff]))).toBe(2 ** 32 - 1);
    expect(numericSmcValue('sp78', Uint8Array.from([0x81, 0x00]))).toBe(-127);
    expect(numericSmcValue('fp88', Uint8Array.from([0x81, 0x80]))).toBe(129.5);
  });

  it('never decodes a value whose size does not fit its type', () => {
    expect(decodeSmcValue('sp78', Uint8Array.from([0x26]))).toEqual({ kind: 'unknown', reason: 'type "sp78" takes 2 bytes, the key has 1' });
    expect(decodeSmcValue('flt ', Uint8Array.from([0, 0, 0x48]))).toEqual({ kind: 'unknown', reason: 'type "flt " takes 4 bytes, the key has 3' });
    expect(numericSmcValue('ui16', Uint8Array.from([1, 2, 3]))).toBeUndefined();
  });
});
