import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from './helpers/cli.js';
import { makeFakeBin, type FakeBin } from './helpers/fake-bin.js';

const GATEWAY = ['collector-config', '--role', 'gateway', '--prometheus-url', 'http://prometheus:9090/api/v1/write'];
const NODE = ['collector-config', '--role', 'node', '--gateway', 'gateway.lan:4317'];

describe('macos-agent collector-config: bad flags exit 2 with a clear error', () => {
  const cases: [string, string[], RegExp][] = [
    ['gateway without --prometheus-url', ['collector-config', '--role', 'gateway'], /--role gateway needs --prometheus-url, e.g. --prometheus-url http:\/\/prometheus:9090\/api\/v1\/write/],
    ['node without --gateway', ['collector-config', '--role', 'node'], /--role node needs --gateway/],
    ['a malformed URL', ['collector-config', '--role', 'gateway', '--prometheus-url', 'prometheus:9090/api/v1/write'], /invalid value "prometheus:9090\/api\/v1\/write" for --prometheus-url: the scheme must be http: or https:/],
    ['a URL that is not one', [...GATEWAY, '--loki-url', 'http//loki'], /invalid value "http\/\/loki" for --loki-url: expected an http:\/\/ or https:\/\/ URL/],
    ['a port out of range', [...NODE, '--otlp-grpc-listen', '0.0.0.0:99999'], /invalid value "0.0.0.0:99999" for --otlp-grpc-listen: expected host:port with a port from 1 to 65535/],
    ['an unknown role', ['collector-config', '--role', 'edge'], /invalid value "edge" for --role: expected node or gateway/],
    ['a flag of the other role', [...NODE, '--prometheus-url', 'http://p:9090/api/v1/write'], /--prometheus-url does not apply to --role node/],
    ['a certificate without its key', [...NODE, '--gateway-cert-file', '/node.pem'], /--gateway-cert-file and --gateway-key-file go together/],
    ['TLS files for plaintext backends', [...GATEWAY, '--backend-ca-file', '/ca.pem'], /no backend is reached over TLS: use https:\/\//],
    ['a sampling share above 100', [...GATEWAY, '--sampling-percentage', '150'], /invalid value "150" for --sampling-percentage: expected a number of percent from 0 to 100/],
    ['a bad duration', [...GATEWAY, '--slow-trace-threshold', 'slow'], /invalid value "slow" for --slow-trace-threshold: expected a duration/],
    ['an unknown option', [...NODE, '--gatway', 'x'], /unknown option '--gatway'\n\(Did you mean --gateway\?\)/],
    ['nothing to generate', ['collector-config'], /nothing to generate: give --role node, --role gateway, --dashboard or --alerts/],
    ['two documents on stdout', ['collector-config', '--dashboard', '--alerts'], /cannot share stdout: give --out DIR/],
    ['collector flags without a role', ['collector-config', '--dashboard', '--gateway', 'g:4317'], /--gateway configures a collector: add --role node or --role gateway/],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const result = await runCli(args);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/^macos-agent: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(2);
  });
});

describe('macos-agent collector-config output', () => {
  it('prints the same bytes for the same flags', async () => {
    const first = await runCli([...NODE, '--hostmetrics']);
    const second = await runCli([...NODE, '--hostmetrics']);
    expect(first.code).toBe(0);
    expect(parse(first.stdout)).toMatchObject({ exporters: { otlp_grpc: { endpoint: 'gateway.lan:4317' } } });
    expect(second.stdout).toBe(first.stdout);
  });

  it('writes the config, the dashboard and the rules into --out DIR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'macos-agent-fleet-'));
    const result = await runCli([...GATEWAY, '--format', 'operator', '--dashboard', '--alerts', '--out', dir]);
    expect(result.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['macos-agent-alerts.yaml', 'macos-fleet-dashboard.json', 'otelcol-gateway.operator.yaml']);
    expect(result.stderr).toContain(`wrote ${join(dir, 'otelcol-gateway.operator.yaml')}`);
    expect(parse(readFileSync(join(dir, 'otelcol-gateway.operator.yaml'), 'utf8'))).toMatchObject({ kind: 'OpenTelemetryCollector', spec: { mode: 'deployment', replicas: 2 } });
    expect(JSON.parse(readFileSync(join(dir, 'macos-fleet-dashboard.json'), 'utf8'))).toMatchObject({ uid: 'macos-agent-fleet' });
  });

  it('documents the minimum Collector version and exit codes in --help', async () => {
    const result = await runCli(['collector-config', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Needs otelcol-contrib 0\.158\.0 or later/);
    expect(result.stdout).toMatch(/3 --validate was asked but no otelcol-contrib is on PATH/);
  });
});

describe('macos-agent collector-config --validate', () => {
  let fakes: FakeBin | undefined;
  afterEach(() => fakes?.cleanup());

  /** A fake otelcol-contrib that records its arguments and the config it was given, and accepts or rejects it. */
  function fakeValidator(exitCode: number, message: string): { path: string; seen: string } {
    const seen = join(mkdtempSync(join(tmpdir(), 'macos-agent-validate-')), 'seen');
    fakes = makeFakeBin({
      'otelcol-contrib': `#!/bin/sh\necho "$@" > '${seen}.args'\ncat "\${2#--config=}" > '${seen}.yaml'\necho '${message}' >&2\nexit ${exitCode}\n`,
    });
    return { path: fakes.path, seen };
  }

  it('runs otelcol-contrib validate on the generated config and reports success', async () => {
    const { path, seen } = fakeValidator(0, '');
    const result = await runCli([...NODE, '--validate'], { PATH: path });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/valid: .*otelcol-contrib validate accepted the generated config/);
    expect(readFileSync(`${seen}.args`, 'utf8')).toMatch(/^validate --config=\S+config\.yaml$/m);
    expect(parse(readFileSync(`${seen}.yaml`, 'utf8'))).toEqual(parse(result.stdout));
  });

  it('validates the config inside an operator resource and the file written with --out', async () => {
    const { path, seen } = fakeValidator(0, '');
    const dir = mkdtempSync(join(tmpdir(), 'macos-agent-fleet-'));
    writeFileSync(join(dir, 'keep'), '');
    expect((await runCli([...NODE, '--validate', '--out', dir], { PATH: path })).code).toBe(0);
    expect(readFileSync(`${seen}.args`, 'utf8').trim()).toBe(`validate --config=${join(dir, 'otelcol-node.yaml')}`);
    const operator = await runCli([...NODE, '--format', 'operator', '--validate'], { PATH: path });
    expect(operator.code).toBe(0);
    expect(parse(readFileSync(`${seen}.yaml`, 'utf8'))).toEqual((parse(operator.stdout) as { spec: { config: unknown } }).spec.config);
  });

  it('exits 1 with the validator\'s message when it rejects the config', async () => {
    const { path } = fakeValidator(1, 'Error: invalid configuration: exporters::otlp_grpc: unknown field');
    const result = await runCli([...GATEWAY, '--validate'], { PATH: path });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/otelcol-contrib validate rejected the generated config:\nError: invalid configuration: exporters::otlp_grpc: unknown field/);
    expect(result.stdout).toContain('prometheus_remote_write:');
  });

  it('says so and exits 3 without otelcol-contrib on PATH, still printing the config', async () => {
    const result = await runCli([...GATEWAY, '--validate'], { PATH: '/usr/bin:/bin' });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/not validated: no otelcol-contrib on PATH — install otelcol-contrib 0\.158\.0 or later/);
    expect(result.stdout).toContain('prometheus_remote_write:');
  });
});
