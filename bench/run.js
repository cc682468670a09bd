// `npm run bench`: what the agent costs the Mac it watches. Runs each section in a process of its
// own, prints one table with every figure against its budget, and writes the same rows as JSON to
// bench/results/latest.json. `node bench/run.js --only parse,cycle` runs some sections;
// `--cycles N` sets the daemon run's length (default 1000).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runNode } from './lib/child.js';
import { CLI, REPO, RESULTS } from './lib/paths.js';

const SECTIONS = ['parse', 'spawn', 'cycle', 'daemon', 'packages', 'imports'];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    cycles: { type: 'string' },
  },
});
const only = values.only ? values.only.split(',') : SECTIONS;
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`unknown section "${s}"; sections are ${SECTIONS.join(', ')}`);
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run bench\` (it compiles first) or \`npm run build\``);

const started = Date.now();
const rows = [];
for (const section of SECTIONS.filter((s) => only.includes(s))) {
  const out = join(tmpdir(), `macos-agent-bench-${process.pid}-${section}.json`);
  const t0 = Date.now();
  process.stderr.write(`bench: ${section}…`);
  try {
    await runNode([join(REPO, 'bench', 'lib', 'section-runner.js'), section, out], {
      cwd: REPO,
      env: { ...process.env, BENCH_CYCLES: values.cycles ?? process.env.BENCH_CYCLES ?? '1000' },
    });
    rows.push(...JSON.parse(readFileSync(out, 'utf8')));
    process.stderr.write(` ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    process.stderr.write(` failed\n${error.message}\n`);
    rows.push({ section, label: `${section} section`, value: null, unit: '', status: 'ERROR', note: error.message.split('\n').find((l) => /Error/.test(l)) ?? error.message.split('\n')[0] });
  } finally {
    rmSync(out, { force: true });
  }
}

for (const r of rows) {
  if (r.budget !== undefined && r.status === undefined) {
    r.status = r.value === null || r.value === undefined ? 'SKIP' : r.value < r.budget ? 'PASS' : 'MISS';
  }
  r.status ??= 'INFO';
}

const fmt = (v) => {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  const a = Math.abs(v);
  return a >= 1000 ? Math.round(v).toLocaleString('en-US') : a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
};
const table = [['section', 'figure', 'value', 'unit', 'budget', 'status']];
for (const r of rows) {
  table.push([r.section, r.label, fmt(r.value), r.unit, r.budget === undefined ? '' : `< ${fmt(r.budget)}`, r.status + (r.note ? `  (${r.note})` : '')]);
}
const widths = table[0].map((_, i) => Math.max(...table.slice(0, -0 || undefined).map((row) => (i === 5 ? 0 : row[i].length))));
const lines = table.map((row) => row.map((cell, i) => (i === 2 ? cell.padStart(widths[i]) : i === 5 ? cell : cell.padEnd(widths[i]))).join('  '));
lines.splice(1, 0, widths.map((w, i) => '-'.repeat(i === 5 ? 6 : w)).join('  '));
process.stdout.write(`${lines.join('\n')}\n`);

const missed = rows.filter((r) => r.status === 'MISS' || r.status === 'ERROR');
process.stdout.write(`\n${rows.filter((r) => r.status === 'PASS').length} within budget, ${missed.length} missed or failed; ${((Date.now() - started) / 1000).toFixed(0)} s\n`);

mkdirSync(RESULTS, { recursive: true });
const result = {
  startedAt: new Date(started).toISOString(),
  durationS: (Date.now() - started) / 1000,
  machine: { platform: platform(), release: release(), cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemMB: Math.round(totalmem() / 2 ** 20), node: process.version },
  rows,
};
writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`written to ${join(RESULTS, 'latest.json')}\n`);
if (missed.length > 0) process.exitCode = 1;
