// The ioreg text parser, on a real full `ioreg -l` of an M1 MacBook Air (gzipped in
// test/fixtures/ioreg/) and on hand-made edge cases.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IOREG_MAX_BYTES, IoregInputError, ioregEntries, parseIoreg, type IoregEntry } from '../agent/parsers/ioreg.js';

const CAPTURE = join(import.meta.dirname, 'fixtures', 'ioreg', 'm1-mba10_1-macos11.0.1-20B29-ioreg-l-full-ThomasKaiser.txt.gz');
const FULL = gunzipSync(readFileSync(CAPTURE)).toString('latin1');
const full = parseIoreg(FULL);
const all = [...ioregEntries(full.roots)];
const byClass = (className: string): IoregEntry => all.find((e) => e.className === className)!;

describe('parseIoreg on a full `ioreg -l` (MacBookAir10,1, macOS 11.0.1)', () => {
  it('reads every entry into one tree under Root', () => {
    expect(full.roots.map((r) => [r.name, r.className])).toEqual([['Root', 'IORegistryEntry']]);
    expect(all).toHaveLength(FULL.split('+-o ').length - 1);
    expect(all).toHaveLength(1555);
  });

  it('reports only the values the publisher redacted as <---> (not ioreg syntax), by line', () => {
    expect(full.malformed.map((m) => m.line)).toEqual([19, 34, 35, 51, 57, 91, 97, 1309]);
    for (const m of full.malformed) expect(FULL.split('\n')[m.line - 1]).toContain('= <--->');
  });

  it('nests entries by their column: the IOBlockStorageDriver\'s IOMedia child holds the BSD name', () => {
    const driver = byClass('IOBlockStorageDriver');
    expect(driver.children.map((c) => [c.name, c.className, c.properties['BSD Name']])).toEqual([['APPLE SSD AP0512Q Media', 'IOMedia', 'disk0']]);
    expect(driver.properties['Statistics']).toEqual({
      'Operations (Write)': 201498, 'Latency Time (Write)': 0, 'Bytes (Read)': 14160125952, 'Errors (Write)': 0,
      'Total Time (Read)': 186691814685, 'Latency Time (Read)': 0, 'Retries (Read)': 0, 'Errors (Read)': 0,
      'Total Time (Write)': 17152832587, 'Bytes (Write)': 3637972992, 'Operations (Read)': 615801, 'Retries (Write)': 0,
    });
  });

  it('reads numbers, Yes/No, strings, data, arrays, sets and nested dictionaries', () => {
    const battery = byClass('AppleSmartBattery').properties;
    expect(battery['Voltage']).toBe(12963);
    expect(battery['IsCharging']).toBe(false);
    expect(battery['ExternalConnected']).toBe(true);
    expect(battery['DeviceName']).toBe('bq20z451');
    expect(battery['ManufacturerData']).toEqual(Uint8Array.from(Buffer.from('00000000100200012735000003313731033030320341544c003c000000000000', 'hex')));
    const adapter = battery['AdapterDetails'] as Record<string, unknown>;
    expect(adapter['Name']).toBe('30W USB-C Power Adapter');
    // Past 2^53 a count stays exact, as a bigint (ioreg prints 64 bits unsigned).
    expect(adapter['FamilyCode']).toBe(18446744073172697098n);
    expect((adapter['UsbHvcMenu'] as unknown[])[3]).toEqual({ Index: 3, MaxCurrent: 65535, MaxVoltage: 65059 });
    const gpu = byClass('AGXAcceleratorG13G_B0').properties;
    expect(gpu['IONameMatch']).toEqual(['gpu,t8103']);
    expect(gpu['SurfaceList']).toEqual([]);
    expect(gpu['vendor-id']).toEqual(Uint8Array.of(0x6b, 0x10, 0, 0));
    const owners = all.map((e) => e.properties['Owners']).find((o) => o !== undefined);
    expect(owners).toEqual(['com.apple.driver.AppleMultiFunctionManager', 'com.apple.iokit.IO80211Family', 'com.apple.driver.AppleBCMWLANCoreV3.0']);
  });

  it('reads data printed as text (<"...">) as its NUL-terminated bytes, quotes inside included', () => {
    const compatible = full.roots[0]!.children[0]!.properties['compatible'] as Uint8Array;
    expect(Buffer.from(compatible).toString('latin1')).toBe('J313AP\0MacBookAir10,1\0AppleARM\0');
    const health = all.map((e) => e.properties['battery-health']).find((h) => h !== undefined) as Uint8Array;
    expect(Buffer.from(health).toString('latin1')).toMatch(/^\{"waitFc":0,"version":65536,.*\}\0$/);
  });

  it('keeps a string that runs over several lines, newlines included', () => {
    const tx = all.map((e) => e.properties['TxCapVersion']).find((t) => t !== undefined) as string;
    expect(tx.split('\n')[0]).toBe('Data Title: Shikoku_Final_WIFICap_2020Aug25_v1.0');
    expect(tx.split('\n')[1]).toBe('Data Creation: 2020-09-11 18:30:15');
  });

  it('parses the 3.8 MB in one pass (about 0.3 s here; a quadratic parser would take minutes)', () => {
    const started = performance.now();
    parseIoreg(FULL);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('parseIoreg on hand-made edge cases', () => {
  it('skips a shell prompt before the tree and reads `ioreg -r` roots at column 0', () => {
    const tree = parseIoreg('$ ioreg -r -c IOAccelerator -w0\n+-o GPU  <class AGXAcceleratorG13X, id 0x1>\n  {\n    "model" = "Apple M1"\n  }\n  \n');
    expect(tree.roots.map((r) => [r.name, r.className, r.properties['model']])).toEqual([['GPU', 'AGXAcceleratorG13X', 'Apple M1']]);
    expect(tree.malformed).toEqual([]);
  });

  it('a truncated value is reported with its key and line, and the rest is still read', () => {
    const tree = parseIoreg('+-o X  <class X>\n  {\n    "a" = {"b"=1,"c"=\n    "d" = 4\n  }\n');
    expect(tree.roots[0]!.properties).toEqual({ d: 4 });
    expect(tree.malformed).toEqual([{ line: 3, reason: 'property "a": no value at column 22' }]);
  });

  it('garbage is reported line by line, never turned into values', () => {
    const tree = parseIoreg('+-o X  <class X>\n  {\n    "a" = 12abc\n    "b" = <0g>\n    "c" = Maybe\n    ???\n  }\n');
    expect(tree.roots[0]!.properties).toEqual({});
    expect(tree.malformed.map((m) => m.line)).toEqual([3, 4, 5, 6]);
  });

  it('a string cut short does not swallow the properties after it (handmade)', () => {
    const tree = parseIoreg('+-o X  <class X>\n  {\n    "a" = "first line\n\n    "b" = 2\n  }\n+-o Y  <class Y>\n');
    expect(tree.roots.map((r) => r.className)).toEqual(['X', 'Y']);
    expect(tree.roots[0]!.properties).toEqual({ b: 2 });
    expect(tree.malformed).toEqual([{ line: 3, reason: 'property "a": an unterminated string' }]);
    expect(parseIoreg('+-o X  <class X>\n  {\n    "a" = "cut').malformed).toEqual([{ line: 3, reason: 'property "a": an unterminated string' }]);
  });

  it('keeps the blank lines of a string that spans lines (handmade)', () => {
    const tree = parseIoreg('+-o X  <class X>\n  {\n    "a" = "one\n\ntwo"\n    "b" = 2\n  }\n');
    expect(tree.roots[0]!.properties).toEqual({ a: 'one\n\ntwo', b: 2 });
  });

  it('rejects nesting deeper than any registry property instead of recursing without bound', () => {
    const deep = `${'{"a"='.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const tree = parseIoreg(`+-o X  <class X>\n  {\n    "a" = ${deep}\n  }\n`);
    expect(tree.roots[0]!.properties).toEqual({});
    expect(tree.malformed[0]!.reason).toMatch(/nested deeper than 64/);
  });

  it('stays linear on a line of quotes that no separator ends (2 MB)', () => {
    const started = performance.now();
    const tree = parseIoreg(`+-o X  <class X>\n  {\n    "a" = ("${'"x'.repeat(1_000_000)}\n  }\n`);
    expect(tree.malformed).toHaveLength(1);
    // About 30 ms here; rescanning the line for each quote would take minutes.
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('refuses a text larger than any ioreg output', () => {
    expect(() => parseIoreg(' '.repeat(IOREG_MAX_BYTES + 1))).toThrow(IoregInputError);
  });
});
