// `node bench/side-by-side.js DIST_A DIST_B [--interval 1000] [--minutes 3] [--copies 2]`: the
// daemon built twice (two `dist/` folders, e.g. before and after a change), each installed as on a
// Mac, run at the same time on the same fakes, so both see the same machine. Single daemon runs
// on a shared VM move by ±1.5 ms a cycle at 1 s, more than most changes; runs side by side
// (copies of each, staggered so no two cycles coincide) compare what one run alone cannot.
// Prints each agent's CPU per cycle for each minute and over the whole run.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { makeBenchBundle } from './lib/bundle.js';
import { installBuild, makeMacInstall } from './lib/mac-install.js';
import { DIST } from './lib/paths.js';
import { cpuMsOf, memoryOf } from './lib/proc.js';
import { startReceiver } from './lib/receiver.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { interval: { type: 'string', default: '1000' }, minutes: { type: 'string', default: '3' }, copies: { type: 'string', default: '2' } },
});
if (positionals.length !== 2) throw new Error('usage: node bench/side-by-side.js DIST_A DIST_B [--interval MS] [--minutes N] [--copies N]');
const dists = positionals.map((d) => resolve(d));
for (const d of dists) if (!existsSync(join(d, 'macos-agent.js'))) throw new Error(`${d} holds no macos-agent.js: give a built dist/ folder (npm run build)`);
const intervalMs = Number(values.interval);
const minutes = Number(values.minutes);
const copies = Number(values.copies);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const { DAEMON_NODE_FLAGS } = await import(pathToFileURL(join(DIST, 'service', 'launchd-plist.js')).href);
const bundle = await makeBenchBundle();
writeFileSync(join(bundle.dir, 'config.yaml'), 'log_level: warn\n');
const mac = await makeMacInstall(bundle);
const work = mkdtempSync(join(tmpdir(), 'macos-agent-side-by-side-'));
const agents = [];
try {
  for (let copy = 0; copy < copies; copy++) {
    for (const [i, dist] of dists.entries()) {
      const name = `${'AB'[i]}${copy + 1}`;
      const root = join(work, name);
      mkdirSync(root);
      await installBuild(root, dist);
      mkdirSync(join(root, 'state'));
      const rx = await startReceiver();
      const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, join(root, 'dist', 'macos-agent.js'), '--config', join(bundle.dir, 'config.yaml'), '--endpoint', rx.endpoint, '--interval', `${intervalMs}ms`], {
        env: { PATH: bundle.fakes.path, HOME: bundle.dir, LANG: 'C', MACOS_AGENT_STATE_DIR: join(root, 'state'), ...mac.env },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      agents.push({ name, rx, child, cpu: 0, cycles: 0 });
      await sleep(Math.max(20, intervalMs / (2 * copies * dists.length)));
    }
  }
  process.stderr.write(`${agents.length} agents at ${intervalMs} ms, warming up for 30 s…\n`);
  await sleep(30_000);
  for (let minute = 1; minute <= minutes; minute++) {
    const before = agents.map((a) => ({ cpu: cpuMsOf(a.child.pid), cycles: a.rx.exports.length }));
    await sleep(60_000);
    const line = agents.map((a, i) => {
      if (a.child.exitCode !== null) throw new Error(`agent ${a.name} exited (code ${a.child.exitCode})`);
      const cpu = cpuMsOf(a.child.pid) - before[i].cpu;
      const cycles = a.rx.exports.length - before[i].cycles;
      a.cpu += cpu;
      a.cycles += cycles;
      return `${a.name} ${(cpu / cycles).toFixed(2)}`;
    });
    process.stdout.write(`minute ${minute}: ${line.join('  ')} ms CPU a cycle\n`);
  }
  for (const a of agents) {
    process.stdout.write(`${a.name} (${dists['AB'.indexOf(a.name[0])]}): ${(a.cpu / a.cycles).toFixed(2)} ms CPU a cycle over ${a.cycles} cycles, RSS ${(memoryOf(a.child.pid).rss / 2 ** 20).toFixed(1)} MB, ${a.rx.exports.at(-1)?.points} points an export\n`);
  }
} finally {
  for (const a of agents) if (a.child.exitCode === null) a.child.kill('SIGTERM');
  await Promise.all(agents.map((a) => (a.child.exitCode !== null ? undefined : new Promise((r) => a.child.on('exit', r)))));
  await Promise.all(agents.map((a) => a.rx.close()));
  rmSync(work, { recursive: true, force: true });
  mac.cleanup();
  bundle.cleanup();
}
