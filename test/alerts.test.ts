import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildAlertRules } from '../agent/fleet/alerts.js';
import { metricNamesInPromql } from '../agent/fleet/promql-names.js';
import { emittedPrometheusNames, HOST_LABEL, prometheusLabelName, prometheusMetricName } from '../agent/fleet/prometheus-names.js';
import { ALL_METRICS } from '../agent/metrics/catalog.js';
import { REPO } from './helpers/cli.js';
import { parsePromql } from './helpers/promql.js';

const rules = buildAlertRules().groups.flatMap((g) => g.rules);

interface PromtoolTests {
  rule_files: string[];
  tests: {
    name: string;
    input_series: { series: string; values: string }[];
    alert_rule_test: { eval_time: string; alertname: string; exp_alerts: { exp_labels: Record<string, string> }[] }[];
  }[];
}

/** The unit tests `npm run check` gives `promtool test rules`. */
const promtoolTests = parse(readFileSync(join(REPO, 'test', 'promtool', 'macos-agent-alerts.test.yaml'), 'utf8')) as PromtoolTests;

describe('Prometheus alert rules', () => {
  it('parse with the official PromQL grammar, selecting the metrics the generator checked', () => {
    for (const rule of rules) {
      const parsed = parsePromql(rule.expr);
      expect(parsed.errors, rule.alert).toEqual([]);
      expect([...parsed.metricNames].sort(), rule.alert).toEqual(metricNamesInPromql(rule.expr).sort());
    }
  });

  it('name only metrics the agent emits', () => {
    const known = emittedPrometheusNames();
    for (const rule of rules) {
      const names = metricNamesInPromql(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      for (const name of names) expect(known.has(name), `${rule.alert} names ${name}`).toBe(true);
    }
  });

  it('cover thermal pressure, temperature, silence, the export queue and failing sources', () => {
    const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
    expect(byName['MacThermalPressureHeavy']?.expr).toBe('max by (host_name) (macos_thermal_pressure_ratio) >= 2');
    expect(byName['MacTemperatureNearLimit']?.expr).toContain('macos_temperature_max_celsius{macos_sensor_group=~"cpu|gpu"}');
    expect(byName['MacAgentStoppedReporting']?.expr).toContain('unless');
    expect(byName['MacAgentFleetSilent']?.expr).toBe('absent(macos_agent_source_up_ratio)');
    expect(byName['MacAgentExportQueueGrowing']?.expr).toContain('deriv(macos_agent_export_queue_size[15m])');
    expect(byName['MacAgentSourceDown']?.expr).toContain('macos_agent_source_up_ratio');
    expect(byName['MacAgentCollectionErrors']?.expr).toContain('macos_agent_collection_errors_total');
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+m$/);
      expect(rule.annotations.summary, rule.alert).not.toBe('');
    }
  });
});

describe('parsePromql (the PromQL grammar the tests check expressions with)', () => {
  it('finds syntax errors', () => {
    expect(parsePromql('max by (host_name) (x_ratio').errors).not.toEqual([]);
    expect(parsePromql('x_ratio{a=}').errors).not.toEqual([]);
    expect(parsePromql('rate(x_total[$__rate_interval])').errors).not.toEqual([]);
    expect(parsePromql('deriv(q_size[15m]) > 0 and q_size > 10').errors).toEqual([]);
  });

  it('reads the metric and label names of each selector', () => {
    expect(parsePromql('sum by (h) (rate(a_total{b="1", c=~"x|y"}[5m])) / b_ratio').selectors).toEqual([
      { metric: 'a_total', labels: ['b', 'c'] }, { metric: 'b_ratio', labels: [] },
    ]);
  });
});

describe('the promtool unit tests of the alert rules (test/promtool/, run by npm run check)', () => {
  const cases = promtoolTests.tests.flatMap((t) => t.alert_rule_test);

  it('test the rules file collector-config --alerts writes', () => {
    expect(promtoolTests.rule_files).toEqual(['macos-agent-alerts.yaml']);
  });

  it('show every rule firing on a sick Mac and silent on a healthy one', () => {
    for (const rule of rules) {
      const ofRule = cases.filter((c) => c.alertname === rule.alert);
      expect(ofRule.some((c) => c.exp_alerts.length > 0), `${rule.alert} fires`).toBe(true);
      expect(ofRule.some((c) => c.exp_alerts.length === 0), `${rule.alert} stays silent`).toBe(true);
    }
    expect(new Set(cases.map((c) => c.alertname))).toEqual(new Set(rules.map((r) => r.alert)));
    for (const alert of cases.flatMap((c) => c.exp_alerts)) expect([undefined, 'sick-mac']).toContain(alert.exp_labels[HOST_LABEL]);
    for (const test of promtoolTests.tests) {
      const hosts = new Set(test.input_series.flatMap((s) => /host_name="([^"]*)"/.exec(s.series)?.[1] ?? []));
      if (hosts.has('sick-mac')) expect(hosts, test.name).toContain('healthy-mac');
    }
  });

  it('name their series as the gateway\'s Prometheus exporter names the agent\'s metrics and attributes', () => {
    const prometheusOwn = new Set(['up']);
    for (const { series } of promtoolTests.tests.flatMap((t) => t.input_series)) {
      const parsed = parsePromql(series);
      expect(parsed.errors, series).toEqual([]);
      const [selector] = parsed.selectors;
      if (prometheusOwn.has(selector!.metric)) continue;
      const spec = ALL_METRICS.find((m) => prometheusMetricName(m) === selector!.metric);
      expect(spec, `${series} is a catalog metric`).toBeDefined();
      const labels = ['job', HOST_LABEL, ...spec!.attributes.map(prometheusLabelName)];
      for (const label of selector!.labels) expect(labels, series).toContain(label);
    }
  });
});
