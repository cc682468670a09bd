// Where the agent's resident memory goes: RSS of a fresh Node after importing each module alone
// (one process per figure, median of 2), then the marginal cost of each of the daemon's heavy
// dependencies on top of the others, then V8 flags that trade memory for speed.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, runNode } from '../lib/child.js';
import { DIST, REPO } from '../lib/paths.js';

const PROBE = join(REPO, 'bench', 'lib', 'import-probe.js');
const require = createRequire(join(REPO, 'package.json'));
const MB = 1024 * 1024;

function resolvable(spec) {
  if (spec.startsWith('node:') || spec.startsWith('file:')) return true;
  try {
    require.resolve(spec);
    return true;
  } catch {
    // ESM-only packages have no require condition; fall back to their package folder.
    return existsSync(join(REPO, 'node_modules', spec, 'package.json'));
  }
}

const distModule = (rel) => pathToFileURL(join(DIST, rel)).href;

async function probe(specs, flags = [], runs = 2) {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(JSON.parse(await runNode([...flags, PROBE, ...specs], { cwd: REPO })));
  const pick = (k) => (results[0][k] === undefined ? undefined : median(results.map((r) => r[k])));
  return {
    rss: pick('rss'), rssAnon: pick('rssAnon'), rssFile: pick('rssFile'), heapUsed: pick('heapUsed'), heapTotal: pick('heapTotal'), importMs: pick('importMs'),
    packages: results[0].packages,
  };
}

/** The package's direct dependencies that the daemon loads: those daemon.js pulls in, and the CLI's commander. */
async function daemonDependencies() {
  const direct = Object.keys(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).dependencies ?? {});
  const loaded = JSON.parse(await runNode([PROBE, distModule('daemon.js')], { cwd: REPO })).packages;
  return direct.filter((d) => loaded.includes(d) || d === 'commander');
}

export async function run() {
  const rows = [];
  const bare = await probe([]);
  const add = (group, label, m, extra = {}) => rows.push({
    section: 'memory', group, label,
    value: m.rss / MB, unit: 'MB RSS',
    detail: {
      deltaOverBareMB: (m.rss - bare.rss) / MB,
      anonMB: m.rssAnon === undefined ? undefined : m.rssAnon / MB,
      fileMB: m.rssFile === undefined ? undefined : m.rssFile / MB,
      heapUsedMB: m.heapUsed / MB, heapTotalMB: m.heapTotal / MB, importMs: m.importMs, packagesLoaded: m.packages, ...extra,
    },
    status: 'INFO',
  });
  add('alone', 'bare node', bare);

  const singles = [
    'node:child_process', 'node:http2', 'node:tls', 'node:zlib',
    'commander', 'yaml', 'pino', 'execa',
    '@opentelemetry/api', '@opentelemetry/resources', '@opentelemetry/sdk-metrics',
    '@grpc/grpc-js', '@opentelemetry/otlp-transformer', '@opentelemetry/otlp-grpc-exporter-base',
    '@opentelemetry/exporter-metrics-otlp-grpc', 'plist',
  ].filter(resolvable);
  for (const spec of singles) add('alone', spec, await probe([spec]));

  const agentModules = ['config.js', 'log.js', 'collection.js', 'metrics/instruments.js', 'commands/once.js', 'daemon.js'];
  for (const dir of ['sources', 'parsers', 'export']) {
    if (existsSync(join(DIST, dir))) {
      for (const f of readdirSync(join(DIST, dir), { recursive: true })) if (String(f).endsWith('.js')) agentModules.push(`${dir}/${f}`);
    }
  }
  for (const rel of agentModules.filter((r) => existsSync(join(DIST, r)))) {
    try {
      add('agent module', `dist/agent/${rel}`, await probe([distModule(rel)]));
    } catch (error) {
      const why = /Error[^\n]*: [^\n]*/.exec(error.message)?.[0] ?? error.message.split('\n')[0];
      rows.push({ section: 'memory', group: 'agent module', label: `dist/agent/${rel}`, value: null, unit: 'MB RSS', status: 'SKIP', note: `does not load: ${why}` });
    }
  }

  const deps = await daemonDependencies();
  const all = await probe(deps);
  add('together', `all daemon dependencies (${deps.length})`, all);
  for (const dep of deps) {
    const without = await probe(deps.filter((d) => d !== dep));
    rows.push({
      section: 'memory', group: 'marginal', label: `${dep} on top of the others`,
      value: (all.rss - without.rss) / MB, unit: 'MB RSS',
      detail: { anonMB: all.rssAnon === undefined ? undefined : (all.rssAnon - without.rssAnon) / MB },
      status: 'INFO',
    });
  }
  for (const flags of [['--max-semi-space-size=1'], ['--max-semi-space-size=1', '--max-old-space-size=64'], ['--optimize-for-size'], ['--lite-mode']]) {
    add('flags', `all daemon dependencies with ${flags.join(' ')}`, await probe(deps, flags), { flags });
  }
  return rows;
}
