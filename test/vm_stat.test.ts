import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseVmStat, VmStatParseError } from '../agent/parsers/vm_stat.js';
import { vmStatPoints } from '../agent/sources/vm_stat.js';
import type { Point } from '../agent/metrics/catalog.js';

const DIR = join(import.meta.dirname, 'fixtures', 'vm_stat');
const read = (file: string): string => readFileSync(join(DIR, file), 'latin1');

/** `metric{attr=value}` -> value, for compact exact assertions. */
function byKey(points: readonly Point[]): Record<string, number> {
  return Object.fromEntries(points.map((p) => [`${p.metric}${Object.values(p.attributes).map((v) => `{${v}}`).join('')}`, p.value]));
}

describe('parseVmStat on every real capture', () => {
  const real = readdirSync(DIR).filter((f) => !f.startsWith('handmade-'));

  it.each(real)('%s parses with no malformed line and no unknown field', (file) => {
    const sample = parseVmStat(read(file));
    expect(sample.malformed).toEqual([]);
    expect([...sample.unknown]).toEqual([]);
    expect([4096, 16384]).toContain(sample.pageSize);
    expect(Object.keys(sample.fields).length).toBeGreaterThanOrEqual(11);
  });
});

describe('vm_stat snapshot, Apple Silicon (M1 Pro, macOS 14.4.1, 16 KiB pages)', () => {
  const sample = parseVmStat(read('m1pro-ansible-fixture.txt'));

  it('reads the page size and every field, the quoted "Translation faults" included', () => {
    expect(sample.form).toBe('snapshot');
    expect(sample.pageSize).toBe(16384);
    expect(sample.fields).toEqual({
      free: 6472, active: 730051, inactive: 710941, speculative: 18210, throttled: 0, wired: 165932,
      purgeable: 19224, translationFaults: 2500287752, copyOnWrite: 62978099, zeroFilled: 1121833567,
      reactivated: 11023181, purged: 20818028, fileBacked: 546992, anonymous: 912210,
      storedInCompressor: 1414412, occupiedByCompressor: 424276, decompressions: 4833976,
      compressions: 8360458, pageins: 21634062, pageouts: 135974, swapins: 385871, swapouts: 437651,
    });
  });

  it('becomes these points (pages x 16384 for bytes, counts as printed)', () => {
    const { points, rejected } = vmStatPoints(sample);
    expect(rejected).toEqual([]);
    expect(byKey(points)).toEqual({
      'memoryUsage{free}': 106037248,
      'memoryUsage{active}': 11961155584,
      'memoryUsage{inactive}': 11648057344,
      'memoryUsage{speculative}': 298352640,
      'memoryUsage{wired}': 2718629888,
      'memoryUsage{compressed}': 6951337984,
      'pagingOperations{in}': 21634062,
      'pagingOperations{out}': 135974,
      'swapOperations{in}': 385871,
      'swapOperations{out}': 437651,
      'compressorOperations{compress}': 8360458,
      'compressorOperations{decompress}': 4833976,
      compressorStored: 23173726208,
      'memoryPages{purgeable}': 314966016,
      'memoryPages{throttled}': 0,
      'memoryPages{file_backed}': 8961916928,
      'memoryPages{anonymous}': 14945648640,
      'memoryFaults{translation}': 2500287752,
      'memoryFaults{copy_on_write}': 62978099,
      'memoryFaults{zero_fill}': 1121833567,
      'pageOperations{reactivated}': 11023181,
      'pageOperations{purged}': 20818028,
    });
  });
});

