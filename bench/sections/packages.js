// What the design card's packages cost on their own in a 1 s daemon cycle, the interval the CPU
// budget is set for: @opentelemetry/sdk-metrics collecting the daemon's points, and
// OTLPMetricExporter (@grpc/grpc-js) sending them to a loopback receiver. Each part runs in a Node
// process of its own under the service's V8 flags (lib/packages-probe.js), filled once from the
// real sources installed as on a Mac and then doing only that part every second, so no source,
// child or parser runs in the measured cycles. The four processes run side by side, staggered, so
// they see the same machine. The figure to read beside the daemon's CPU per cycle at 1 s: what
// the agent's own code (sources, parsers, scheduling) adds on top of "both".
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeBenchBundle } from '../lib/bundle.js';
import { makeMacInstall } from '../lib/mac-install.js';
import { spawnNode } from '../lib/child.js';
import { DIST } from '../lib/paths.js';
import { startReceiver } from '../lib/receiver.js';

const PROBE = join(import.meta.dirname, '..', 'lib', 'packages-probe.js');
const CYCLES = Number(process.env.BENCH_CYCLES_1S ?? 150);
const MODES = [
  { mode: 'idle', label: 'an agent process waking once a second, doing nothing' },
  { mode: 'collect', label: 'SDK collection of the daemon\'s points (MeterProvider, reader, series filter)' },
  { mode: 'export', label: 'OTLPMetricExporter sending that batch to the loopback receiver' },
  { mode: 'both', label: 'SDK collection and export: the packages\' part of a daemon cycle' },
];

async function probe(mode, index, { bundle, mac, flags }) {
  const rx = await startReceiver();
  await new Promise((r) => setTimeout(r, 150 * index));
  const child = spawnNode([...flags, PROBE], {
    env: {
      PATH: bundle.fakes.path, HOME: bundle.dir, LANG: 'C', ...mac.env,
      PROBE_MODE: mode, PROBE_DIST: join(mac.compiledCli, '..'), PROBE_CONFIG: join(bundle.dir, 'config.yaml'),
      PROBE_ENDPOINT: rx.endpoint, PROBE_CYCLES: String(CYCLES),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { err = `${err}${c}`.slice(-4000); });
  const code = await new Promise((r) => child.on('exit', r));
  await rx.close();
  if (code !== 0) throw new Error(`packages probe (${mode}) exited ${code}: ${err.trim().split('\n').at(-1)}`);
  return { ...JSON.parse(out.trim().split('\n').at(-1)), exports: rx.exports.length };
}

export async function run() {
  const { DAEMON_NODE_FLAGS } = await import(pathToFileURL(join(DIST, 'service', 'launchd-plist.js')).href);
  const bundle = await makeBenchBundle();
  writeFileSync(join(bundle.dir, 'config.yaml'), 'log_level: silent\n');
  const mac = await makeMacInstall(bundle);
  try {
    const results = await Promise.all(MODES.map(({ mode }, i) => probe(mode, i, { bundle, mac, flags: DAEMON_NODE_FLAGS })));
    const idle = results.find((r) => r.mode === 'idle').cpuPerCycleMs;
    return MODES.map(({ mode, label }, i) => {
      const r = results[i];
      return {
        section: 'packages', label: `${label}, at 1 s${mode === 'idle' ? '' : ` (${r.points} points)`}`, value: r.cpuPerCycleMs, unit: 'ms CPU',
        ...(r.failed.length > 0 ? { note: `sources failing while filling: ${r.failed.join('; ')}` } : mode === 'both' ? { note: `${(r.cpuPerCycleMs - idle).toFixed(2)} ms above the idle process; the daemon's budget is 4 ms a cycle` } : {}),
        detail: { ...r, nodeFlags: DAEMON_NODE_FLAGS },
      };
    });
  } finally {
    mac.cleanup();
    bundle.cleanup();
  }
}
