import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IostatDiskTotals, IostatLineReader, parseIostat, summarizeIostat, type IostatRow } from '../agent/parsers/iostat.js';
import { iostatPoints } from '../agent/sources/iostat.js';
import type { Point } from '../agent/metrics/catalog.js';

const DIR = join(import.meta.dirname, 'fixtures', 'iostat');
const read = (file: string): string => readFileSync(join(DIR, file), 'latin1');

function byKey(points: readonly Point[]): Record<string, number> {
  return Object.fromEntries(points.map((p) => [`${p.metric}${Object.values(p.attributes).map((v) => `{${v}}`).join('')}`, p.value]));
}

function rowsOf(text: string): IostatRow[] {
  const reader = new IostatLineReader();
  return text.split('\n').flatMap((line) => {
    const r = reader.read(line);
    return r.kind === 'row' ? [r.row] : [];
  });
}

describe('parseIostat on every real capture', () => {
  const real = readdirSync(DIR).filter((f) => !f.startsWith('handmade-'));

  it.each(real)('%s parses with no malformed line', (file) => {
    const doc = parseIostat(read(file));
    expect(doc.malformed).toEqual([]);
    expect(doc.rows.length).toBeGreaterThan(0);
  });
});

describe('iostat, real captures', () => {
  it('Apple Silicon `iostat -w 1 -c 5`, 2 disks, whitespace-suspect: read by token', () => {
    const doc = parseIostat(read('applesilicon-iostat-w1-c5-2disks-innopolis-lab8-whitespace-suspect.txt'));
    expect(doc.rows).toHaveLength(5);
    expect(doc.rows[0]!.columns).toEqual({ disks: ['disk0', 'disk4'], totals: false, cpuModes: ['us', 'sy', 'id'], load: true });
    expect(doc.rows[0]!.disks).toEqual([
      { device: 'disk0', kilobytesPerTransfer: 24.08, transfers: 79, megabytes: 1.85 },
      { device: 'disk4', kilobytesPerTransfer: 240.24, transfers: 0, megabytes: 0 },
    ]);
    // Rates (not -I) give no totals since boot: no disk points. CPU is the last row's.
    expect(byKey(iostatPoints(summarizeIostat(doc.rows)))).toEqual({
      'cpuUtilization{user}': 0.04, 'cpuUtilization{system}': 0.02, 'cpuUtilization{idle}': 0.94,
      loadAverage1m: 1.97, loadAverage5m: 2.15, loadAverage15m: 2.07,
    });
  });

  it('Apple Silicon single `iostat`: the only row is the average since boot, so no CPU point', () => {
    const summary = summarizeIostat(parseIostat(read('applesilicon-joes-mbp-iostat-default-1disk-notes.txt')).rows);
    expect(byKey(iostatPoints(summary))).toEqual({ loadAverage1m: 3, loadAverage5m: 3.06, loadAverage15m: 3 });
  });

  it('`iostat -w 1 disk0` under a zsh prompt line', () => {
    const doc = parseIostat(read('macos-iostat-w1-disk0-6samples-aimpugn.txt'));
    expect(doc.rows).toHaveLength(6);
    expect(byKey(iostatPoints(summarizeIostat(doc.rows)))).toEqual({
      'cpuUtilization{user}': 0.07, 'cpuUtilization{system}': 0.04, 'cpuUtilization{idle}': 0.89,
      loadAverage1m: 4.54, loadAverage5m: 4.63, loadAverage15m: 4.14,
    });
  });

  it('`iostat -c 2 -w 1`, disk0 + disk6: CPU of the second row', () => {
    const doc = parseIostat(read('macos-iostat-c2-w1-2disks-tinysysteminfo-testliteral.txt'));
    expect(byKey(iostatPoints(summarizeIostat(doc.rows)))).toEqual({
      'cpuUtilization{user}': 0.05, 'cpuUtilization{system}': 0.03, 'cpuUtilization{idle}': 0.92,
      loadAverage1m: 2.38, loadAverage5m: 2.38, loadAverage15m: 2.61,
    });
  });

  it('rejects a row cut inside its last number (hand-made from the capture above: load 2.61 cut to "2"), never reads it as 2', () => {
    const text = read('macos-iostat-c2-w1-2disks-tinysysteminfo-testliteral.txt');
    const cut = text.slice(0, text.lastIndexOf('.61\n'));
    const doc = parseIostat(cut);
    expect(doc.rows).toHaveLength(1);
    expect(doc.rows[0]!.loadAverage).toEqual([2.38, 2.38, 2.61]);
    expect(doc.malformed).toEqual([{ line: '    4.34   94  0.40     0.00    0  0.00   5  3 92  2.38 2.38 2', reason: expect.stringMatching(/cut short/) }]);
  });

  it('Intel OS X 10.5, `iostat -d -C -n 999`: 5 disks, cpu, no load average', () => {
    const doc = parseIostat(read('intel-osx10.5-era-iostat-d-C-n999-5disks-blazegraph.txt'));
    expect(doc.rows[0]!.columns.disks).toEqual(['disk0', 'disk1', 'disk2', 'disk3', 'disk4']);
    expect(doc.rows[0]!.disks[0]).toEqual({ device: 'disk0', kilobytesPerTransfer: 197.14, transfers: 26, megabytes: 5.1 });
    expect(byKey(iostatPoints(summarizeIostat(doc.rows)))).toEqual({
      'cpuUtilization{user}': 0.57, 'cpuUtilization{system}': 0.08, 'cpuUtilization{idle}': 0.35,
    });
  });

  it('`iostat -dKI -n 99`: totals since boot, MB = 1024 * 1024 bytes', () => {
    const doc = parseIostat(read('macos-iostat-dKI-n99-cumulative-px.txt'));
    expect(doc.rows[0]!.columns).toEqual({ disks: ['disk0'], totals: true, cpuModes: [], load: false });
    // 43932.12 MB * 1048576 = 46066166661.12 bytes
    expect(byKey(iostatPoints(summarizeIostat(doc.rows)))).toEqual({
      'iostatDiskOperations{disk0}': 2823491, 'iostatDiskIo{disk0}': 46066166661,
    });
  });
});

