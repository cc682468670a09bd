import { METRICS, type MetricKey } from '../metrics/catalog.js';
import { BATTERY_HEALTH_MIN } from './alerts.js';
import { assertKnownMetrics } from './promql-names.js';
import { emittedPrometheusNames, HOST_LABEL, prometheusLabelName, prometheusMetricName } from './prometheus-names.js';

// The Grafana dashboard for a fleet of Macs. Every query is built from the metric catalog through
// prometheusMetricName(), so a renamed metric renames its queries, and building the dashboard
// fails when a query names a metric the agent does not emit.

export interface DashboardTarget {
  readonly expr: string;
  readonly legendFormat: string;
  readonly refId: string;
  readonly datasource: { readonly type: 'prometheus'; readonly uid: string };
}

export interface DashboardPanel {
  readonly id: number;
  readonly type: 'row' | 'timeseries';
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly description?: string;
  readonly datasource?: { readonly type: 'prometheus'; readonly uid: string };
  readonly fieldConfig?: unknown;
  readonly options?: unknown;
  readonly targets?: readonly DashboardTarget[];
  readonly collapsed?: boolean;
  readonly panels?: readonly DashboardPanel[];
}

export const DASHBOARD_UID = 'macos-agent-fleet';
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** The Prometheus name of a catalog metric. */
function metric(key: MetricKey): string {
  return prometheusMetricName(METRICS[key]);
}

/** The Prometheus label of a catalog attribute, for `by (...)` and legends. */
function label(attribute: string): string {
  return prometheusLabelName(attribute);
}

/** A selector of one metric on the hosts picked in the `host` variable. */
function onHosts(key: MetricKey, matchers = ''): string {
  return `${metric(key)}{${HOST_LABEL}=~"$host"${matchers === '' ? '' : `, ${matchers}`}}`;
}

function rate(key: MetricKey): string {
  return `rate(${onHosts(key)}[$__rate_interval])`;
}

interface PanelSpec {
  readonly title: string;
  readonly unit: string;
  readonly description: string;
  readonly queries: readonly (readonly [expr: string, legend: string])[];
  readonly stacked?: boolean;
  readonly max?: number;
}

interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

const host = `{{${HOST_LABEL}}}`;
const hwId = `{{${label('hw.id')}}}`;
const cluster = `{{${label('macos.cpu.cluster')}}}`;
const source = `{{${label('macos.agent.source')}}}`;
const device = `{{${label('system.device')}}}`;
const direction = `{{${label('disk.io.direction')}}}`;

