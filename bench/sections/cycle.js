// One full collection cycle with every source, as the daemon runs it: the sources (fake commands on
// PATH, through the agent's real spawn path; the SMC and the memory counters through the addon
// built against the simulated AppleSMC and Mach host, as installed on a Mac), the SDK collection,
// the series filter and the OTLP protobuf encoding (the serializer OTLPMetricExporter runs on each
// export); not gzip, which the daemon skips on a loopback endpoint (exporter.compression=auto) and
// which is measured apart. Figures are the agent process's own
// CPU (process.cpuUsage: user + system; the children's CPU is theirs, not counted) and wall time.
// "All work" divides the process's whole CPU over the run by the cycles, so it includes what
// happens between cycles (reading and parsing the powermetrics and iostat streams, timers, GC).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { makeBenchBundle } from '../lib/bundle.js';
import { inProcessAgent } from '../lib/in-process-agent.js';
import { makeMacInstall } from '../lib/mac-install.js';
import { median } from '../lib/child.js';
import { DIST } from '../lib/paths.js';

const INTERVAL_MS = 100;
const CYCLES = 100;
const WARMUP_CYCLES = 20;

const cpuMs = (since) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function runCycles({ bundle, replay, dist = DIST }) {
  const configFile = join(bundle.dir, 'config.yaml');
  writeFileSync(configFile, 'log_level: silent\n');
  const { module, metrics, collection } = await inProcessAgent({
    dist, configFile, overrides: { interval: `${INTERVAL_MS}ms` }, resource: { 'service.name': 'macos-agent-bench' },
    ...(replay ? { replayDir: bundle.dir } : {}),
  });
  const { toExportBatch } = await module('export/batch.js');

  await collection.start();
  // The streaming children send their first sample one interval after start.
  let statuses = [];
  for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
    statuses = await collection.collectAll();
    if (statuses.every((s) => s.ok)) break;
    await sleep(INTERVAL_MS);
  }

  const steps = { sources: [], sdk: [], encode: [], gzip: [], wall: [] };
  let points = 0;
  /** @type {Uint8Array | undefined} */
  let payload;
  let measuredCpu = 0;
  const cycle = async (record) => {
    const t0 = performance.now();
    let c = process.cpuUsage();
    statuses = await collection.collectAll();
    const sourcesCpu = cpuMs(c);
    c = process.cpuUsage();
    const batch = toExportBatch(await metrics.collect());
    const sdkCpu = cpuMs(c);
    c = process.cpuUsage();
    const encoded = batch && ProtobufMetricsSerializer.serializeRequest(batch.resourceMetrics);
    const encodeCpu = cpuMs(c);
    if (record) {
      steps.sources.push(sourcesCpu);
      steps.sdk.push(sdkCpu);
      steps.encode.push(encodeCpu);
      steps.wall.push(performance.now() - t0);
      points = batch?.points ?? 0;
      payload = encoded;
    }
  };
  for (let i = 0; i < WARMUP_CYCLES; i++) {
    await cycle(false);
    await sleep(INTERVAL_MS);
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < CYCLES; i++) {
    const next = t0 + (i + 1) * INTERVAL_MS;
    await cycle(true);
    await sleep(Math.max(0, next - performance.now()));
  }
  measuredCpu = cpuMs(c0);
  // The daemon sends to the node's own collector uncompressed (exporter.compression=auto on a
  // loopback endpoint); to a collector on another machine it gzips each export, measured apart.
  let bytes = 0;
  if (payload !== undefined) {
    for (let i = 0; i < 20; i++) {
      const c = process.cpuUsage();
      bytes = gzipSync(payload).length;
      steps.gzip.push(cpuMs(c));
      await sleep(INTERVAL_MS / 10);
    }
  }
  await collection.stop();
  await metrics.shutdown();
  return { steps, allWorkCpu: measuredCpu / CYCLES, points, bytes, statuses };
}

export async function run() {
  const rows = [];
  const bundle = await makeBenchBundle();
  const mac = await makeMacInstall(bundle);
  const pathBefore = process.env.PATH;
  const envBefore = { ...process.env };
  process.env.PATH = bundle.fakes.path;
  const variants = [
    { key: 'mac', how: 'installed as on a Mac: SMC and memory through the addon, fake commands on PATH', dist: join(mac.compiledCli, '..'), env: mac.env, budget: true },
    { key: 'spawn', how: 'without the addon: fake commands on PATH, real spawn path, no SMC', dist: DIST, env: {} },
    { key: 'replay', how: 'replayed files (--replay, no spawn)', dist: DIST, env: {}, replay: true },
  ];
  try {
    for (const { key, how, dist, env, budget, replay = false } of variants) {
      Object.assign(process.env, env);
      const r = await runCycles({ bundle, replay, dist });
      for (const name of Object.keys(env)) {
        if (envBefore[name] === undefined) delete process.env[name];
        else process.env[name] = envBefore[name];
      }
      const sum = (k) => median(r.steps[k]);
      const failed = r.statuses.filter((s) => !s.ok).map((s) => `${s.name}: ${s.error}`);
      const detail = {
        cycles: CYCLES, intervalMs: INTERVAL_MS,
        sourcesCpuMs: sum('sources'), sdkCollectCpuMs: sum('sdk'), encodeCpuMs: sum('encode'), gzipCpuMs: sum('gzip'),
        points: r.points, gzipBytes: r.bytes,
        sources: r.statuses.map((s) => ({ name: s.name, ok: s.ok, points: s.points, ...(s.error ? { error: s.error } : {}) })),
        captures: bundle.captures,
      };
      rows.push({
        section: 'cycle', label: `agent CPU per cycle, all work (${how})`, value: r.allWorkCpu, unit: 'ms CPU',
        ...(budget ? { budget: 5 } : {}), detail,
        ...(failed.length > 0 ? { note: `sources failing: ${failed.join('; ')}` } : {}),
      });
      rows.push({ section: 'cycle', label: `  of which sources (collectAll), median (${key})`, value: sum('sources'), unit: 'ms CPU' });
      rows.push({ section: 'cycle', label: `  of which SDK collect + series filter, median (${key})`, value: sum('sdk'), unit: 'ms CPU' });
      rows.push({ section: 'cycle', label: `  of which protobuf encode, median (${key})`, value: sum('encode'), unit: 'ms CPU' });
      rows.push({ section: 'cycle', label: `gzip of one export, to a collector on another machine (not in the cycle above), median (${key})`, value: sum('gzip'), unit: 'ms CPU' });
      rows.push({ section: 'cycle', label: `wall time of one cycle, median (${how})`, value: median(r.steps.wall), unit: 'ms', detail: { points: r.points } });
      if (replay) {
        rows.push({
          section: 'cycle', label: `bytes per cycle, gzip, every source replayed with the SMC dump (${r.points} points)`, value: r.bytes, unit: 'bytes',
          budget: 16 * 1024, detail: { points: r.points, bytesPerPoint: r.bytes / r.points },
        });
      }
    }
  } finally {
    process.env.PATH = pathBefore;
    mac.cleanup();
    bundle.cleanup();
  }
  return rows;
}
