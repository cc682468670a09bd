// The vm_stat source in daemon mode: one long-lived `vm_stat SECONDS` child, through its real spawn
// path, with a fake `vm_stat` on PATH replaying the real streaming captures.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../agent/config.js';
import type { Point } from '../agent/metrics/catalog.js';
import { liveChildCount } from '../agent/sources/child-process.js';
import { vmStatModule } from '../agent/sources/vm_stat.js';
import { SourceError, type Source } from '../agent/sources/source.js';
import { makeFakeBin, type FakeBin } from './helpers/fake-bin.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'vm_stat');
const YOSEMITE = join(FIXTURES, 'intel-osx10.10-yosemite-vm_stat-streaming-blazegraph.txt');
const LEOPARD = join(FIXTURES, 'intel-osx10.5-era-leopard-vm_stat-streaming-blazegraph.txt');
const APPLE_SILICON_2_BLOCKS = join(FIXTURES, 'applesilicon-128gb-class-vm_stat-streaming-2blocks-UNVERIFIED-testliteral.txt');

type FakeMode = 'stream' | 'exit' | 'hang' | 'bad-row';

/**
 * A streaming `vm_stat` stand-in: prints the capture's lines in order, `repeat` times over (as
 * vm_stat re-prints its header, then a totals row), a header with the row after it at once and
 * then one row every `rowMs` (whatever the interval argument says, to keep tests short). It logs
 * its argv and pid. `exit` exits 1 after the last row, `hang` falls silent after the first row,
 * `bad-row` prints an unreadable row after the first one; `stream` stays silent after the last.
 */
function streamingVmStat(file: string, mode: FakeMode, logDir: string, repeat = 1, rowMs = 40): string {
  return `#!${process.execPath}
const fs = require('node:fs');
fs.appendFileSync(${JSON.stringify(join(logDir, 'vm_stat.args'))}, JSON.stringify(process.argv.slice(2)) + '\\n');
fs.appendFileSync(${JSON.stringify(join(logDir, 'vm_stat.pids'))}, process.pid + '\\n');
const once = fs.readFileSync(${JSON.stringify(file)}, 'utf8').split('\\n').filter((l) => l.trim() !== '');
const lines = Array.from({ length: ${repeat} }, () => once).flat();
const isRow = (l) => /^\\s*\\d/.test(l);
const mode = ${JSON.stringify(mode)};
let i = 0;
const emitRow = () => {
  let out = '';
  while (i < lines.length && !isRow(lines[i])) out += lines[i++] + '\\n';
  if (i < lines.length) out += lines[i++] + '\\n';
  process.stdout.write(out);
};
emitRow();
if (mode === 'bad-row') process.stdout.write('   12   34 garbage\\n');
if (mode === 'hang') {
  setInterval(() => {}, 1 << 30);
} else {
  setInterval(() => {
    if (i < lines.length) emitRow();
    else if (mode === 'exit') { process.stderr.write('vm_stat: went away\\n'); process.exit(1); }
  }, ${rowMs});
}
`;
}

let fakes: FakeBin | undefined;
let source: Source | undefined;
let logs = '';
const originalPath = process.env['PATH'];

