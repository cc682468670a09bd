// test/promtool/ holds promtool unit tests (`promtool test rules test/promtool/*.test.yaml`, run
// where promtool is installed) against macos-agent-alerts.yaml, a copy of the generated rules. This
// keeps the copy equal to what `collector-config --alerts` prints, without needing promtool.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO, runCli } from './helpers/cli.js';

const DIR = join(REPO, 'test', 'promtool');

describe('test/promtool', () => {
  it('macos-agent-alerts.yaml is what collector-config --alerts prints (regenerate it with that command)', async () => {
    const r = await runCli(['collector-config', '--alerts']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(DIR, 'macos-agent-alerts.yaml'), 'utf8')).toBe(r.stdout);
  });

  it('memory-network-alerts.test.yaml tests both new alerts, firing and not, against that file', () => {
    const suite = parse(readFileSync(join(DIR, 'memory-network-alerts.test.yaml'), 'utf8')) as {
      rule_files: string[];
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    expect(suite.rule_files).toEqual(['macos-agent-alerts.yaml']);
    const cases = suite.tests.flatMap((t) => t.alert_rule_test).map((c) => [c.alertname, c.exp_alerts.length > 0]);
    expect(cases).toEqual([
      ['MacMemoryPressureCritical', false], ['MacMemoryPressureCritical', true],
      ['MacNetworkInterfaceErrors', false], ['MacNetworkInterfaceErrors', true],
    ]);
  });
});
