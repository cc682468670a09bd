// The daemon as a user runs it: the bundled CLI (dist/macos-agent.js), fake commands on PATH (so
// powermetrics, iostat and sysctl run through their real spawn paths), exporting to a loopback
// OTLP/gRPC receiver.
// Installed as on a Mac (lib/mac-install.js): the addon reads the SMC and the memory counters from
// the simulated AppleSMC and Mach host. Measured from outside, as an operator would: resident
// memory and CPU time of the agent process (its children excluded).
//   1. start-up at the default interval: time from spawn to the first successful export, and to
//      the first export that carries powermetrics data; then SIGTERM and the time to exit.
//   2. BENCH_CYCLES (default 1000) cycles at a 100 ms interval (the shortest the config allows),
//      under the V8 flags the launchd service runs Node with (DAEMON_NODE_FLAGS): RSS at start,
//      after warm-up and at the end, its slope, CPU per cycle, bytes per export.
//      The main run exports to the loopback receiver uncompressed (exporter.compression=auto).
//   3. BENCH_CYCLES_1S (default 150) cycles at a 1 s interval, as the service runs it: CPU per
//      cycle at the interval the CPU budget is set for (fixed costs per second, timers and GC
//      spread over fewer cycles, weigh more than at 100 ms).
//   4. a third as long, for comparison: with gzip, as to a collector on another machine (its bytes
//      on the wire are the export-size budget); without the addon (vm_stat spawned every cycle, no
//      SMC); with Node's default V8 flags; and unbundled (dist/agent/cli.js and the ~340 files it
//      imports, what the bundle is built from).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeBenchBundle } from '../lib/bundle.js';
import { median } from '../lib/child.js';
import { CLI, DIST } from '../lib/paths.js';
import { cpuMsOf, memoryOf } from '../lib/proc.js';
import { makeMacInstall } from '../lib/mac-install.js';
import { startReceiver } from '../lib/receiver.js';

const MB = 1024 * 1024;
const CYCLES = Number(process.env.BENCH_CYCLES ?? 1000);
const INTERVAL_MS = 100;
const CYCLES_1S = Number(process.env.BENCH_CYCLES_1S ?? 150);
const HEAP_REPORTER = join(import.meta.dirname, '..', 'lib', 'heap-reporter.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startAgent({ bundle, install, endpoint, args = [], nodeFlags = [], onHeap }) {
  const stateDir = join(bundle.dir, `state-${Date.now()}`);
  mkdirSync(stateDir, { recursive: true });
  const started = performance.timeOrigin + performance.now();
  const child = spawn(process.execPath, [...nodeFlags, install?.cli ?? CLI, '--config', join(bundle.dir, 'config.yaml'), '--endpoint', endpoint, ...args], {
    env: { PATH: bundle.fakes.path, HOME: bundle.dir, LANG: 'C', MACOS_AGENT_STATE_DIR: stateDir, ...install?.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let partial = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c) => {
    const lines = (partial + c).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      if (line.startsWith('BENCH-HEAP ')) onHeap?.(JSON.parse(line.slice(11)));
      else stderr = `${stderr}${line}\n`.slice(-4000);
    }
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: performance.timeOrigin + performance.now() })));
  return { child, started, exited, stderr: () => stderr };
}

async function stopAgent(agent) {
  const t0 = performance.timeOrigin + performance.now();
  agent.child.kill('SIGTERM');
  const timeout = sleep(10_000).then(() => undefined);
  const exit = await Promise.race([agent.exited, timeout]);
  if (exit === undefined) {
    agent.child.kill('SIGKILL');
    return { exitMs: null, code: null };
  }
  return { exitMs: exit.at - t0, code: exit.code };
}

async function waitFor(predicate, timeoutMs, agent) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    if (agent.child.exitCode !== null) throw new Error(`the agent exited (code ${agent.child.exitCode}): ${agent.stderr().trim().split('\n').at(-1)}`);
    await sleep(5);
  }
  return false;
}

