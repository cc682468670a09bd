import { existsSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../agent/config.js';
import type { Point } from '../agent/metrics/catalog.js';
import { NulDocumentSplitter } from '../agent/sources/nul-stream.js';
import { PowermetricsSource, samplersFor, type PowermetricsTiming } from '../agent/sources/powermetrics.js';
import { SourceError, type RunMode } from '../agent/sources/source.js';
import { runCli } from './helpers/cli.js';
import { catScript, makeFakeBin, type FakeBin } from './helpers/fake-bin.js';
import { isAlive } from './helpers/processes.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'powermetrics');
const M4PRO_5 = join(FIXTURES, 'm4pro-mac16_8-macos15.5-gpu_power-5samples-nulsep-matiasinsaurralde.plist');
const M2ULTRA = join(FIXTURES, 'm2ultra-mac14_14-macos14.4-pumas.plist');
const M1 = join(FIXTURES, 'm1-mbp17_1-macos13.3-pumas-1.plist');
const INTERVAL_MS = 100;
const TIMING: Partial<PowermetricsTiming> = { restartDelayMs: 50, maxRestartDelayMs: 200, refusedRetryMs: 60_000, killGraceMs: 200 };

/** The M4 Pro stream's GPU energy (mJ) and frequency (MHz), document by document, from the capture. */
const M4PRO_GPU = [[19, 426.525], [107, 479.398], [788, 867.616], [146, 483.431], [126, 458.421]] as const;

let fake: FakeBin;
let workDir: string;
const originalPath = process.env['PATH'];

beforeAll(() => {
  fake = makeFakeBin({ powermetrics: `#!${process.execPath}\n${readFileSync(join(import.meta.dirname, 'fakes', 'powermetrics.cjs'), 'utf8')}` });
  workDir = mkdtempSync(join(tmpdir(), 'macos-agent-pm-'));
});
afterAll(() => fake.cleanup());

interface Harness {
  readonly source: PowermetricsSource;
  readonly restarts: string[];
  readonly parseErrors: Error[];
  readonly warnings: string[];
  /** The restart delays the source announced in its log. */
  readonly delays: number[];
  /** The fake's runs so far: pid, start time and arguments. */
  runs(): { pid: number; at: number; args: string }[];
}

const running: PowermetricsSource[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  process.env['PATH'] = originalPath;
  for (const key of ['FAKE_POWERMETRICS_CAPTURE', 'FAKE_POWERMETRICS_MODE', 'FAKE_POWERMETRICS_LOG']) delete process.env[key];
});

let harnessCount = 0;
function harness(opts: { capture?: string; mode?: string; runMode?: RunMode; timing?: Partial<PowermetricsTiming>; replayDir?: string; set?: Record<string, string>; path?: string } = {}): Harness {
  const logFile = join(workDir, `runs-${++harnessCount}.log`);
  process.env['PATH'] = opts.path ?? fake.path;
  process.env['FAKE_POWERMETRICS_CAPTURE'] = opts.capture ?? M4PRO_5;
  process.env['FAKE_POWERMETRICS_MODE'] = opts.mode ?? 'stream';
  process.env['FAKE_POWERMETRICS_LOG'] = logFile;
  const { config } = loadConfig({ env: {}, overrides: { 'sources.powermetrics.interval': `${INTERVAL_MS}ms`, ...opts.set } });
  const restarts: string[] = [];
  const parseErrors: Error[] = [];
  const warnings: string[] = [];
  const delays: number[] = [];
  const log = pino({ level: 'warn' }, {
    write: (line: string) => {
      const entry = JSON.parse(line) as { msg: string; restart_in_ms?: number };
      warnings.push(entry.msg);
      if (entry.restart_in_ms !== undefined) delays.push(entry.restart_in_ms);
    },
  });
  const source = new PowermetricsSource({
    config, log, mode: opts.runMode ?? 'daemon',
    ...(opts.replayDir !== undefined ? { replayDir: opts.replayDir } : {}),
    onChildRestart: (s) => restarts.push(s),
    onParseError: (_s, e) => parseErrors.push(e),
  }, { ...TIMING, ...opts.timing });
  running.push(source);
  return {
    source, restarts, parseErrors, warnings, delays,
    runs: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n') : []).map((l) => {
      const [pid, at, ...args] = l.split(' ');
      return { pid: Number(pid), at: Number(at), args: args.join(' ') };
    }),
  };
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function collectError(source: PowermetricsSource): Promise<SourceError> {
  try {
    await source.collect();
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }
  throw new Error('collect() succeeded');
}

