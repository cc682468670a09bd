import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import { EXIT_NO_DATA, EXIT_OK } from '../exit-codes.js';
import { Collection, type SourceStatus } from '../collection.js';
import { METRICS, type MetricSpec, type Attributes } from '../metrics/catalog.js';
import { createMetricsPipeline } from '../metrics/metrics-pipeline.js';
import { toSnapshot, type Snapshot } from '../metrics/snapshot.js';
import { detectResource } from '../resource.js';
import { createSources } from '../sources/registry.js';
import { AgentTelemetry } from '../telemetry.js';

export interface OnceOptions {
  readonly config: AgentConfig;
  readonly log: Logger;
  readonly replayDir?: string | undefined;
  readonly json: boolean;
  readonly write: (text: string) => void;
}

export interface OnceReport extends Snapshot {
  readonly sources: { name: string; ok: boolean; error?: string }[];
}

/** Runs every enabled source once, through the same metrics pipeline as the daemon: what --once shows is what the daemon would export. */
export async function collectOnce(opts: Omit<OnceOptions, 'json' | 'write'>): Promise<OnceReport> {
  const metrics = createMetricsPipeline(detectResource({ config: opts.config, log: opts.log, replayDir: opts.replayDir }));
  const telemetry = new AgentTelemetry();
  const sources = createSources({
    config: opts.config,
    mode: 'once',
    log: opts.log,
    ...(opts.replayDir !== undefined ? { replayDir: opts.replayDir } : {}),
    onChildRestart: (s) => telemetry.recordChildRestart(s),
    onParseError: (s) => telemetry.recordError(s, 'parse'),
  });
  const collection = new Collection(sources, metrics.store, telemetry, opts.log);
  let statuses: SourceStatus[];
  try {
    await collection.start();
    statuses = await collection.collectAll();
  } finally {
    await collection.stop();
  }
  let snapshot: Snapshot;
  try {
    snapshot = toSnapshot(await metrics.collect());
  } finally {
    await metrics.shutdown();
  }
  return {
    ...snapshot,
    sources: statuses.map((s) => ({ name: s.name, ok: s.ok, ...(s.error !== undefined ? { error: s.error } : {}) })),
  };
}

export async function runOnce(opts: OnceOptions): Promise<number> {
  const report = await collectOnce(opts);
  opts.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatTable(report));
  return report.sources.some((s) => s.ok) ? EXIT_OK : EXIT_NO_DATA;
}

const SPEC_BY_NAME = new Map<string, MetricSpec>(Object.values(METRICS).map((m) => [m.name, m]));

function formatAttributes(a: Attributes): string {
  const entries = Object.entries(a);
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}=${v}`).join(', ')}}`;
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, '');
}

/** The group a metric is listed under: its source, or the one that reports it when that source is off. */
function shownSource(spec: MetricSpec | undefined, shown: ReadonlySet<string>): string | undefined {
  if (spec === undefined) return undefined;
  return shown.has(spec.source) || spec.sourceWithoutRoot === undefined ? spec.source : spec.sourceWithoutRoot;
}

/** The terminal view: each source's status, then its metrics, one point per line, columns aligned. */
export function formatTable(report: OnceReport): string {
  const resource = Object.entries(report.resource).map(([k, v]) => `${k}=${String(v)}`).join('  ');
  const lines: string[] = [`resource  ${resource}`, ''];
  const groups = [...report.sources.map((s) => s.name), 'agent'];
  const shown = new Set(groups);
  for (const group of groups) {
    const status = report.sources.find((s) => s.name === group);
    if (status === undefined) lines.push(`== ${group} (the agent itself)`);
    else lines.push(status.ok ? `== ${group}: ok` : `== ${group}: no data — ${status.error ?? 'nothing collected'}`);
    const rows = report.metrics
      .filter((m) => shownSource(SPEC_BY_NAME.get(m.name), shown) === group)
      .flatMap((m) => m.points.map((p) => [`${m.name}${formatAttributes(p.attributes)}`, formatValue(p.value), m.unit] as const));
    const width = Math.max(0, ...rows.map(([label]) => label.length));
    const valueWidth = Math.max(0, ...rows.map(([, value]) => value.length));
    for (const [label, value, unit] of rows) lines.push(`   ${label.padEnd(width)}  ${value.padStart(valueWidth)} ${unit}`);
    lines.push('');
  }
  return lines.join('\n');
}