describe('vm_stat snapshot, Intel (4 KiB pages)', () => {
  it('macOS 14.3.1 VM on an i7-8700B', () => {
    const sample = parseVmStat(read('intel-ansible-fixture.txt'));
    expect(sample.pageSize).toBe(4096);
    const p = byKey(vmStatPoints(sample).points);
    expect(p['memoryUsage{free}']).toBe(101113856);
    expect(p['memoryUsage{active}']).toBe(614404096);
    expect(p['memoryUsage{inactive}']).toBe(919154688);
    expect(p['memoryUsage{speculative}']).toBe(66486272);
    expect(p['memoryUsage{wired}']).toBe(428101632);
    expect(p['memoryUsage{compressed}']).toBe(17383424);
    expect(p['compressorStored']).toBe(51146752);
    expect(p['swapOperations{in}']).toBe(0);
    expect(p['memoryFaults{translation}']).toBe(1899905);
  });

  it('a 32 GB Mac of the macOS 10.15 era', () => {
    const p = byKey(vmStatPoints(parseVmStat(read('intel-macos10.15-era-facter.txt'))).points);
    expect(p['memoryUsage{free}']).toBe(5590519808);
    expect(p['memoryUsage{active}']).toBe(10866716672);
    expect(p['memoryUsage{inactive}']).toBe(6485954560);
    expect(p['memoryUsage{speculative}']).toBe(4347666432);
    expect(p['memoryUsage{wired}']).toBe(4042104832);
    expect(p['memoryUsage{compressed}']).toBe(3022639104);
    expect(p['memoryFaults{translation}']).toBe(2444018907);
    expect(p['swapOperations{out}']).toBe(10972484);
  });

  it('old OS X: "Object cache" line, no compressor, no throttled: those points are missing, not zero', () => {
    const sample = parseVmStat(read('intel-osx-legacy-object-cache-ohai.txt'));
    expect(sample.fields.objectCacheHits).toBe(12);
    expect(sample.fields.objectCacheLookups).toBe(139872);
    const p = byKey(vmStatPoints(sample).points);
    expect(p['memoryUsage{free}']).toBe(2155305 * 4096);
    expect(p['memoryUsage{wired}']).toBe(391749 * 4096);
    expect(p['pagingOperations{in}']).toBe(630064);
    expect(p).not.toHaveProperty('memoryUsage{compressed}');
    expect(p).not.toHaveProperty('compressorStored');
    expect(p).not.toHaveProperty('memoryPages{throttled}');
    expect(p).not.toHaveProperty('swapOperations{in}');
  });
});

describe('vm_stat stream form (`vm_stat INTERVAL`)', () => {
  it('Apple Silicon, two header blocks: the last block restarts from totals since boot', () => {
    const sample = parseVmStat(read('applesilicon-128gb-class-vm_stat-streaming-2blocks-UNVERIFIED-testliteral.txt'));
    expect(sample.form).toBe('stream');
    expect(sample.pageSize).toBe(16384);
    const p = byKey(vmStatPoints(sample).points);
    expect(p['memoryUsage{free}']).toBe(253755392);
    expect(p['memoryUsage{active}']).toBe(28294791168);
    expect(p['memoryUsage{speculative}']).toBe(9011200);
    expect(p['memoryUsage{inactive}']).toBe(28260663296);
    expect(p['memoryUsage{wired}']).toBe(10853089280);
    expect(p['memoryUsage{compressed}']).toBe(68524851200);
    expect(p['memoryFaults{translation}']).toBe(179472);
    expect(p['pagingOperations{in}']).toBe(6320);
  });

  it('OS X 10.10: counters are the first row plus the changes of later rows; K values are thousands', () => {
    const sample = parseVmStat(read('intel-osx10.10-yosemite-vm_stat-streaming-blazegraph.txt'));
    // faults: 1122834K then +2115; pageins 67248050 then +24; gauges from the last row.
    expect(sample.fields.translationFaults).toBe(1122834000 + 2115);
    expect(sample.fields.zeroFilled).toBe(897721000 + 1316);
    expect(sample.fields.pageins).toBe(67248050 + 24);
    expect(sample.fields.free).toBe(41993);
    expect(sample.fields.occupiedByCompressor).toBe(449012);
    expect([...sample.truncated].sort()).toEqual(['translationFaults', 'zeroFilled']);
  });

  it('OS X 10.5: `spec`/`wire` columns and a "cache hits" header', () => {
    const sample = parseVmStat(read('intel-osx10.5-era-leopard-vm_stat-streaming-blazegraph.txt'));
    expect(sample.pageSize).toBe(4096);
    expect(sample.fields.speculative).toBe(52016);
    expect(sample.fields.wired).toBe(189799);
    expect(sample.fields.active).toBe(1247000);
    expect(sample.fields.pageins).toBe(2897558);
    expect(sample.fields.translationFaults).toBe(1004215000 + 2707 + 3885 + 21739 + 5792);
  });
});