function value(points: readonly Point[], metric: string, attrs: Record<string, string | number> = {}): number | undefined {
  return points.find((p) => p.metric === metric && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))?.value;
}


/** Collects until the points satisfy `ready` (the child writes a document per interval). */
async function collectWhen(source: PowermetricsSource, ready: (points: Point[]) => boolean = () => true, timeoutMs = 5000): Promise<Point[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const points = await source.collect().catch(() => undefined);
    if (points !== undefined && ready(points)) return points;
    if (Date.now() > deadline) throw new Error('timed out waiting for a sample');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('powermetrics source, daemon mode, through a fake powermetrics on PATH', () => {
  it('spawns one child with the configured samplers and interval, and keeps the latest sample while energy accumulates', async () => {
    const h = harness();
    await h.source.start();
    // After 3 documents or more, the state is one consistent prefix of the stream: the energy of
    // every document so far, and the frequency of the last one.
    const prefix = M4PRO_GPU.map((_, i) => M4PRO_GPU.slice(0, i + 1).reduce((sum, [mJ]) => sum + mJ / 1000, 0));
    const points = await collectWhen(h.source, (p) => value(p, 'hwEnergy', { 'hw.id': 'gpu' })! >= prefix[2]! - 1e-9);
    const energy = value(points, 'hwEnergy', { 'hw.id': 'gpu', 'hw.type': 'gpu' })!;
    const seen = prefix.findIndex((sum) => Math.abs(sum - energy) < 1e-9);
    expect(seen).toBeGreaterThanOrEqual(2);
    expect(value(points, 'gpuFrequency', { 'hw.id': 'gpu' })).toBeCloseTo(M4PRO_GPU[seen]![1] * 1e6, 0);
    expect(h.runs().map((r) => [r.pid, r.args])).toEqual([[h.source.childPid, '--samplers cpu_power,gpu_power,ane_power,thermal -i 100 -f plist']]);
    expect(h.restarts).toEqual([]);
    expect(h.parseErrors).toEqual([]);
  });

  it('takes one short first sample, then starts the long-lived child at once, so power data does not wait two intervals', async () => {
    const h = harness({ timing: { firstSampleMs: 50 }, set: { 'sources.powermetrics.interval': '1000ms' } });
    const started = Date.now();
    await h.source.start();
    const points = await collectWhen(h.source, (p) => value(p, 'hwEnergy', { 'hw.id': 'gpu' }) !== undefined);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(value(points, 'hwEnergy', { 'hw.id': 'gpu' })).toBeCloseTo(M4PRO_GPU[0]![0] / 1000, 9);
    await until('the long-lived child', () => h.runs().length >= 2);
    expect(h.runs().map((r) => r.args)).toEqual([
      '--samplers cpu_power,gpu_power,ane_power,thermal -i 50 -n 1 -f plist',
      '--samplers cpu_power,gpu_power,ane_power,thermal -i 1000 -f plist',
    ]);
    expect(h.source.childPid).toBe(h.runs()[1]!.pid);
    expect(h.restarts).toEqual([]);
  });

  it('restarts a child that exits, with a doubling, capped delay, and says why', async () => {
    const h = harness({ mode: 'exit-now' });
    await h.source.start();
    await until('4 restarts', () => h.runs().length >= 5);
    const error = await collectError(h.source);
    expect(error.kind).toBe('failed');
    expect(error.message).toBe('powermetrics exited (code 1): "fake failure: no sampler could be started"');
    expect(h.warnings.some((w) => w === 'powermetrics exited (code 1): "fake failure: no sampler could be started"; restarting')).toBe(true);
    // Restart delays of 50, 100, 200, 200 ms (the cap): a crash loop does not spin.
    const starts = h.runs().map((r) => r.at);
    const gaps = starts.slice(1, 5).map((t, i) => t - starts[i]!);
    expect(h.delays.slice(0, 4)).toEqual([50, 100, 200, 200]);
    [50, 100, 200, 200].forEach((delay, i) => expect(gaps[i]).toBeGreaterThanOrEqual(delay));
  });

  it('a child that crashes after good samples is restarted and its samples were kept', async () => {
    const h = harness({ mode: 'exit-after:2' });
    await h.source.start();
    await until('a restart', () => h.restarts.length >= 1);
    await until('a sample from the new child', () => h.runs().length >= 2 && h.source.childPid === h.runs()[1]!.pid);
    // The new child's first document adds to the energy of the first child's two.
    const points = await collectWhen(h.source, (p) => value(p, 'hwEnergy', { 'hw.id': 'gpu' })! > (19 + 107) / 1000);
    expect(value(points, 'hwEnergy', { 'hw.id': 'gpu' })).toBeCloseTo((19 + 107 + 19) / 1000, 9);
  });

  it('kills a child that sends nothing for 3 intervals (SIGTERM, then SIGKILL) and starts another', async () => {
    const h = harness({ mode: 'hang' });
    await h.source.start();
    const first = await until('the first run', () => h.runs()[0]);
    expect(await h.source.collect()).toEqual([]);
    await until('a restart', () => h.restarts.length >= 1, 3000);
    expect(isAlive(first.pid)).toBe(false);
    expect(h.warnings).toContain('powermetrics sent no sample for 3 intervals (300 ms) and was killed; restarting');
  });

  it('tells once that powermetrics needs root, and does not retry in a loop', async () => {
    const h = harness({ mode: 'root' });
    await h.source.start();
    await until('the refusal', () => h.warnings.length > 0);
    const error = await collectError(h.source);
    expect(error.kind).toBe('permission');
    expect(error.message).toBe('powermetrics exited (code 1): "powermetrics must be invoked as the superuser" — it needs root: '
      + 'install the system service (macos-agent service install --system) or disable the source with --set sources.powermetrics.enabled=false');
    await new Promise((r) => setTimeout(r, 5 * INTERVAL_MS));
    expect(h.runs()).toHaveLength(1);
    expect(h.warnings).toEqual([`${error.message} (trying again every 60 s)`]);
    expect((await collectError(h.source)).message).toBe(error.message);
  });

  it('says powermetrics is missing when it is not on PATH', async () => {
    const h = harness({ path: '/nonexistent' });
    await h.source.start();
    await until('the failure', () => h.warnings.length > 0);
    const error = await collectError(h.source);
    expect(error.kind).toBe('missing');
    expect(error.message).toMatch(/^powermetrics not found on PATH — it ships with macOS/);
  });

  it('counts a document cut off by a dying child as a parse error, and keeps the last whole sample', async () => {
    const h = harness({ mode: 'cut', capture: M1 });
    await h.source.start();
    await until('the cut document', () => h.parseErrors.length >= 1);
    expect(h.parseErrors[0]!.message).toMatch(/^powermetrics document is not a valid plist: document ends inside .* — document dropped$/);
    await until('a restart', () => h.restarts.length >= 1);
    const points = await collectWhen(h.source);
    expect(value(points, 'hwPower', { 'hw.id': 'cpu' })).toBeCloseTo(0.0440773, 9);
  });

  it('drops a document over max_document_bytes and reads the next ones', async () => {
    const h = harness({ mode: 'oversize', capture: M4PRO_5, set: { 'sources.powermetrics.max_document_bytes': '64KiB' } });
    await h.source.start();
    await until('the dropped document', () => h.parseErrors.length >= 1);
    expect(h.parseErrors[0]!.message).toMatch(/^powermetrics document larger than sources.powermetrics.max_document_bytes \(65536 bytes; \d+ seen\) dropped/);
    // Document 1 (the padded one) is gone; 0, 2 and 3 are read whole.
    const expected = (19 + 788 + 146) / 1000;
    const points = await collectWhen(h.source, (p) => value(p, 'hwEnergy', { 'hw.id': 'gpu' })! >= expected - 1e-9);
    expect(value(points, 'hwEnergy', { 'hw.id': 'gpu' })).toBeCloseTo(expected, 9);
    expect(value(points, 'gpuFrequency', { 'hw.id': 'gpu' })).toBeCloseTo(483.431e6, 0);
    expect(h.parseErrors).toHaveLength(1);
  });

  it('recycles the child on schedule and counts it as a restart', async () => {
    const h = harness({ timing: { recycleAfterMs: 300 } });
    await h.source.start();
    const first = await until('the first run', () => h.runs()[0]);
    await until('a recycle', () => h.restarts.length >= 1);
    await until('the second run', () => h.runs()[1]);
    // The second child starts only after the first one's exit was reported, yet in 3 of ~25 full
    // runs (four files at a time) the first pid still answered signal 0 just then, and in none of
    // 10 runs that recorded /proc at that point: it must be gone soon after, not at that instant.
    await until('the first child gone', () => !isAlive(first.pid), 2000);
    expect(h.source.childPid).toBe(h.runs()[1]!.pid);
  });

  it('stop() ends the child, even one that ignores SIGTERM, and resolves once it is gone', async () => {
    const h = harness({ mode: 'hang', timing: { killGraceMs: 100 } });
    await h.source.start();
    const { pid } = await until('the run', () => h.runs()[0]);
    await h.source.stop();
    expect(isAlive(pid)).toBe(false);
    expect(h.source.childPid).toBeUndefined();
    await new Promise((r) => setTimeout(r, 3 * INTERVAL_MS));
    expect(h.runs()).toHaveLength(1);

    const streaming = harness();
    await streaming.source.start();
    const run = await until('the run', () => streaming.runs()[0]);
    await streaming.source.stop();
    await until('the streaming child gone', () => !isAlive(run.pid), 2000);
  });
});

describe('NulDocumentSplitter', () => {
  function split(chunks: Buffer[], maxDocumentBytes = 1024) {
    const documents: string[] = [];
    const oversize: number[] = [];
    let maxBuffered = 0;
    const splitter = new NulDocumentSplitter({ maxDocumentBytes, onDocument: (d) => documents.push(d), onOversize: (n) => oversize.push(n) });
    for (const chunk of chunks) {
      splitter.push(chunk);
      maxBuffered = Math.max(maxBuffered, splitter.bufferedBytes);
    }
    splitter.end();
    return { documents, oversize, maxBuffered };
  }

  it('finds the same documents however the bytes are chunked, a UTF-8 character split included', () => {
    const stream = Buffer.from('<a>é</a>\0\n<b>€</b>\0\0  \n\0<c/>', 'utf8');
    const whole = split([stream]).documents;
    expect(whole).toEqual(['<a>é</a>', '\n<b>€</b>', '<c/>']);
    expect(split([...stream].map((b) => Buffer.from([b]))).documents).toEqual(whole);
  });

  it('drops a document over the limit as soon as it is too long, buffers no more than the limit, and resynchronises at the next NUL', () => {
    const big = `<big>${'x'.repeat(3000)}</big>`;
    const chunks = [`<ok/>\0${big.slice(0, 1500)}`, big.slice(1500), '\0<next/>\0'].map((c) => Buffer.from(c));
    const { documents, oversize, maxBuffered } = split(chunks);
    expect(documents).toEqual(['<ok/>', '<next/>']);
    expect(oversize).toEqual([1500]);
    expect(maxBuffered).toBeLessThanOrEqual(1024);
    // The same, each document whole within one chunk (as one pipe read brings them).
    const oneChunk = split([Buffer.from(`<ok/>\0${big}\0<next/>\0`)]);
    expect(oneChunk.documents).toEqual(['<ok/>', '<next/>']);
    expect(oneChunk.oversize).toEqual([big.length]);
    expect(oneChunk.maxBuffered).toBe(0);
  });
});

describe('samplers', () => {
  it('leaves out ane_power on an Intel Mac, which has no Neural Engine, and keeps the rest', () => {
    expect(samplersFor(['cpu_power', 'gpu_power', 'ane_power', 'thermal'], true)).toEqual(['cpu_power', 'gpu_power', 'thermal']);
    expect(samplersFor(['cpu_power', 'gpu_power', 'ane_power', 'thermal'], false)).toEqual(['cpu_power', 'gpu_power', 'ane_power', 'thermal']);
  });
});

describe('powermetrics source, once mode and replay', () => {
  it('--once takes one short sample (-n 1 -i 500) and waits for it', async () => {
    const h = harness({ runMode: 'once', capture: M2ULTRA });
    await h.source.start();
    const points = await h.source.collect();
    expect(h.runs().map((r) => r.args)).toEqual(['--samplers cpu_power,gpu_power,ane_power,thermal -i 500 -n 1 -f plist']);
    expect(value(points, 'hwPower', { 'hw.id': 'gpu', 'hw.type': 'gpu' })).toBeCloseTo(70.9246, 9);
    expect(value(points, 'hwEnergy', { 'hw.id': 'cpu' })).toBeCloseTo(0.855, 9);
  });

  it('--once reports the root refusal as a permission error', async () => {
    const h = harness({ runMode: 'once', mode: 'root' });
    const error = await collectError(h.source);
    expect(error.kind).toBe('permission');
    expect(error.message).toMatch(/"powermetrics must be invoked as the superuser" — it needs root: install the system service/);
  });

  it('replays every document of powermetrics.plist: energy summed over all, values from the last', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'macos-agent-replay-'));
    copyFileSync(M4PRO_5, join(dir, 'powermetrics.plist'));
    const h = harness({ replayDir: dir });
    const points = await h.source.collect();
    expect(value(points, 'hwEnergy', { 'hw.id': 'gpu' })).toBeCloseTo((19 + 107 + 788 + 146 + 126) / 1000, 9);
    expect(value(points, 'gpuFrequency', { 'hw.id': 'gpu' })).toBeCloseTo(458.421e6, 0);
    expect(value(points, 'hwPower', { 'hw.id': 'gpu' })).toBeCloseTo(0.126 / 5.0091785, 9);
    expect(h.runs()).toEqual([]);
    // A daemon replaying the bundle sees the same values every cycle.
    expect(await h.source.collect()).toEqual(points);
  });

  it('replay of a file with no readable document is a parse error, each bad document counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'macos-agent-replay-'));
    writeFileSync(join(dir, 'powermetrics.plist'), `${readFileSync(join(FIXTURES, 'handmade-truncated-m1.plist'), 'utf8')}\0garbage\0`);
    const h = harness({ replayDir: dir });
    const error = await collectError(h.source);
    expect(error.kind).toBe('parse');
    expect(error.message).toBe('no readable powermetrics document in replay file (2 rejected; see the log)');
    expect(h.parseErrors).toHaveLength(2);
  });

  it('counts absurd values as parse errors and exports no point for them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'macos-agent-replay-'));
    copyFileSync(join(FIXTURES, 'handmade-absurd-values-m1.plist'), join(dir, 'powermetrics.plist'));
    const h = harness({ replayDir: dir });
    const points = await h.source.collect();
    expect(h.parseErrors.map((e) => e.message)).toContain('powermetrics processor.gpu_power = 1000000000000000 rejected: power 1000000000000 W is outside 0..2000 W');
    expect(h.parseErrors).toHaveLength(6);
    expect(value(points, 'hwPower', { 'hw.id': 'cpu' })).toBeUndefined();
    expect(value(points, 'hwPower', { 'hw.id': 'gpu' })).toBeUndefined();
    expect(value(points, 'thermalPressure')).toBeUndefined();
    expect(value(points, 'hwPower', { 'hw.id': 'package' })).toBeCloseTo(0.0594301, 9);
  });
});