async function startup(bundle, install) {
  const rx = await startReceiver();
  const agent = startAgent({ bundle, install, endpoint: rx.endpoint });
  try {
    await waitFor(() => rx.exports.length > 0, 15_000, agent);
    const first = rx.exports[0];
    // At the default interval powermetrics sends its first sample one interval (10 s) after start.
    await waitFor(() => rx.exports.some((e) => e.names.includes('hw.power')), 25_000, agent);
    const firstPower = rx.exports.find((e) => e.names.includes('hw.power'));
    const stop = await stopAgent(agent);
    return {
      firstExportMs: first ? first.at - agent.started : null,
      firstPowerExportMs: firstPower ? firstPower.at - agent.started : null,
      firstPoints: first?.points, stop,
    };
  } finally {
    if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
    await rx.close();
  }
}

function slopePerThousand(samples) {
  // Least squares of RSS (MB) over cycles, as MB per 1,000 cycles.
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((a, s) => a + s.cycles, 0) / n;
  const my = samples.reduce((a, s) => a + s.rss, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.cycles - mx) * (s.rss - my);
    den += (s.cycles - mx) ** 2;
  }
  return den === 0 ? 0 : ((num / den) * 1000) / MB;
}

async function longRun(bundle, install, cycles, nodeFlags, args = [], intervalMs = INTERVAL_MS) {
  const rx = await startReceiver();
  const heap = [];
  const agent = startAgent({
    bundle, install, endpoint: rx.endpoint, args: ['--interval', `${intervalMs}ms`, ...args],
    nodeFlags: [...nodeFlags, `--import=${HEAP_REPORTER}`],
    onHeap: (h) => heap.push({ ...h, cycles: rx.exports.length }),
  });
  const samples = [];
  const sample = () => {
    const m = memoryOf(agent.child.pid);
    samples.push({ cycles: rx.exports.length, at: Date.now(), cpuMs: cpuMsOf(agent.child.pid), rss: m.rss, anon: m.anon, file: m.file });
  };
  try {
    if (!(await waitFor(() => rx.exports.length > 0, 15_000, agent))) throw new Error(`no export within 15 s: ${agent.stderr()}`);
    sample();
    // V8 and malloc settle their sizes over the first ~600 cycles at this pace (a 3,000-cycle run:
    // 91.9 MB at 600 cycles, 92.9 MB at 3,000): the first half of the run is warm-up.
    const warmup = Math.max(100, Math.round(cycles / 2));
    const deadline = Date.now() + (cycles * intervalMs * 3) + 30_000;
    while (rx.exports.length < cycles && Date.now() < deadline) {
      await sleep(Math.max(500, intervalMs));
      if (agent.child.exitCode !== null) throw new Error(`the agent exited (code ${agent.child.exitCode}): ${agent.stderr().trim().split('\n').at(-1)}`);
      sample();
    }
    const start = samples[0];
    const warm = samples.find((s) => s.cycles >= warmup) ?? samples.at(-1);
    const end = samples.at(-1);
    const steady = samples.filter((s) => s.cycles >= warmup);
    const exports = rx.exports.slice(Math.min(10, rx.exports.length - 1));
    const tcpBytes = rx.tcpBytesRead();
    await stopAgent(agent);
    // Live heap: the heap in use right after the first and the last major GC after warm-up.
    const steadyHeap = heap.filter((h) => h.cycles >= warmup);
    return {
      cycles: end.cycles,
      rssStartMB: start.rss / MB, rssWarmMB: warm.rss / MB, rssEndMB: end.rss / MB,
      rssMaxSteadyMB: Math.max(...steady.map((s) => s.rss)) / MB,
      anonEndMB: end.anon / MB,
      fileEndMB: end.file / MB,
      heapTotalEndMB: (heap.at(-1)?.heapTotal ?? NaN) / MB,
      majorGcs: steadyHeap.length,
      liveHeapFirstMB: steadyHeap.length > 1 ? steadyHeap[0].heapUsed / MB : null,
      liveHeapLastMB: steadyHeap.length > 1 ? steadyHeap.at(-1).heapUsed / MB : null,
      liveHeapAfterMajorGcMB: steadyHeap.map((h) => +(h.heapUsed / MB).toFixed(1)),
      rssSlopeMBPer1000: slopePerThousand(steady),
      rssGrowthMB: (median(steady.slice(-5).map((s) => s.rss)) - median(steady.slice(0, 5).map((s) => s.rss))) / MB,
      cpuPerCycleMs: (end.cpuMs - warm.cpuMs) / (end.cycles - warm.cycles),
      cpuPercentOfCore: (100 * (end.cpuMs - warm.cpuMs)) / (end.at - warm.at),
      wireBytes: median(exports.map((e) => e.wireBytes)),
      compressed: exports.every((e) => e.compressed),
      rawBytes: median(exports.map((e) => e.rawBytes)),
      gzipBytes: median(exports.map((e) => e.gzipBytes)),
      points: median(exports.map((e) => e.points)),
      metrics: median(exports.map((e) => e.metrics)),
      tcpBytesPerExport: tcpBytes / rx.exports.length,
      samples: samples.map((s) => ({ cycles: s.cycles, rssMB: +(s.rss / MB).toFixed(1), cpuMs: s.cpuMs })),
    };
  } finally {
    if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
    await rx.close();
  }
}

