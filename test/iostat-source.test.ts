// The iostat source through its real spawn path: fake `iostat` executables on PATH.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../agent/config.js';
import type { Point } from '../agent/metrics/catalog.js';
import { iostatModule } from '../agent/sources/iostat.js';
import { SourceError, type RunMode, type Source } from '../agent/sources/source.js';
import { makeFakeBin, type FakeBin } from './helpers/fake-bin.js';
import { isAlive } from './helpers/processes.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'iostat');
const STREAM = join(FIXTURES, 'handmade-I-C-U-2disks-stream.txt');

type FakeMode = 'stream' | 'exit' | 'hang' | 'garbage';

/**
 * A streaming `iostat` stand-in: prints the capture's headers and first row at once, then one
 * row every `rowMs` (whatever -w says, to keep tests short), and logs its argv and pid.
 */
function streamingIostat(file: string, mode: FakeMode, logDir: string, rowMs = 60): string {
  return `#!${process.execPath}
const fs = require('node:fs');
fs.appendFileSync(${JSON.stringify(join(logDir, 'iostat.args'))}, JSON.stringify(process.argv.slice(2)) + '\\n');
fs.appendFileSync(${JSON.stringify(join(logDir, 'iostat.pids'))}, process.pid + '\\n');
const lines = fs.readFileSync(${JSON.stringify(file)}, 'utf8').split('\\n').filter((l) => l !== '');
const headers = lines.filter((l) => !/^\\s*\\d/.test(l));
const rows = lines.filter((l) => /^\\s*\\d/.test(l));
const mode = ${JSON.stringify(mode)};
if (mode === 'hang') {
  setInterval(() => {}, 1 << 30);
} else if (mode === 'garbage') {
  setInterval(() => process.stdout.write('\\u0000\\u00ff garbage ' + Math.random() + '\\n'), 20);
} else {
  process.stdout.write(headers.join('\\n') + '\\n' + rows[0] + '\\n');
  let i = 1;
  setInterval(() => {
    if (i < rows.length) process.stdout.write(rows[i++] + '\\n');
    else if (mode === 'exit') { process.stderr.write('iostat: device went away\\n'); process.exit(1); }
  }, ${rowMs});
}
`;
}

let fakes: FakeBin | undefined;
let source: Source | undefined;
/** Where the fakes log their argv and pid. */
let logs = '';
const originalPath = process.env['PATH'];

beforeEach(() => {
  logs = mkdtempSync(join(tmpdir(), 'macos-agent-iostat-logs-'));
});

afterEach(async () => {
  await source?.stop();
  source = undefined;
  fakes?.cleanup();
  fakes = undefined;
  rmSync(logs, { recursive: true, force: true });
  process.env['PATH'] = originalPath;
});

interface Harness {
  source: Source;
  restarts: string[];
  parseErrors: Error[];
}

function createSource(mode: RunMode, path: string): Harness {
  process.env['PATH'] = path;
  const restarts: string[] = [];
  const parseErrors: Error[] = [];
  const config = loadConfig({ env: {}, overrides: { interval: '1s' } }).config;
  source = iostatModule.create({
    config, mode, log: pino({ level: 'silent' }),
    onChildRestart: (s) => restarts.push(s),
    onParseError: (_s, e) => parseErrors.push(e),
  });
  return { source, restarts, parseErrors };
}

function byKey(points: readonly Point[]): Record<string, number> {
  return Object.fromEntries(points.map((p) => [`${p.metric}${Object.values(p.attributes).map((v) => `{${v}}`).join('')}`, p.value]));
}