describe('macos-agent --once with powermetrics', () => {
  const others = ['iostat', 'vm_stat', 'sysctl', 'smc', 'memory_pressure', 'network', 'disk', 'gpu', 'battery'].flatMap((s) => ['--set', `sources.${s}.enabled=false`]);

  interface OnceJson {
    metrics: { name: string; unit: string; points: { attributes: Record<string, string | number>; value: number }[] }[];
    sources: { name: string; ok: boolean; error?: string }[];
  }
  const find = (report: OnceJson, name: string, attrs: Record<string, string | number>) =>
    report.metrics.find((m) => m.name === name)?.points.find((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))?.value;

  it('prints the fake powermetrics sample (M2 Ultra) through the SDK', async () => {
    const result = await runCli(['--once', '--json', ...others], { PATH: fake.path, FAKE_POWERMETRICS_CAPTURE: M2ULTRA });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as OnceJson;
    expect(report.sources).toEqual([{ name: 'powermetrics', ok: true }]);
    expect(find(report, 'hw.power', { 'hw.id': 'cpu', 'hw.type': 'cpu' })).toBeCloseTo(0.835188, 9);
    expect(find(report, 'hw.power', { 'hw.id': 'gpu', 'hw.type': 'gpu' })).toBeCloseTo(70.9246, 9);
    expect(find(report, 'hw.power', { 'hw.id': 'ane', 'hw.type': 'npu' })).toBe(0);
    expect(find(report, 'macos.cpu.cluster.frequency', { 'macos.cpu.cluster': 'P3' })).toBe(3.27921e9);
    expect(find(report, 'system.cpu.frequency', { 'cpu.logical_number': 0 })).toBe(9.79723e8);
    expect(find(report, 'macos.thermal.pressure', {})).toBe(0);
    expect(report.metrics.find((m) => m.name === 'hw.energy')?.unit).toBe('J');
  });

  it('replays a bundle the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'macos-agent-replay-'));
    copyFileSync(M2ULTRA, join(dir, 'powermetrics.plist'));
    const result = await runCli(['--once', '--json', '--replay', dir, ...others]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as OnceJson;
    expect(find(report, 'hw.power', { 'hw.id': 'package' })).toBeCloseTo(71.7598, 9);
    expect(find(report, 'macos.gpu.frequency', { 'hw.id': 'gpu' })).toBe(1360850000);
    expect(find(report, 'macos.gpu.active_residency', { 'hw.id': 'gpu' })).toBeCloseTo(0.9463218, 9);
  });

  it('capture saves one short sample exactly as powermetrics wrote it, and it replays', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'macos-agent-capture-')), 'bundle');
    const logFile = join(workDir, 'capture-runs.log');
    await runCli(['capture', dir], { PATH: fake.path, FAKE_POWERMETRICS_CAPTURE: M1, FAKE_POWERMETRICS_LOG: logFile });
    expect(readFileSync(join(dir, 'powermetrics.plist'), 'utf8')).toBe(`${readFileSync(M1, 'utf8')}\0`);
    expect(readFileSync(logFile, 'utf8')).toMatch(/ --samplers cpu_power,gpu_power,ane_power,thermal -i 1000 -n 1 -f plist\n$/);
    const replayed = JSON.parse((await runCli(['--once', '--json', '--replay', dir, ...others])).stdout) as OnceJson;
    expect(find(replayed, 'hw.power', { 'hw.id': 'cpu' })).toBeCloseTo(0.0440773, 9);
  });

  it('a root refusal fails only powermetrics; vm_stat still reports', async () => {
    const both = makeFakeBin({
      powermetrics: `#!${process.execPath}\n${readFileSync(join(import.meta.dirname, 'fakes', 'powermetrics.cjs'), 'utf8')}`,
      vm_stat: catScript(join(import.meta.dirname, 'fixtures', 'vm_stat', 'm1pro-ansible-fixture.txt')),
    });
    try {
      const result = await runCli(['--once', '--json', '--set', 'sources.iostat.enabled=false', '--set', 'sources.sysctl.enabled=false', '--set', 'sources.smc.enabled=false',
        '--set', 'sources.memory_pressure.enabled=false', '--set', 'sources.network.enabled=false',
        '--set', 'sources.disk.enabled=false', '--set', 'sources.gpu.enabled=false', '--set', 'sources.battery.enabled=false'],
        { PATH: both.path, FAKE_POWERMETRICS_MODE: 'root' });
      const report = JSON.parse(result.stdout) as OnceJson;
      expect(result.code).toBe(0);
      expect(report.sources.map((s) => [s.name, s.ok])).toEqual([['powermetrics', false], ['vm_stat', true]]);
      expect(report.sources[0]!.error).toMatch(/must be invoked as the superuser" — it needs root: install the system service \(macos-agent service install --system\)/);
    } finally {
      both.cleanup();
    }
  });
});