function rows(): RowSpec[] {
  return [
    {
      title: 'Power',
      panels: [
        { title: 'Component power', unit: 'watt', description: 'CPU, GPU, ANE and package power from powermetrics.', queries: [[onHosts('hwPower'), `${host} ${hwId}`]] },
        { title: 'System power', unit: 'watt', description: 'Whole-machine power from the SMC (PSTR).', queries: [[onHosts('hostPower'), host]] },
        { title: 'Energy rate', unit: 'watt', description: 'Average power over the interval, from the energy counters (joules per second).', queries: [[`sum by (${HOST_LABEL}, ${label('hw.id')}) (${rate('hwEnergy')})`, `${host} ${hwId}`]] },
      ],
    },
    {
      title: 'CPU and GPU',
      panels: [
        { title: 'Cluster frequency', unit: 'hertz', description: 'Average frequency of each CPU cluster.', queries: [[onHosts('clusterFrequency'), `${host} ${cluster}`]] },
        { title: 'Cluster utilisation', unit: 'percentunit', max: 1, description: 'Active residency of each CPU cluster.', queries: [[onHosts('clusterUtilization'), `${host} ${cluster}`]] },
        { title: 'CPU time by mode', unit: 'percentunit', max: 1, stacked: true, description: 'Share of CPU time in user and system mode (iostat).', queries: [[onHosts('cpuUtilization', `${label('cpu.mode')}!="idle"`), `${host} {{${label('cpu.mode')}}}`]] },
        { title: 'Load average (1m)', unit: 'short', description: 'Runnable threads, averaged over a minute.', queries: [[onHosts('loadAverage1m'), host]] },
        { title: 'GPU utilisation', unit: 'percentunit', max: 1, description: 'GPU device utilisation as Activity Monitor shows it (the gpu source; no root needed).', queries: [[onHosts('gpuUtilization'), `${host} ${hwId}`]] },
        { title: 'GPU frequency', unit: 'hertz', description: 'Average GPU frequency.', queries: [[onHosts('gpuFrequency'), `${host} ${hwId}`]] },
      ],
    },
    {
      title: 'Thermals',
      panels: [
        { title: 'Hottest sensor by group', unit: 'celsius', description: 'Hottest SMC sensor of each group (cpu, gpu, memory, battery, storage, airflow).', queries: [[onHosts('temperatureMax'), `${host} {{${label('macos.sensor.group')}}}`]] },
        { title: 'Thermal pressure', unit: 'short', max: 4, description: '0 nominal, 1 moderate, 2 heavy, 3 trapping, 4 sleeping.', queries: [[onHosts('thermalPressure'), host]] },
        { title: 'Fan speed', unit: 'rotrpm', description: 'Current fan speed against each fan\'s maximum.', queries: [
          [onHosts('fanSpeed'), `${host} fan ${hwId}`],
          [onHosts('fanSpeedLimit', `${label('hw.limit_type')}="max"`), `${host} fan ${hwId} max`],
        ] },
      ],
    },
    {
      title: 'Memory and swap',
      panels: [
        { title: 'Memory by state', unit: 'bytes', stacked: true, description: 'Physical memory by state; the states do not overlap and add up to the installed memory.', queries: [[onHosts('memoryUsage'), `${host} {{${label('system.memory.state')}}}`]] },
        { title: 'Installed memory', unit: 'bytes', description: 'Physical memory installed.', queries: [[onHosts('memoryLimit'), host]] },
        { title: 'Swap used', unit: 'bytes', description: 'Swap space used and free.', queries: [[onHosts('pagingUsage'), `${host} {{${label('system.paging.state')}}}`]] },
        { title: 'Swap and paging rate', unit: 'ops', description: 'Pages swapped and paged in and out per second.', queries: [
          [rate('swapOperations'), `${host} swap {{${label('system.paging.direction')}}}`],
          [rate('pagingOperations'), `${host} page {{${label('system.paging.direction')}}}`],
        ] },
        { title: 'Compressor', unit: 'bytes', description: 'Uncompressed size of the data the memory compressor holds.', queries: [[onHosts('compressorStored'), host]] },
      ],
    },
    {
      title: 'Disk',
      panels: [
        { title: 'Disk throughput', unit: 'Bps', description: 'Bytes read and written per second, per physical disk.', queries: [[rate('diskIo'), `${host} ${device} ${direction}`]] },
        { title: 'Disk operations', unit: 'iops', description: 'Reads and writes per second, per physical disk.', queries: [[rate('diskOperations'), `${host} ${device} ${direction}`]] },
        { title: 'Disk latency', unit: 's', description: 'Average time a read or a write took over the interval.', queries: [[`${rate('diskOperationTime')} / ${rate('diskOperations')}`, `${host} ${device} ${direction}`]] },
        { title: 'Disk errors', unit: 'short', description: 'Failed reads and writes over the interval.', queries: [[`increase(${onHosts('diskErrors')}[$__rate_interval])`, `${host} ${device} ${direction}`]] },
      ],
    },
    {
      title: 'Battery',
      panels: [
        { title: 'Battery health', unit: 'percentunit', max: 1, description: `Full-charge capacity against design capacity; the alert fires below ${BATTERY_HEALTH_MIN}.`, queries: [[onHosts('batteryHealth'), host]] },
        { title: 'Battery charge', unit: 'percentunit', max: 1, description: 'Remaining charge, as the menu bar shows it.', queries: [[onHosts('batteryCharge'), host]] },
        { title: 'Battery cycles', unit: 'short', description: 'Charge cycles the battery has been through.', queries: [[onHosts('batteryCycles'), host]] },
      ],
    },
    {
      title: 'Agent health',
      panels: [
        { title: 'Sources up', unit: 'short', max: 1, description: '1 when the last collection of a source produced data.', queries: [[onHosts('sourceUp'), `${host} ${source}`]] },
        { title: 'Collection errors', unit: 'short', description: 'Failed collections per second, by source and kind.', queries: [[`sum by (${HOST_LABEL}, ${label('macos.agent.source')}, ${label('error.type')}) (${rate('collectionErrors')})`, `${host} ${source} {{${label('error.type')}}}`]] },
        { title: 'Collection duration', unit: 's', description: 'Wall time of the last collection of each source.', queries: [[onHosts('collectionDuration'), `${host} ${source}`]] },
        { title: 'Export queue', unit: 'short', description: 'Export batches waiting to be sent (in memory and on disk).', queries: [[onHosts('exportQueueSize'), host]] },
        { title: 'Export requests', unit: 'reqps', description: 'OTLP export attempts per second by outcome.', queries: [[`sum by (${HOST_LABEL}, ${label('macos.agent.export.outcome')}) (${rate('exportRequests')})`, `${host} {{${label('macos.agent.export.outcome')}}}`]] },
        { title: 'Dropped points', unit: 'short', description: 'Points dropped without being delivered, per second.', queries: [[`sum by (${HOST_LABEL}, ${label('macos.agent.drop_reason')}) (${rate('exportDroppedPoints')})`, `${host} {{${label('macos.agent.drop_reason')}}}`]] },
        { title: 'Agent CPU', unit: 'percentunit', description: 'CPU used by the agent process.', queries: [[`sum by (${HOST_LABEL}) (${rate('processCpuTime')})`, host]] },
        { title: 'Agent memory', unit: 'bytes', description: 'Resident memory of the agent process.', queries: [[onHosts('processMemoryUsage'), host]] },
        { title: 'Child restarts', unit: 'short', description: 'Restarts of long-lived child processes over the interval.', queries: [[`sum by (${HOST_LABEL}, ${label('macos.agent.source')}) (increase(${onHosts('childRestarts')}[$__rate_interval]))`, `${host} ${source}`]] },
      ],
    },
    ...memoryPressureAndNetworkRows(),
  ];
}

