// On a GitHub macOS runner (a virtual Mac): checks what `macos-agent --once --json --log-level debug`
// printed. vm_stat, sysctl and iostat must produce data, and the memory counters and sysctls must come
// through the addon built against the real SDK (not the vm_stat and sysctl commands it falls back
// to). What the other sources gave (SMC and powermetrics depend on what the VM emulates) is listed
// in the job summary, not asserted.
//
//   node .ci/assert-once.mjs ONCE.json ONCE.log
import { appendFileSync, readFileSync } from 'node:fs';

const REQUIRED_SOURCES = ['vm_stat', 'sysctl', 'iostat'];
const READ_THROUGH_ADDON = ['vm_stat', 'sysctl'];

const [jsonFile, logFile] = process.argv.slice(2);
if (jsonFile === undefined || logFile === undefined) {
  process.stderr.write('usage: node .ci/assert-once.mjs ONCE.json ONCE.log\n');
  process.exit(2);
}

const document = JSON.parse(readFileSync(jsonFile, 'utf8'));
const up = new Map(
  (document.metrics.find((m) => m.name === 'macos.agent.source.up')?.points ?? [])
    .map((p) => [p.attributes['macos.agent.source'], p.value]),
);
const logLines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const addonReads = new Set(logLines.filter((l) => / \(no \S+ process per collection\)$/.test(l.msg ?? '')).map((l) => l.source));
const summary = [
  `### ${process.env['RUNNER_NAME'] ?? 'this Mac'}: ${document.resource['os.name'] ?? ''} ${document.resource['os.version'] ?? ''}, ${document.resource['host.arch']}, ${document.resource['macos.hw.model'] ?? 'unknown model'}`,
  '',
  '| source | up | read through the addon |',
  '|---|---|---|',
  ...[...up.entries()].sort().map(([source, value]) => `| ${source} | ${value} | ${addonReads.has(source) ? 'yes' : ''} |`),
  '',
  `${document.metrics.length} metrics, ${document.metrics.reduce((n, m) => n + m.points.length, 0)} points.`,
  '',
].join('\n');
process.stdout.write(summary);
if (process.env['GITHUB_STEP_SUMMARY']) appendFileSync(process.env['GITHUB_STEP_SUMMARY'], summary);

const failures = [
  ...REQUIRED_SOURCES.filter((s) => up.get(s) !== 1).map((s) => `the ${s} source produced no data (macos.agent.source.up = ${up.get(s)})`),
  ...READ_THROUGH_ADDON.filter((s) => !addonReads.has(s)).map((s) => `the ${s} source did not read through the addon (no "(no ${s} process per collection)" debug line in ${logFile})`),
];
for (const failure of failures) process.stderr.write(`assert-once: ${failure}\n`);
process.exit(failures.length === 0 ? 0 : 1);
