// What one spawn of a one-shot command costs the agent: its own CPU (process.cpuUsage, user +
// system; the child's CPU is not counted) and the wall time until the output is in hand. The
// fakes print real captures, so the agent reads what it would read on a Mac. The agent's path
// (runCommand) is compared with node:child_process.execFile and spawn called directly.
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../lib/child.js';
import { catScript, makeFakeBin } from '../lib/fakes.js';
import { requireFixture } from '../lib/fixtures.js';
import { DIST } from '../lib/paths.js';

const RUNS = 60;
const WARMUP = 8;

async function measure(fn) {
  for (let i = 0; i < WARMUP; i++) await fn();
  const cpu = [];
  const wall = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { cpuMs: median(cpu), cpuMeanMs: cpu.reduce((a, b) => a + b, 0) / cpu.length, wallMs: median(wall) };
}

function execFileText(command, args) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { ...process.env, LC_ALL: 'C' } }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

function spawnText(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LC_ALL: 'C' } });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.on('error', reject);
    child.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

export async function run() {
  const fakes = makeFakeBin({
    vm_stat: catScript(requireFixture('m1pro-ansible-fixture.txt')),
    sysctl: catScript(requireFixture('m1-mba10_1-8gb-sysctl-vm-asitopgo.txt')),
    iostat: catScript(requireFixture('macos-iostat-dKI-n99-cumulative-px.txt')),
  });
  process.env.PATH = fakes.path;
  const rows = [];
  try {
    const { runCommand } = await import(pathToFileURL(join(DIST, 'sources', 'run-command.js')).href);
    for (const command of ['vm_stat', 'sysctl', 'iostat']) {
      const viaAgent = await measure(() => runCommand({ source: command, command, args: [], timeoutMs: 5000, replayFile: `${command}.txt` }));
      rows.push({
        section: 'spawn', label: `one ${command} spawn, agent path (runCommand): agent CPU`, value: viaAgent.cpuMs, unit: 'ms CPU',
        detail: { wallMs: viaAgent.wallMs, cpuMeanMs: viaAgent.cpuMeanMs, runs: RUNS },
      });
      rows.push({ section: 'spawn', label: `one ${command} spawn, agent path (runCommand): wall`, value: viaAgent.wallMs, unit: 'ms' });
    }
    const plain = await measure(() => execFileText('vm_stat', []));
    rows.push({ section: 'spawn', label: 'one vm_stat spawn, node:child_process.execFile: agent CPU', value: plain.cpuMs, unit: 'ms CPU', detail: { wallMs: plain.wallMs, cpuMeanMs: plain.cpuMeanMs } });
    const raw = await measure(() => spawnText('vm_stat', []));
    rows.push({ section: 'spawn', label: 'one vm_stat spawn, node:child_process.spawn: agent CPU', value: raw.cpuMs, unit: 'ms CPU', detail: { wallMs: raw.wallMs, cpuMeanMs: raw.cpuMeanMs } });
    rows.push({ section: 'spawn', label: 'one vm_stat spawn, node:child_process.spawn: wall', value: raw.wallMs, unit: 'ms' });
  } finally {
    fakes.cleanup();
  }
  return rows;
}
