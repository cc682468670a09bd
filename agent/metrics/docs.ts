import { ALL_METRICS, type MetricKind, type SourceName } from './catalog.js';

const KIND_LABEL: Record<MetricKind, string> = {
  gauge: 'gauge',
  counter: 'counter (cumulative, monotonic sum)',
  updowncounter: 'updowncounter (cumulative, non-monotonic sum)',
};

const SOURCE_TITLE: Record<SourceName, string> = {
  powermetrics: 'powermetrics (needs the system service: root)',
  iostat: 'iostat',
  vm_stat: 'vm_stat (host_statistics64 through the native addon; the vm_stat command without it)',
  sysctl: 'sysctl (sysctlbyname through the native addon; the sysctl command without it)',
  smc: 'SMC (the native addon; no root needed)',
  memory_pressure: 'memory_pressure (sysctlbyname through the native addon; sysctl and memory_pressure without it)',
  network: 'network (the interface MIB through the native addon; netstat -ibdn without it)',
  thermal_pressure: 'thermal_pressure (notify through the native addon; notifyutil without it)',
  disk: 'disk (IOBlockStorageDriver statistics of the I/O Registry through the native addon; `ioreg` without it). It owns `system.disk.*`; iostat reports its read+write totals as `macos.iostat.disk.*`',
  gpu: 'gpu (IOAccelerator PerformanceStatistics of the I/O Registry through the native addon; `ioreg` without it; no root needed). powermetrics, as root, adds `macos.gpu.frequency` and `macos.gpu.active_residency`; `hw.gpu.utilization` comes only from here',
  battery: 'battery (AppleSmartBattery of the I/O Registry through the native addon; `ioreg` without it, `pmset -g batt` without that; laptops only)',
  agent: 'The agent itself',
};

/** docs/metrics.md, generated from the catalog: `npm run docs` writes it, a test checks it. */
export function renderMetricsDoc(): string {
  const lines = [
    '# Metrics',
    '',
    '<!-- Generated from agent/metrics/catalog.ts by `npm run docs`; do not edit by hand. -->',
    '',
    'Every metric macos-agent exports, by the source that produces it. Names follow the',
    'OpenTelemetry semantic conventions where one exists; `macos.` is our own prefix where none does.',
    'A value a source did not report is a missing point, never a zero.',
    '',
  ];
  const sources = [...new Set(ALL_METRICS.map((m) => m.source))];
  for (const source of sources) {
    lines.push(`## ${SOURCE_TITLE[source]}`, '', '| name | unit | kind | attributes | description |', '|---|---|---|---|---|');
    for (const m of ALL_METRICS.filter((x) => x.source === source)) {
      const attrs = m.attributes.length > 0 ? m.attributes.map((a) => `\`${a}\``).join(', ') : '—';
      lines.push(`| \`${m.name}\` | \`${m.unit}\` | ${KIND_LABEL[m.kind]} | ${attrs} | ${m.description.replace(/\|/g, '\\|')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