function memoryPressureAndNetworkRows(): RowSpec[] {
  const iface = `{{${label('network.interface.name')}}}`;
  const direction = `{{${label('network.io.direction')}}}`;
  const perInterface = (key: MetricKey): string =>
    `sum by (${HOST_LABEL}, ${label('network.interface.name')}, ${label('network.io.direction')}) (${rate(key)})`;
  return [
    {
      title: 'Memory pressure',
      panels: [
        { title: 'Memory pressure level', unit: 'short', max: 4, description: 'The kernel\'s level: 1 normal, 2 warning, 4 critical (Activity Monitor\'s green, yellow, red).', queries: [[onHosts('memoryPressureLevel'), host]] },
        { title: 'Memory available', unit: 'percentunit', max: 1, description: 'Share of memory the kernel can hand out without compressing or swapping (memory_pressure\'s "free percentage").', queries: [[onHosts('memoryPressureFree'), host]] },
      ],
    },
    {
      title: 'Network',
      panels: [
        { title: 'Network throughput', unit: 'Bps', description: 'Bytes received and transmitted per second, per interface.', queries: [[perInterface('networkIo'), `${host} ${iface} ${direction}`]] },
        { title: 'Network packets', unit: 'pps', description: 'Packets received and transmitted per second, per interface.', queries: [[perInterface('networkPackets'), `${host} ${iface} ${direction}`]] },
        { title: 'Network errors and drops', unit: 'pps', description: 'Interface errors and dropped packets per second.', queries: [
          [perInterface('networkErrors'), `${host} ${iface} ${direction} errors`],
          [perInterface('networkDropped'), `${host} ${iface} ${direction} dropped`],
        ] },
      ],
    },
  ];
}

const PANEL_WIDTH = 8;
const PANEL_HEIGHT = 8;

function timeseries(id: number, spec: PanelSpec, x: number, y: number): DashboardPanel {
  return {
    id,
    type: 'timeseries',
    title: spec.title,
    description: spec.description,
    gridPos: { x, y, w: PANEL_WIDTH, h: PANEL_HEIGHT },
    datasource: DATASOURCE,
    fieldConfig: {
      defaults: {
        unit: spec.unit,
        min: 0,
        ...(spec.max !== undefined ? { max: spec.max } : {}),
        custom: { stacking: { mode: spec.stacked === true ? 'normal' : 'none' }, fillOpacity: spec.stacked === true ? 30 : 0 },
      },
      overrides: [],
    },
    options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi', sort: 'desc' } },
    targets: spec.queries.map(([expr, legendFormat], i) => ({ expr, legendFormat, refId: String.fromCharCode(65 + i), datasource: DATASOURCE })),
  };
}

/** Every Mac running the agent reports this metric, so its host label values list the fleet. */
const HOST_VARIABLE_METRIC = metric('sourceUp');
/** The `label_values` query the host variable lists hosts with. */
export const HOST_VARIABLE_QUERY = `label_values(${HOST_VARIABLE_METRIC}, ${HOST_LABEL})`;

/** Builds the dashboard; throws when a query names a metric the agent does not emit. */
export function buildDashboard(): Record<string, unknown> {
  const panels: DashboardPanel[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows()) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { x: 0, y: y++, w: 24, h: 1 }, panels: [] });
    row.panels.forEach((spec, i) => {
      const x = (i % 3) * PANEL_WIDTH;
      if (i > 0 && i % 3 === 0) y += PANEL_HEIGHT;
      panels.push(timeseries(id++, spec, x, y));
    });
    y += PANEL_HEIGHT;
  }
  const known = emittedPrometheusNames();
  for (const panel of panels) {
    for (const target of panel.targets ?? []) assertKnownMetrics(`dashboard panel "${panel.title}"`, target.expr, known);
  }
  assertKnownMetrics('dashboard variable "host"', HOST_VARIABLE_METRIC, known);
  return {
    uid: DASHBOARD_UID,
    title: 'macOS fleet',
    description: 'Macs running macos-agent, through the OpenTelemetry Collector gateway into Prometheus (generated by macos-agent collector-config --dashboard).',
    tags: ['macos-agent', 'macos'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '1m',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        {
          name: 'host',
          label: 'Host',
          type: 'query',
          datasource: DATASOURCE,
          definition: HOST_VARIABLE_QUERY,
          query: { query: HOST_VARIABLE_QUERY, refId: 'host' },
          refresh: 2,
          multi: true,
          includeAll: true,
          allValue: '.+',
          current: {},
          sort: 1,
          hide: 0,
        },
      ],
    },
    annotations: { list: [] },
    panels,
  };
}
