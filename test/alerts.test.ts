import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAlertRules } from '../agent/collector/alerts.js';
import { metricNamesInPromql } from '../agent/collector/promql-names.js';
import { emittedPrometheusNames } from '../agent/collector/prometheus-names.js';
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
