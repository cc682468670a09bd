// `node [service flags] bench/lib/packages-probe.js`, run by sections/packages.js: one Node process
// doing one part of a 1 s daemon cycle with the design card's packages, nothing else. It fills the
// metrics pipeline once from the real sources (installed as on a Mac, fakes on PATH), stops them,
// then every second does what PROBE_MODE says with those same points:
//   idle     nothing (what an agent process costs to wake once a second)
//   collect  the SDK collection (MeterProvider, the cycle reader and the series filter)
//   export   OTLPMetricExporter sending one fixed batch to the loopback receiver
//   both     collect, then export what was collected: the SDK and exporter part of a daemon cycle
// It writes its CPU per cycle (user + system, process.cpuUsage) as one JSON line on stdout.
import { inProcessAgent } from './in-process-agent.js';

const { PROBE_MODE: mode, PROBE_DIST: dist, PROBE_CONFIG: configFile, PROBE_ENDPOINT: endpoint } = process.env;
const cycles = Number(process.env.PROBE_CYCLES ?? 120);
const warmup = Number(process.env.PROBE_WARMUP ?? 20);
const { module, config, log, metrics, sources, collection } = await inProcessAgent({
  dist, configFile, overrides: { interval: '1000ms', 'exporter.endpoint': endpoint }, resource: { 'service.name': 'macos-agent', 'host.name': 'bench' },
});
const { toExportBatch } = await module('export/batch.js');
const { createOtlpSender, loadExporterSettings } = await module('export/exporter.js');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
await collection.start();
// powermetrics sends its first sample one interval after it starts.
for (const deadline = Date.now() + 15_000; metrics.store.count('powermetrics') === 0 && Date.now() < deadline;) {
  await collection.collectAll();
  await sleep(250);
}
const statuses = await collection.collectAll();
const failed = statuses.filter((s) => !s.ok).map((s) => `${s.name}: ${s.error}`);
if (metrics.store.count('powermetrics') === 0) failed.push('powermetrics: no sample within 15 s');
// A daemon cycle at 1 s: the once-a-minute sources (sysctl, battery) are not due.
metrics.store.clear('sysctl');
metrics.store.clear('battery');
const points = [...metrics.store.all()];
await collection.stop();
for (const s of sources) metrics.store.clear(s.name);
metrics.store.clear('agent');

const sender = mode === 'export' || mode === 'both' ? createOtlpSender(loadExporterSettings(config), log) : undefined;
const collect = async () => {
  // The store is filled as sources fill it each cycle: fresh arrays, the same points.
  metrics.store.set('powermetrics', [...points]);
  return toExportBatch(await metrics.collect());
};
let batch = await collect();
let start;
for (let i = 0; i < warmup + cycles; i++) {
  if (i === warmup) start = process.cpuUsage();
  if (mode === 'collect' || mode === 'both') batch = await collect();
  if (sender !== undefined) {
    const sent = await sender.send(batch);
    if (!sent.ok) throw new Error(`export failed: ${sent.status} ${sent.message}`);
  }
  await sleep(1000);
}
const cpu = process.cpuUsage(start);
process.stdout.write(`${JSON.stringify({ mode, cycles, points: batch?.points ?? 0, cpuPerCycleMs: (cpu.user + cpu.system) / 1000 / cycles, failed })}\n`);
await sender?.shutdown();
await metrics.shutdown();
process.exit(0);