beforeEach(() => {
  logs = mkdtempSync(join(tmpdir(), 'macos-agent-vm_stat-logs-'));
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
  parseErrors: string[];
}

/** `fake` is the fake vm_stat's script; without one, no vm_stat is on PATH. */
function createSource(fake: string | undefined): Harness {
  fakes = makeFakeBin(fake === undefined ? {} : { vm_stat: fake });
  process.env['PATH'] = fakes.path;
  const restarts: string[] = [];
  const parseErrors: string[] = [];
  const config = loadConfig({ env: {}, overrides: { interval: '1s' } }).config;
  source = vmStatModule.create({
    config, mode: 'daemon', log: pino({ level: 'silent' }),
    onChildRestart: (s) => restarts.push(s),
    onParseError: (_s, e) => parseErrors.push(e.message),
  });
  return { source, restarts, parseErrors };
}

function byKey(points: readonly Point[]): Record<string, number> {
  return Object.fromEntries(points.map((p) => [`${p.metric}${Object.values(p.attributes).map((v) => `{${v}}`).join('')}`, p.value]));
}

/** Collects until `done` holds for the points; returns every collection seen, oldest first. */
async function collectUntil(s: Source, done: (p: Record<string, number>) => boolean, timeoutMs: number): Promise<Record<string, number>[]> {
  const seen: Record<string, number>[] = [];
  const end = Date.now() + timeoutMs;
  for (;;) {
    const p = await s.collect().then(byKey, () => undefined);
    if (p) seen.push(p);
    if (p && done(p)) return seen;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms; last seen: ${JSON.stringify(seen.at(-1))}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function until(probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function pids(): number[] {
  return readFileSync(join(logs, 'vm_stat.pids'), 'utf8').trim().split('\n').map(Number);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** No counter ever reads lower than it did in an earlier collection. */
function expectNoStepBackwards(seen: readonly Record<string, number>[], counters: readonly string[]): void {
  for (const key of counters) {
    const values = seen.map((p) => p[key]).filter((v) => v !== undefined);
    expect(values, key).toEqual([...values].sort((a, b) => a - b));
  }
}

const FAULTS = 'memoryFaults{translation}';
const COUNTERS = [FAULTS, 'memoryFaults{copy_on_write}', 'memoryFaults{zero_fill}', 'pagingOperations{in}', 'pagingOperations{out}',
  'swapOperations{in}', 'swapOperations{out}', 'compressorOperations{compress}', 'compressorOperations{decompress}',
  'pageOperations{reactivated}', 'pageOperations{purged}'];

describe('vm_stat daemon mode: one long-lived `vm_stat SECONDS` child', () => {
  it('OS X 10.10: counters are the first totals row (K as thousands) plus the later changes; the re-printed header\'s totals row is ignored', async () => {
    // The capture twice over: header, totals, one change row; header again, totals again, a change row.
    const h = createSource(streamingVmStat(YOSEMITE, 'stream', logs, 2));
    await h.source.start!();
    const seen = await collectUntil(h.source, (p) => p['pagingOperations{in}'] === 67248050 + 2 * 24, 3000);
    expect(seen[0]![FAULTS]).toBe(1122834000);
    const last = seen.at(-1)!;
    expect(last).toEqual({
      // Levels: the latest row's pages times 4096.
      'memoryUsage{free}': 41993 * 4096, 'memoryUsage{active}': 1479331 * 4096, 'memoryUsage{inactive}': 1329290 * 4096,
      'memoryUsage{speculative}': 110174 * 4096, 'memoryUsage{wired}': 782241 * 4096, 'memoryUsage{compressed}': 449012 * 4096,
      'memoryPages{purgeable}': 33940 * 4096, 'memoryPages{throttled}': 0, 'memoryPages{file_backed}': 382671 * 4096,
      'memoryPages{anonymous}': 2536124 * 4096, compressorStored: 1093181 * 4096,
      // Counters: the first totals row plus both change rows; 1122834K reads as 1,122,834,000.
      [FAULTS]: 1122834000 + 2 * 2115, 'memoryFaults{copy_on_write}': 22138464 + 2 * 1, 'memoryFaults{zero_fill}': 897721000 + 2 * 1316,
      'pageOperations{reactivated}': 4538117, 'pageOperations{purged}': 2220029,
      'compressorOperations{decompress}': 1856773, 'compressorOperations{compress}': 4298532,
      'pagingOperations{in}': 67248050 + 2 * 24, 'pagingOperations{out}': 263644,
      'swapOperations{in}': 779970, 'swapOperations{out}': 886296,
    });
    expectNoStepBackwards(seen, COUNTERS);
    expect(readFileSync(join(logs, 'vm_stat.args'), 'utf8')).toBe('["1"]\n');
    expect(h.restarts).toEqual([]);
    expect(h.parseErrors).toEqual([]);
  });

  it('Apple Silicon, two header blocks: the second totals row gives levels but never re-anchors the counters', async () => {
    const h = createSource(streamingVmStat(APPLE_SILICON_2_BLOCKS, 'stream', logs));
    await h.source.start!();
    const seen = await collectUntil(h.source, (p) => p['memoryUsage{free}'] === 15488 * 16384, 3000);
    const last = seen.at(-1)!;
    expect(last['memoryUsage{active}']).toBe(1726977 * 16384);
    expect(last['memoryUsage{compressed}']).toBe(4182425 * 16384);
    expect(last['memoryPages{purgeable}']).toBe(25 * 16384);
    // The first block's totals; the second block's (179472 faults, 6320 pageins) are not read as changes.
    expect(last[FAULTS]).toBe(154515);
    expect(last['pagingOperations{in}']).toBe(2347);
    expect(last['pageOperations{purged}']).toBe(0);
    expect(h.parseErrors).toEqual([]);
  });

  it('OS X 10.5 (`spec`/`wire` columns, a "cache hits" header): four change rows summed exactly', async () => {
    const h = createSource(streamingVmStat(LEOPARD, 'stream', logs));
    await h.source.start!();
    const seen = await collectUntil(h.source, (p) => p['memoryUsage{free}'] === 342542 * 4096, 3000);
    const last = seen.at(-1)!;
    expect(last[FAULTS]).toBe(1004215000 + 2707 + 3885 + 21739 + 5792);
    expect(last['memoryFaults{copy_on_write}']).toBe(19835511 + 0 + 0 + 2013 + 17);
    expect(last['memoryFaults{zero_fill}']).toBe(525442000 + 1263 + 1754 + 4651 + 2561);
    expect(last['pagingOperations{in}']).toBe(2897558);
    expect(last['memoryUsage{wired}']).toBe(189799 * 4096);
    expectNoStepBackwards(seen, COUNTERS);
  });

  it('restarts a child that exits, counting the restart; the sums are kept and the new child\'s totals row is skipped', async () => {
    const h = createSource(streamingVmStat(YOSEMITE, 'exit', logs));
    await h.source.start!();
    const before = await collectUntil(h.source, (p) => p[FAULTS] === 1122834000 + 2115, 2000);
    // The fake exits 1 after its last row; the source says why until the restart.
    let error: unknown;
    await until(async () => {
      error = await h.source.collect().then(() => undefined, (e: unknown) => e);
      return error !== undefined;
    }, 2000);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).kind).toBe('failed');
    expect((error as SourceError).message).toBe('vm_stat 1 exited (code 1): "vm_stat: went away"; restarting in 1 s');
    await until(() => h.restarts.length >= 1, 3000);
    expect(h.restarts[0]).toBe('vm_stat');
    // The second child prints the same capture: its totals row is skipped, its change row added.
    const after = await collectUntil(h.source, (p) => p[FAULTS] === 1122834000 + 2 * 2115, 2000);
    expect(after.at(-1)!['pagingOperations{in}']).toBe(67248050 + 2 * 24);
    expect(after.at(-1)!['memoryUsage{free}']).toBe(41993 * 4096);
    expectNoStepBackwards([...before, ...after], COUNTERS);
    expect(pids().length).toBeGreaterThanOrEqual(2);
  });

  it('kills and restarts a child that prints nothing for 3 intervals', async () => {
    const h = createSource(streamingVmStat(YOSEMITE, 'hang', logs));
    await h.source.start!();
    expect(byKey(await h.source.collect())[FAULTS]).toBe(1122834000);
    const firstPid = pids()[0]!;
    await until(() => h.restarts.length >= 1, 6000);
    expect(isAlive(firstPid)).toBe(false);
    await until(() => pids().length === 2, 2000);
    // The new child's totals row gives levels only: the counters stay where they were.
    expect(byKey(await h.source.collect())[FAULTS]).toBe(1122834000);
  }, 15_000);

  it('counts an unreadable row as rejected input and goes on; no point is invented', async () => {
    const h = createSource(streamingVmStat(YOSEMITE, 'bad-row', logs));
    await h.source.start!();
    const seen = await collectUntil(h.source, (p) => p[FAULTS] === 1122834000 + 2115, 2000);
    expect(h.parseErrors).toEqual(['vm_stat: skipped line "   12   34 garbage": 3 values for 22 columns']);
    expect(Object.keys(seen.at(-1)!)).toHaveLength(22);
  });

  it('stop() ends the child and leaves none running', async () => {
    const h = createSource(streamingVmStat(YOSEMITE, 'stream', logs));
    await h.source.start!();
    await h.source.collect();
    const [pid] = pids();
    expect(isAlive(pid!)).toBe(true);
    await h.source.stop();
    expect(isAlive(pid!)).toBe(false);
    expect(liveChildCount()).toBe(0);
  });

  it('reports a missing vm_stat once, without restarting', async () => {
    const h = createSource(undefined);
    await h.source.start!();
    const error = await h.source.collect().then(() => undefined, (e: unknown) => e as SourceError);
    expect(error?.kind).toBe('missing');
    expect(error?.message).toBe('vm_stat not found on PATH — vm_stat metrics need macOS (vm_stat ships with it); disable the vm_stat source to silence this');
    expect(h.restarts).toEqual([]);
  });
});