async function until<T>(probe: () => T | undefined | false | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function collectError(s: Source): Promise<SourceError> {
  const error = await s.collect().then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}


describe('iostat daemon mode: one long-lived streaming child', () => {
  it('runs `iostat -I -C -U -n 99 -w 1`, reports totals since boot and the last interval, and stop() kills it', async () => {
    fakes = makeFakeBin({ iostat: streamingIostat(STREAM, 'stream', logs) });
    const h = createSource('daemon', fakes.path);
    await h.source.start!();
    const first = byKey(await h.source.collect());
    // The first row: disks since boot and load, but its CPU is the average since boot: left out.
    expect(first).toEqual({
      'iostatDiskOperations{disk0}': 5348511, 'iostatDiskIo{disk0}': 109363802931,
      'iostatDiskOperations{disk6}': 12030, 'iostatDiskIo{disk6}': 4036294083,
      loadAverage1m: 2.38, loadAverage5m: 2.38, loadAverage15m: 2.61,
    });
    expect(readFileSync(join(logs, 'iostat.args'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[])).toEqual([['-I', '-C', '-U', '-n', '99', '-w', '1']]);
    await new Promise((r) => setTimeout(r, 400));
    expect(byKey(await h.source.collect())).toEqual({
      'iostatDiskOperations{disk0}': 5348572, 'iostatDiskIo{disk0}': 109364736164,
      'iostatDiskOperations{disk6}': 12031, 'iostatDiskIo{disk6}': 4036294083,
      'cpuUtilization{user}': 0.04, 'cpuUtilization{system}': 0.03, 'cpuUtilization{idle}': 0.93,
      loadAverage1m: 2.3, loadAverage5m: 2.36, loadAverage15m: 2.6,
    });
    expect(h.restarts).toEqual([]);
    expect(h.parseErrors).toEqual([]);
    const pid = Number(readFileSync(join(logs, 'iostat.pids'), 'utf8').trim());
    expect(isAlive(pid)).toBe(true);
    await h.source.stop();
    expect(isAlive(pid)).toBe(false);
  });

  it('restarts a child that exits, with backoff, counting the restart', async () => {
    fakes = makeFakeBin({ iostat: streamingIostat(STREAM, 'exit', logs, 30) });
    const h = createSource('daemon', fakes.path);
    await h.source.start!();
    expect(Object.keys(byKey(await h.source.collect()))).toContain('iostatDiskIo{disk0}');
    // Rows run out after ~100 ms and the fake exits 1; the source reports why until the restart.
    const error = await until(() => h.source.collect().then(() => undefined, (e: unknown) => e as SourceError), 2000);
    expect(error.kind).toBe('failed');
    expect(error.message).toMatch(/^iostat -I -C -U -n 99 -w 1 exited \(code 1\): "iostat: device went away"; restarting in 1 s$/);
    await until(() => h.restarts.length >= 1, 3000);
    expect(h.restarts[0]).toBe('iostat');
    const afterRestart = byKey(await h.source.collect());
    expect(afterRestart['iostatDiskOperations{disk0}']).toBeGreaterThanOrEqual(5348511);
    expect(readFileSync(join(logs, 'iostat.pids'), 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(2);
  });

  it('kills and restarts a child that prints nothing for 3 intervals', async () => {
    fakes = makeFakeBin({ iostat: streamingIostat(STREAM, 'hang', logs) });
    const h = createSource('daemon', fakes.path);
    await h.source.start!();
    const error = await collectError(h.source);
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe('iostat -I -C -U -n 99 -w 1 printed no row within 2000 ms of starting');
    const firstPid = Number(readFileSync(join(logs, 'iostat.pids'), 'utf8').trim().split('\n')[0]);
    await until(() => h.restarts.length >= 1, 6000);
    expect(isAlive(firstPid)).toBe(false);
    const silent = await collectError(h.source);
    expect(silent.message).toMatch(/printed no row for \d+ s \(3 intervals\); killed, it will be restarted/);
  }, 15_000);

  it('counts garbage as parse errors and says the output is unreadable; no point is invented', async () => {
    fakes = makeFakeBin({ iostat: streamingIostat(STREAM, 'garbage', logs) });
    const h = createSource('daemon', fakes.path);
    await h.source.start!();
    const error = await collectError(h.source);
    expect(error.kind).toBe('parse');
    expect(error.message).toMatch(/^iostat -I -C -U -n 99 -w 1 printed output this agent cannot read \(text that is neither a header nor a row: /);
    await until(() => h.parseErrors.length >= 3, 2000);
  });

  it('reports a missing iostat once, without restarting', async () => {
    fakes = makeFakeBin({});
    const h = createSource('daemon', fakes.path);
    await h.source.start!();
    const error = await collectError(h.source);
    expect(error.kind).toBe('missing');
    expect(error.message).toBe('iostat not found on PATH — iostat metrics need macOS (iostat ships with it); disable the iostat source to silence this');
    expect(h.restarts).toEqual([]);
  });

  it("recognises Linux's sysstat iostat and stops there", async () => {
    fakes = makeFakeBin({ iostat: '#!/bin/sh\necho "Usage: iostat [ options ] [ <interval> [ <count> ] ]" >&2\nexit 1\n' });
    const h = createSource('daemon', fakes.path);
    await h.source.start!();
    const error = await until(() => h.source.collect().then(() => undefined, (e: unknown) => e as SourceError), 2000);
    expect(error.kind).toBe('missing');
    expect(error.message).toMatch(/^the iostat on PATH is not macOS's \(it answered "Usage: iostat \[ options \]/);
    await new Promise((r) => setTimeout(r, 1200));
    expect(h.restarts).toEqual([]);
  });
});

describe('iostat once mode: a bounded run', () => {
  it('runs `iostat -I -C -U -n 99 -c 2 -w 1` and reads its two rows', async () => {
    const log = join(logs, 'iostat.args');
    fakes = makeFakeBin({ iostat: `#!/bin/sh\necho "$@" >> '${log}'\nexec cat '${STREAM}'\n` });
    const h = createSource('once', fakes.path);
    const points = byKey(await h.source.collect());
    expect(readFileSync(log, 'utf8')).toBe('-I -C -U -n 99 -c 2 -w 1\n');
    expect(points['iostatDiskOperations{disk0}']).toBe(5348572);
    expect(points['cpuUtilization{idle}']).toBe(0.93);
  });

  it("says when the iostat on PATH is sysstat's", async () => {
    fakes = makeFakeBin({ iostat: '#!/bin/sh\necho "Usage: iostat [ options ] [ <interval> [ <count> ] ]" >&2\nexit 1\n' });
    const h = createSource('once', fakes.path);
    const error = await collectError(h.source);
    expect(error.kind).toBe('missing');
    expect(error.message).toMatch(/^the iostat on PATH is not macOS's \(iostat -I -C -U -n 99 -c 2 -w 1 exited \(code 1\): "Usage: iostat \[ options \]/);
  });
});
