import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_METRICS, ATTR } from '../agent/metrics/catalog.js';
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