describe('vm_stat bad input (handmade)', () => {
  it('empty output is a clear error', () => {
    expect(() => parseVmStat(read('handmade-empty.txt'))).toThrow(new VmStatParseError('vm_stat printed nothing'));
  });

  it('garbage bytes are a clear error naming what was expected', () => {
    expect(() => parseVmStat(read('handmade-garbage.txt'))).toThrow(/no "Mach Virtual Memory Statistics: \(page size of N bytes\)" header/);
  });

  it('a stream row cut inside its last count is rejected, never read short (hand-made from the real OS X 10.10 stream: its last row cut inside its last count)', () => {
    const text = read('intel-osx10.10-yosemite-vm_stat-streaming-blazegraph.txt');
    const cut = text.slice(0, text.lastIndexOf('449012') + 4);
    const whole = parseVmStat(text);
    const sample = parseVmStat(cut);
    expect(sample.malformed).toEqual([{ line: cut.slice(cut.lastIndexOf('\n') + 1), reason: 'the output ends inside this line (no newline after it): it was cut short, so its last value may be too' }]);
    // The totals stop at the row before the cut one: free differs from the complete output's.
    expect(sample.fields.free).not.toBe(whole.fields.free);
    expect(Object.values(sample.fields).every((v) => Number.isSafeInteger(v))).toBe(true);
  });

  it('output cut mid-line keeps the complete fields, counts the cut line, invents nothing', () => {
    const sample = parseVmStat(read('handmade-truncated.txt'));
    expect(sample.fields).toEqual({ free: 6472, active: 730051, inactive: 710941, speculative: 18210, throttled: 0, wired: 165932, purgeable: 19224 });
    expect(sample.malformed).toEqual([{ line: '"Translation faults":                25002', reason: 'the output ends inside this line (no newline after it): it was cut short, so its last value may be too' }]);
    const p = byKey(vmStatPoints(sample).points);
    expect(p).toEqual({
      'memoryUsage{free}': 106037248, 'memoryUsage{active}': 11961155584, 'memoryUsage{inactive}': 11648057344,
      'memoryUsage{speculative}': 298352640, 'memoryUsage{wired}': 2718629888,
      'memoryPages{purgeable}': 314966016, 'memoryPages{throttled}': 0,
    });
  });

  it('a new field is kept in the record, reported as unknown, and changes no point', () => {
    const sample = parseVmStat(read('handmade-new-field.txt'));
    expect([...sample.unknown]).toEqual([['Pages hibernated', 777]]);
    expect(sample.malformed).toEqual([]);
    expect(vmStatPoints(sample).points).toEqual(vmStatPoints(parseVmStat(read('m1pro-ansible-fixture.txt'))).points);
  });

  it('knows the memory-tagging fields vm_stat.c prints on FEAT_MTE2 chips (handmade lines, labels from vm_stat.c)', () => {
    const mte = [
      'Pages tagged', 'Pages tagged resident', 'Pages tagged compressed', 'Pages tag-storage',
      'Pages tag-storage holding tags', 'Pages tag-storage free', 'Pages tag-storage non-tag pageable',
      'Pages tag-storage non-tag wired', 'Bytes of compressed tags', 'Tagged compressions', 'Tagged decompressions',
    ].map((label, i) => `${`${label}:`.padEnd(35)} ${String(i + 1).padStart(16)}.`).join('\n');
    const sample = parseVmStat(`${read('m1pro-ansible-fixture.txt')}${mte}\n`);
    expect([...sample.unknown]).toEqual([]);
    expect(sample.malformed).toEqual([]);
    expect(sample.fields.taggedPages).toBe(1);
    expect(sample.fields.taggedDecompressions).toBe(11);
    expect(vmStatPoints(sample).points).toEqual(vmStatPoints(parseVmStat(read('m1pro-ansible-fixture.txt'))).points);
  });

  it('absurd values (a count beyond 2^53, or more than 1 PiB of memory) are rejected with a reason; the rest stands', () => {
    const sample = parseVmStat(read('handmade-absurd-value.txt'));
    expect(sample.fields.free).toBeUndefined();
    expect(sample.malformed).toEqual([{ line: 'Pages free:                   99999999999999999.', reason: 'absurd value 99999999999999999 (beyond 2^53)' }]);
    const { points, rejected } = vmStatPoints(sample);
    expect(rejected).toEqual(['absurd active: 549755813888 pages of 16384 bytes is more than 1 PiB']);
    const p = byKey(points);
    expect(p).not.toHaveProperty('memoryUsage{free}');
    expect(p).not.toHaveProperty('memoryUsage{active}');
    expect(p['memoryUsage{wired}']).toBe(2718629888);
  });

  it('a shell prompt above the output is tolerated; other text before the header is counted', () => {
    const text = read('m1pro-ansible-fixture.txt');
    expect(parseVmStat(`❯ vm_stat\n${text}`).malformed).toEqual([]);
    expect(parseVmStat(`hello\n${text}`).malformed).toEqual([{ line: 'hello', reason: 'text before the "Mach Virtual Memory Statistics" header' }]);
  });

  it('a page size that is not a power of two is refused', () => {
    expect(() => parseVmStat('Mach Virtual Memory Statistics: (page size of 12345 bytes)\nPages free: 1.\n')).toThrow(/absurd page size of 12345 bytes/);
  });
});
