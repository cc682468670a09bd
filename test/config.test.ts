import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDuration, parseSize } from '../agent/config.js';

function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'macos-agent-config-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('gives documented defaults when there is no file', () => {
    const { config } = loadConfig({ env: {} });
    expect(config.interval).toBe(10_000);
    expect(config.exporter.endpoint).toBe('http://localhost:4317');
    expect(config.exporter.compression).toBe('auto');
    expect(config.sources.powermetrics.samplers).toEqual(['cpu_power', 'gpu_power', 'ane_power', 'thermal']);
    expect(config.sources.powermetrics.interval).toBe(10_000);
  });

  it('layers file < environment < flags', () => {
    const path = configFile('interval: 30s\nsources:\n  smc:\n    enabled: false\nexporter:\n  endpoint: http://file:4317\n');
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4317', MACOS_AGENT_INTERVAL: '20s' };
    const { config } = loadConfig({ path, env, overrides: { interval: '5s' } });
    expect(config.interval).toBe(5000);
    expect(config.sources.smc.enabled).toBe(false);
    expect(config.exporter.endpoint).toBe('http://env:4317');
    expect(config.sources.powermetrics.interval).toBe(5000);
  });

  it('takes OTEL_METRIC_EXPORT_INTERVAL in milliseconds', () => {
    expect(loadConfig({ env: { OTEL_METRIC_EXPORT_INTERVAL: '15000' } }).config.interval).toBe(15_000);
  });

  it('names the key, the value and what is allowed', () => {
    expect(() => loadConfig({ env: { MACOS_AGENT_INTERVAL: 'soon' } }))
      .toThrow(/invalid value "soon" for interval \(from MACOS_AGENT_INTERVAL\): expected a duration/);
    expect(() => loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4317' } }))
      .toThrow(/exporter.endpoint .*scheme must be http: or https:/);
    expect(() => loadConfig({ path: configFile('sources:\n  powermetrics:\n    samplers: [cpu_power, gpu]\n'), env: {} }))
      .toThrow(/sources.powermetrics.samplers .*unknown gpu; allowed: cpu_power/);
  });

  it('rejects an unknown key in the file, listing the allowed ones', () => {
    expect(() => loadConfig({ path: configFile('intervall: 10s\n'), env: {} })).toThrow(/unknown key "intervall" in .*allowed keys: interval, log_level/);
  });

  it('rejects an unknown key given with --set, instead of ignoring it', () => {
    expect(() => loadConfig({ env: {}, overrides: { 'sources.smc.enabeld': 'false' } }))
      .toThrow(/^unknown key "sources.smc.enabeld" on the command line; allowed keys: interval, log_level/);
  });

  it('refuses exporter.insecure wherever it is set, saying that the endpoint scheme decides TLS', () => {
    const why = "is not supported: the endpoint's scheme decides TLS: set exporter.endpoint to http://HOST:4317 for plaintext or https://HOST:4317 for TLS";
    const path = configFile('exporter:\n  insecure: true\n');
    expect(() => loadConfig({ path, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ path, env: {} })).toThrow(`exporter.insecure (from ${path}) ${why}`);
    expect(() => loadConfig({ env: { OTEL_EXPORTER_OTLP_INSECURE: 'true' } })).toThrow(`exporter.insecure (from OTEL_EXPORTER_OTLP_INSECURE) ${why}`);
    expect(() => loadConfig({ env: { MACOS_AGENT_EXPORTER_INSECURE: 'false' } })).toThrow(`exporter.insecure (from MACOS_AGENT_EXPORTER_INSECURE) ${why}`);
    expect(() => loadConfig({ env: {}, overrides: { 'exporter.insecure': 'true' } })).toThrow(`exporter.insecure (from command line) ${why}`);
  });

  it('fails clearly when --config names a file that does not exist', () => {
    expect(() => loadConfig({ path: '/nonexistent/config.yaml', env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ path: '/nonexistent/config.yaml', env: {} })).toThrow(/cannot read config file \/nonexistent\/config.yaml: ENOENT/);
  });
});

describe('durations and sizes', () => {
  it('parses what users write', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('6h')).toBe(6 * 3600_000);
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('10 parsecs')).toBeUndefined();
    expect(parseSize('64MiB')).toBe(64 * 1024 * 1024);
    expect(parseSize('4kb')).toBe(4000);
    expect(parseSize('lots')).toBeUndefined();
  });
});
