import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_METRICS, ATTR, point } from '../agent/metrics/catalog.js';
import { renderMetricsDoc } from '../agent/metrics/docs.js';
import { REPO } from './helpers/cli.js';

describe('the metric catalog', () => {
  it('declares each name once', () => {
    const names = ALL_METRICS.map((m) => m.name);
    expect(names.length).toBe(new Set(names).size);
  });

  it('uses only declared attribute keys', () => {
    const known = new Set<string>(Object.values(ATTR));
    for (const m of ALL_METRICS) for (const a of m.attributes) expect(known, `${m.name} uses ${a}`).toContain(a);
  });

  it('point() takes only the attribute keys its metric declares: anything else does not compile (npm test type-checks the tests)', () => {
    // @ts-expect-error 'hw.typo' is not an attribute of hw.power
    const typo = point('hwPower', 1, { 'hw.id': 'cpu', 'hw.typo': 'cpu' });
    // @ts-expect-error macos.thermal.pressure has no attributes
    const stray = point('thermalPressure', 1, { 'hw.id': 'cpu' });
    const diskAndCluster = { 'macos.cpu.cluster': 'P0', 'system.device': 'disk0' };
    // @ts-expect-error a variable with a key of another metric is refused too
    const borrowed = point('clusterFrequency', 1, diskAndCluster);
    expect([typo.metric, stray.metric, borrowed.metric]).toEqual(['hwPower', 'thermalPressure', 'clusterFrequency']);
    expect(point('hwPower', 2.5, { 'hw.id': 'gpu', 'hw.type': 'gpu' })).toEqual({ metric: 'hwPower', value: 2.5, attributes: { 'hw.id': 'gpu', 'hw.type': 'gpu' } });
    expect(point('thermalPressure', 0)).toEqual({ metric: 'thermalPressure', value: 0, attributes: {} });
  });

  it('names metrics in lower-case dotted form with UCUM-style units', () => {
    for (const m of ALL_METRICS) {
      expect(m.name).toMatch(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/);
      expect(m.unit).toMatch(/^(\{[a-z_]+\}|[A-Za-z0-9]+(\.[A-Za-z0-9]+)*)$/);
      expect(m.description.length).toBeGreaterThan(10);
    }
  });

  it('matches docs/metrics.md (run `npm run docs` after changing the catalog)', () => {
    expect(readFileSync(join(REPO, 'docs', 'metrics.md'), 'utf8')).toBe(renderMetricsDoc());
  });
});
