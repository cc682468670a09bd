import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAlertRules } from '../agent/fleet/alerts.js';
import { metricNamesInPromql } from '../agent/fleet/promql-names.js';
import { emittedPrometheusNames } from '../agent/fleet/prometheus-names.js';
import { toYaml } from '../agent/commands/collector-config.js';

const rules = buildAlertRules().groups.flatMap((g) => g.rules);

function promtool(): string {
  const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim();
  if (found === '') {
    throw new Error('promtool is not installed: install Debian\'s prometheus package (apt-get install -y --no-install-recommends prometheus), as .ci/run does');
  }
  return found;
}

describe('Prometheus alert rules', () => {
  it('pass promtool check rules', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'macos-agent-rules-')), 'rules.yaml');
    writeFileSync(file, toYaml(buildAlertRules(), ' test'));
    const output = execFileSync(promtool(), ['check', 'rules', file], { encoding: 'utf8' });
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('select what they mean on recorded series (promtool test rules)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'macos-agent-rules-'));
    writeFileSync(join(dir, 'rules.yaml'), toYaml(buildAlertRules(), ' test'));
    const expr = (alert: string): string => rules.find((r) => r.alert === alert)!.expr;
    const tests = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [{
        interval: '1m',
        input_series: [
          // mac-1 reports all along; mac-2 stops after 20 minutes.
          { series: 'macos_agent_source_up_ratio{host_name="mac-1", macos_agent_source="smc"}', values: '1x40' },
          { series: 'macos_agent_source_up_ratio{host_name="mac-1", macos_agent_source="powermetrics"}', values: '0x40' },
          { series: 'macos_agent_source_up_ratio{host_name="mac-2", macos_agent_source="smc"}', values: '1x20' },
          { series: 'macos_thermal_pressure_ratio{host_name="mac-1"}', values: '2x40' },
          { series: 'macos_thermal_pressure_ratio{host_name="mac-2"}', values: '1x40' },
          { series: 'macos_temperature_max_celsius{host_name="mac-1", macos_sensor_group="gpu"}', values: '97x40' },
          { series: 'macos_temperature_max_celsius{host_name="mac-1", macos_sensor_group="battery"}', values: '99x40' },
          { series: 'macos_agent_export_queue_size{host_name="mac-1"}', values: '0+2x40' },
          { series: 'macos_agent_export_queue_size{host_name="mac-2"}', values: '50x40' },
        ],
        promql_expr_test: [
          { expr: expr('MacAgentStoppedReporting'), eval_time: '35m', exp_samples: [{ labels: '{host_name="mac-2"}', value: 1 }] },
          { expr: expr('MacThermalPressureHeavy'), eval_time: '30m', exp_samples: [{ labels: '{host_name="mac-1"}', value: 2 }] },
          { expr: expr('MacTemperatureNearLimit'), eval_time: '30m', exp_samples: [{ labels: '{host_name="mac-1", macos_sensor_group="gpu"}', value: 97 }] },
          { expr: expr('MacAgentSourceDown'), eval_time: '30m', exp_samples: [{ labels: '{host_name="mac-1", macos_agent_source="powermetrics"}', value: 0 }] },
          { expr: `count(${expr('MacAgentExportQueueGrowing')}) by (host_name)`, eval_time: '30m', exp_samples: [{ labels: '{host_name="mac-1"}', value: 1 }] },
        ],
      }],
    };
    writeFileSync(join(dir, 'tests.yaml'), toYaml(tests, ' test'));
    const run = spawnSync(promtool(), ['test', 'rules', join(dir, 'tests.yaml')], { encoding: 'utf8' });
    expect(`${run.stdout}${run.stderr}`).toContain('SUCCESS');
    expect(run.status).toBe(0);
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