/** The V8 flags the launchd job puts before the script, so the long run measures the agent as the service runs it. */
async function serviceNodeFlags() {
  try {
    const { DAEMON_NODE_FLAGS } = await import(pathToFileURL(join(DIST, 'service', 'launchd-plist.js')).href);
    return Array.isArray(DAEMON_NODE_FLAGS) ? [...DAEMON_NODE_FLAGS] : [];
  } catch {
    return [];
  }
}

export async function run() {
  const serviceFlags = await serviceNodeFlags();
  const bundle = await makeBenchBundle();
  writeFileSync(join(bundle.dir, 'config.yaml'), 'log_level: warn\n');
  const mac = await makeMacInstall(bundle);
  const rows = [];
  const row = (label, value, unit, extra = {}) => rows.push({ section: 'daemon', label, value, unit, ...extra });
  try {
    const s = await startup(bundle, mac);
    row('time from start to the first successful export (default 10 s interval)', s.firstExportMs, 'ms', { budget: 1000, detail: { points: s.firstPoints } });
    row('time from start to the first export with powermetrics data', s.firstPowerExportMs, 'ms');
    row('SIGTERM to exit', s.stop.exitMs, 'ms', { budget: 5000, detail: { code: s.stop.code } });

    const shorter = Math.max(200, Math.round(CYCLES / 3));
    const runs = [
      { install: mac, flags: serviceFlags, cycles: CYCLES, how: serviceFlags.length > 0 ? `as the service runs it on a Mac: ${serviceFlags.join(' ')}` : 'node defaults, as the service runs it', main: true },
      // The CPU budget is set at a 1 s interval: per-second costs weigh more per cycle than at 100 ms.
      { install: mac, flags: serviceFlags, cycles: CYCLES_1S, intervalMs: 1000, how: 'at a 1 s interval, as the service runs it', main: false, cpuBudget: 4 },
      // The main run exports to the loopback receiver, which exporter.compression=auto leaves
      // uncompressed (the node's own collector); a collector elsewhere gets gzip: its bytes on the
      // wire are the export-size budget, and its CPU shows what compressing costs.
      { install: mac, flags: serviceFlags, args: ['--set', 'exporter.compression=gzip'], cycles: shorter, how: 'gzip, as to a collector on another machine', main: false, bytes: true },
      // Without the addon (any OS but macOS, or an install whose addon did not build) vm_stat is run
      // every cycle and there is no SMC: what one spawn per cycle costs.
      { install: undefined, flags: serviceFlags, cycles: shorter, how: 'without the addon: vm_stat spawned every cycle, no SMC', main: false },
      ...(serviceFlags.length > 0 ? [{ install: mac, flags: [], cycles: shorter, how: 'node defaults, for comparison', main: false }] : []),
      // What bundling saves: V8 keeps every loaded module's source text, comments included.
      { install: { ...mac, cli: mac.compiledCli }, flags: serviceFlags, cycles: shorter, how: 'unbundled: dist/agent/cli.js and the files it imports', main: false },
    ];
    for (const { install, flags, args, cycles, how, main, bytes, intervalMs = INTERVAL_MS, cpuBudget } of runs) {
      const r = await longRun(bundle, install, cycles, flags, args, intervalMs);
      const detail = { ...r, nodeFlags: flags, intervalMs, captures: bundle.captures, addon: install === undefined ? 'none (vm_stat spawned)' : 'simulated AppleSMC and Mach host' };
      row(`RSS at start (${how})`, r.rssStartMB, 'MB');
      row(`RSS after warm-up (${how})`, r.rssWarmMB, 'MB');
      // The budgets apply to the agent as it ships; the comparison run is for information.
      const budget = (value) => (main ? { budget: value } : {});
      row(`RSS at the end, ${r.cycles} cycles (${how})`, r.rssEndMB, 'MB', { ...budget(85), detail });
      row(`RSS highest after warm-up (${how})`, r.rssMaxSteadyMB, 'MB', budget(85));
      row(`RSS slope after warm-up (${how})`, r.rssSlopeMBPer1000, 'MB/1000 cycles', budget(2));
      row(`  private (anonymous) memory at the end (${how})`, r.anonEndMB, 'MB', { detail: { fileBackedMB: r.fileEndMB, v8HeapTotalMB: r.heapTotalEndMB } });
      row(`  V8 heap after major GC, first -> last after warm-up (${how})`, r.liveHeapFirstMB === null ? null : r.liveHeapLastMB - r.liveHeapFirstMB, 'MB growth', {
        ...budget(2), detail: { firstMB: r.liveHeapFirstMB, lastMB: r.liveHeapLastMB, majorGcs: r.majorGcs, afterEachMajorGcMB: r.liveHeapAfterMajorGcMB },
        ...(r.liveHeapFirstMB === null ? { note: `${r.majorGcs} major GC after warm-up: too few to compare` } : {}),
      });
      row(`agent CPU per cycle, daemon (${how})`, r.cpuPerCycleMs, 'ms CPU', { ...(cpuBudget !== undefined ? { budget: cpuBudget } : {}), detail: { percentOfOneCoreAtItsInterval: r.cpuPercentOfCore } });
      row(`  the same as a share of one core at the default 10 s interval (${how})`, r.cpuPerCycleMs / 100, '% of a core');
      if (main || bytes) {
        row(`bytes per export on the wire, gRPC message, ${r.compressed ? 'gzip' : 'uncompressed'} (${how})`, r.wireBytes, 'bytes', {
          ...(bytes ? { budget: 16 * 1024 } : {}),
          detail: { compressed: r.compressed, uncompressedBytes: r.rawBytes, gzipBytes: r.gzipBytes, tcpBytesPerExport: r.tcpBytesPerExport, points: r.points },
        });
      }
      if (bytes) {
        row('bytes per data point (gzip)', r.gzipBytes / r.points, 'bytes', { detail: { points: r.points, metrics: r.metrics, uncompressedPerPoint: r.rawBytes / r.points } });
        row('data points per export (M2 Ultra bundle with the SMC)', r.points, 'points');
        row(`TCP bytes per export, HTTP/2 framing and headers included (${how})`, r.tcpBytesPerExport, 'bytes');
      }
    }
  } finally {
    mac.cleanup();
    bundle.cleanup();
  }
  return rows;
}