describe('iostat -I totals, as iostat.c keeps them', () => {
  it('a disk total is its first row plus the latest row (later rows count from the first), not the sum', () => {
    const rows = rowsOf(read('handmade-I-C-U-2disks-stream.txt'));
    expect(rows).toHaveLength(4);
    const totals = new IostatDiskTotals();
    const seen = rows.map((r) => totals.add(r).get('disk0'));
    expect(seen).toEqual([
      { operations: 5348511, bytes: 109363802931 },
      { operations: 5348521, bytes: 109363970703 },
      { operations: 5348546, bytes: 109364348191 },
      { operations: 5348572, bytes: 109364736164 },
    ]);
    expect(byKey(iostatPoints(summarizeIostat(rows)))).toEqual({
      'iostatDiskOperations{disk0}': 5348572, 'iostatDiskIo{disk0}': 109364736164,
      'iostatDiskOperations{disk6}': 12031, 'iostatDiskIo{disk6}': 4036294083,
      'cpuUtilization{user}': 0.04, 'cpuUtilization{system}': 0.03, 'cpuUtilization{idle}': 0.93,
      loadAverage1m: 2.3, loadAverage5m: 2.36, loadAverage15m: 2.6,
    });
  });

  it('a disk idle at its first row counts each row from the previous one until it has I/O', () => {
    const header = '      disk2\n    KB/t xfrs   MB\n';
    const rows = rowsOf(`${header}    0.00    0  0.00\n    4.00    2  0.01\n    4.00    3  0.01\n`);
    const totals = new IostatDiskTotals();
    expect(rows.map((r) => totals.add(r).get('disk2')?.operations)).toEqual([0, 2, 5]);
  });

  it('reads repeated header blocks and a disk that appears mid-stream', () => {
    const text = [
      '              disk0       cpu    load average',
      '    KB/t xfrs   MB  us sy id   1m   5m   15m',
      '   16.00  100  1.56   3  1 96  2.00 2.00 2.00',
      '   16.00   10  0.16   5  3 92  2.00 2.00 2.00',
      '              disk0               disk5       cpu    load average',
      '    KB/t xfrs   MB     KB/t xfrs   MB  us sy id   1m   5m   15m',
      '   16.00   20  0.31    64.00   50  3.12   7  3 90  2.10 2.00 2.00',
      '',
    ].join('\n');
    const doc = parseIostat(text);
    expect(doc.malformed).toEqual([]);
    expect(byKey(iostatPoints(summarizeIostat(doc.rows)))).toMatchObject({
      'iostatDiskOperations{disk0}': 120, 'iostatDiskOperations{disk5}': 50, 'cpuUtilization{idle}': 0.9, loadAverage1m: 2.1,
    });
  });
});

describe('iostat bad input (handmade)', () => {
  it('empty output has no row', () => {
    expect(parseIostat(read('handmade-empty.txt'))).toEqual({ rows: [], malformed: [] });
  });

  it('output cut mid-row keeps the complete rows and counts the cut one', () => {
    const doc = parseIostat(read('handmade-truncated.txt'));
    expect(doc.rows).toHaveLength(1);
    expect(doc.malformed).toEqual([{ line: '   16.00   10  0.16     0', reason: 'the output ends inside this line (no newline after it): it was cut short, so its last value may be too' }]);
    // One row: disks since boot and load, but no CPU (that row is the average since boot).
    expect(Object.keys(byKey(iostatPoints(summarizeIostat(doc.rows)))).sort()).toEqual([
      'iostatDiskIo{disk0}', 'iostatDiskIo{disk6}', 'iostatDiskOperations{disk0}', 'iostatDiskOperations{disk6}', 'loadAverage15m', 'loadAverage1m', 'loadAverage5m',
    ]);
  });

  it('garbage bytes are counted, never read as numbers', () => {
    const doc = parseIostat(read('handmade-garbage.txt'));
    expect(doc.rows).toEqual([]);
    expect(doc.malformed.length).toBeGreaterThan(0);
  });

  it('an absurd value (cpu over 100%) rejects its row', () => {
    const doc = parseIostat(read('handmade-absurd-value.txt'));
    expect(doc.rows).toHaveLength(1);
    expect(doc.malformed.map((m) => m.reason)).toEqual(['absurd cpu us of 250% (over 100%)']);
  });

  it('an unknown column makes the header unreadable: counted, and its rows are not guessed at', () => {
    const doc = parseIostat(read('handmade-new-column.txt'));
    expect(doc.rows).toEqual([]);
    expect(doc.malformed.map((m) => m.reason)).toEqual([
      'unknown column "qd" (old-style -o output and tty columns are not read)',
      'row before any column header',
    ]);
  });

  it('a device header that does not match its column header is refused', () => {
    const doc = parseIostat('              disk0  disk1\n    KB/t xfrs   MB\n   16.00  100  1.56\n');
    expect(doc.malformed[0]!.reason).toBe('the device header names 2 disk(s) for 1 disk column group(s)');
    expect(doc.rows).toEqual([]);
  });
});
