import { describe, expect, it } from 'vitest';
import { buildDashboard, HOST_VARIABLE_QUERY, type DashboardPanel } from '../agent/fleet/dashboard.js';
import { assertKnownMetrics, metricNamesInPromql } from '../agent/fleet/promql-names.js';
import { emittedPrometheusNames, HOST_LABEL } from '../agent/fleet/prometheus-names.js';
import { parsePromql } from './helpers/promql.js';

/** The dashboard as Grafana would import it: printed JSON, parsed back. */
const dashboard = JSON.parse(JSON.stringify(buildDashboard(), null, 2)) as {
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string; query: unknown; definition?: string }[] };
};
const graphs = dashboard.panels.filter((p) => p.type !== 'row');
const known = emittedPrometheusNames();

describe('metricNamesInPromql', () => {
  it('finds the selected metrics and skips functions, keywords, labels, durations and variables', () => {
    expect(metricNamesInPromql('sum by (host_name, hw_id) (rate(hw_energy_joules_total{host_name=~"$host"}[$__rate_interval]))')).toEqual(['hw_energy_joules_total']);
    expect(metricNamesInPromql('deriv(a_size[15m]) > 0 and a_size > 10')).toEqual(['a_size']);
    expect(metricNamesInPromql('max by (h) (x_ratio) unless on (h) y_total offset 5m')).toEqual(['x_ratio', 'y_total']);
    expect(metricNamesInPromql('absent(up{job="node"}) * 1e3')).toEqual(['up']);
  });

  it('rejects a query naming a metric the agent does not emit', () => {
    expect(() => assertKnownMetrics('panel X', 'rate(node_cpu_seconds_total[5m])', known)).toThrow(/panel X: .*names node_cpu_seconds_total, which macos-agent does not emit/);
    expect(() => assertKnownMetrics('panel Y', 'vector(1)', known)).toThrow(/selects no metric/);
  });
});

describe('Grafana dashboard', () => {
  it('has a Prometheus datasource variable and a host variable over the host label', () => {
    const variables = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    expect(variables['datasource']).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(variables['host']).toMatchObject({ type: 'query', definition: HOST_VARIABLE_QUERY });
    expect(HOST_VARIABLE_QUERY).toBe(`label_values(macos_agent_source_up_ratio, ${HOST_LABEL})`);
  });

  it('gives every panel at least one query, on the chosen hosts and datasource', () => {
    expect(graphs.length).toBeGreaterThan(10);
    for (const panel of graphs) {
      expect(panel.targets?.length, `panel "${panel.title}" has a query`).toBeGreaterThan(0);
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const target of panel.targets!) expect(target.expr, `panel "${panel.title}"`).toContain(`${HOST_LABEL}=~"$host"`);
    }
  });

  it('names only metrics the agent emits, in every query', () => {
    for (const panel of graphs) {
      for (const target of panel.targets!) {
        const names = metricNamesInPromql(target.expr);
        expect(names.length, `panel "${panel.title}" selects a metric`).toBeGreaterThan(0);
        for (const name of names) expect(known.has(name), `panel "${panel.title}" names ${name}`).toBe(true);
      }
    }
  });

  it('sends Prometheus only queries its PromQL grammar parses, once Grafana has put in its interval', () => {
    for (const panel of graphs) {
      for (const target of panel.targets!) {
        const asSent = target.expr.replaceAll('$__rate_interval', '1m');
        const parsed = parsePromql(asSent);
        expect(parsed.errors, `panel "${panel.title}": ${asSent}`).toEqual([]);
        expect([...parsed.metricNames].sort(), `panel "${panel.title}"`).toEqual(metricNamesInPromql(target.expr).sort());
      }
    }
  });

  it('covers power, frequency and utilisation, thermals, memory and swap, disk, the agent itself, memory pressure and network', () => {
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(['Power', 'CPU and GPU', 'Thermals', 'Memory and swap', 'Disk', 'Battery', 'Agent health', 'Memory pressure', 'Network']);
    const queried = new Set(graphs.flatMap((p) => p.targets!.flatMap((t) => metricNamesInPromql(t.expr))));
    for (const name of ['hw_power_watts', 'hw_host_power_watts', 'macos_cpu_cluster_frequency_hertz', 'macos_cpu_cluster_utilization_ratio',
      'macos_temperature_max_celsius', 'hw_fan_speed_rpm', 'macos_thermal_pressure_ratio', 'system_memory_usage_bytes',
      'system_paging_usage_bytes', 'system_disk_io_bytes_total', 'macos_agent_source_up_ratio', 'macos_agent_export_queue_size',
      'macos_memory_pressure_level', 'macos_memory_pressure_free_ratio', 'system_network_io_bytes_total', 'system_network_packet_count_total',
      'system_network_errors_total', 'system_network_packet_dropped_total']) {
      expect(queried, name).toContain(name);
    }
  });

  it('lays panels out without overlap', () => {
    const cells = new Set<string>();
    for (const { gridPos: g, title } of dashboard.panels) {
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `panel "${title}" overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
  });
});
