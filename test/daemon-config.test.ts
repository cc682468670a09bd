import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackHost, resolveCompression } from '../agent/export/exporter.js';
import { runCli } from './helpers/cli.js';
import { makeTestCertificates } from './helpers/tls-certificates.js';
import { until } from './otlp/agent-process.js';
import { startAgent } from './otlp/daemon.js';
import { OtlpReceiver } from './otlp/receiver.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const dir = mkdtempSync(join(tmpdir(), 'macos-agent-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string): string => join(dir, name);

beforeAll(() => { makeTestCertificates(dir); });

describe('exporter configuration', () => {
  it('exports over TLS to a collector that requires a client certificate (mTLS), configured by the OTEL_* variables', async () => {
    const receiver = await OtlpReceiver.start({
      tls: { ca: readFileSync(file('ca.pem')), cert: readFileSync(file('server.pem')), key: readFileSync(file('server.key')), requireClientCert: true },
    });
    cleanups.push(() => receiver.kill());
    const { agent, cleanup } = startAgent('', {
      noEndpointFlag: true,
      env: {
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `https://localhost:${receiver.port}`,
        OTEL_EXPORTER_OTLP_CERTIFICATE: file('ca.pem'),
        OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: file('client.pem'),
        OTEL_EXPORTER_OTLP_CLIENT_KEY: file('client.key'),
      },
    });
    cleanups.push(cleanup);
    await until(() => receiver.accepted().length >= 2, 15_000, 'two exports over TLS');
    expect((await agent.stop()).code).toBe(0);
    expect(receiver.points().some((p) => p.name === 'system.memory.usage')).toBe(true);
    const started = await agent.waitForLog('macos-agent started');
    expect(started['tls']).toBe(true);
    // exporter.compression defaults to auto, and localhost is this Mac's own collector.
    expect(started['compression']).toBe('none');
  });

  it('keeps its batches when the collector refuses the TLS handshake for want of a client certificate', async () => {
    const receiver = await OtlpReceiver.start({
      tls: { ca: readFileSync(file('ca.pem')), cert: readFileSync(file('server.pem')), key: readFileSync(file('server.key')), requireClientCert: true },
    });
    cleanups.push(() => receiver.kill());
    const { agent, cleanup } = startAgent(`https://localhost:${receiver.port}`, { env: { OTEL_EXPORTER_OTLP_CERTIFICATE: file('ca.pem') } });
    cleanups.push(cleanup);
    await agent.waitForLog(/^export to \S+ failed/);
    const stopped = await agent.stop();
    expect(stopped.code).toBe(0);
    expect(receiver.accepted()).toEqual([]);
    expect((await agent.waitForLog('macos-agent stopped'))['queued_batches']).toBeGreaterThan(0);
  });

  it('sends the headers of the headers file and OTEL_EXPORTER_OTLP_HEADERS, and never logs their values', async () => {
    const receiver = await OtlpReceiver.start();
    cleanups.push(() => receiver.kill());
    writeFileSync(file('headers'), '# tenant credentials\nauthorization=Bearer file-secret-7f3a9\nx-tenant=render-farm\n', { mode: 0o600 });
    const { agent, cleanup } = startAgent('', {
      noEndpointFlag: true,
      args: ['--log-level', 'trace', '--set', `exporter.headers_file=${file('headers')}`],
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=env-secret-c41d%2Fe',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
        OTEL_SERVICE_NAME: 'build-farm-agent',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=ci,team=render%20farm',
      },
    });
    cleanups.push(cleanup);
    await until(() => receiver.accepted().length >= 2, 15_000, 'two exports');
    expect((await agent.stop()).code).toBe(0);

    expect(receiver.accepted()[0]!.metadata).toMatchObject({
      'authorization': 'Bearer file-secret-7f3a9',
      'x-tenant': 'render-farm',
      'x-api-key': 'env-secret-c41d/e',
    });
    expect(receiver.points()[0]!.resource).toMatchObject({
      'service.name': 'build-farm-agent',
      'deployment.environment.name': 'ci',
      'team': 'render farm',
    });
    const started = await agent.waitForLog('macos-agent started');
    expect(started['compression']).toBe('none');
    expect(started['header_names']).toEqual(['authorization', 'x-tenant', 'x-api-key']);
    expect(agent.output).not.toContain('file-secret');
    expect(agent.output).not.toContain('env-secret');
  });
});

describe('exporter.compression auto', () => {
  it('compresses unless the endpoint is a loopback address', () => {
    const resolved = (endpoint: string): string => resolveCompression('auto', new URL(endpoint));
    for (const local of ['http://localhost:4317', 'http://LOCALHOST:4317', 'http://127.0.0.1:4317', 'http://127.8.9.1:4317', 'https://[::1]:4317', 'http://otel.localhost:4317']) {
      expect(resolved(local), local).toBe('none');
    }
    for (const remote of ['https://collector.lan:4317', 'http://10.0.0.7:4317', 'http://127.0.0.1.example.com:4317', 'http://[2001:db8::1]:4317', 'http://localhost.example.com:4317']) {
      expect(resolved(remote), remote).toBe('gzip');
    }
    expect(resolveCompression('gzip', new URL('http://localhost:4317'))).toBe('gzip');
    expect(resolveCompression('none', new URL('https://collector.lan:4317'))).toBe('none');
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
  });

  it('is what an explicit gzip overrides, and a gzip export to this machine is delivered', async () => {
    const receiver = await OtlpReceiver.start();
    cleanups.push(() => receiver.kill());
    const { agent, cleanup } = startAgent(`http://127.0.0.1:${receiver.port}`, { args: ['--set', 'exporter.compression=gzip'] });
    cleanups.push(cleanup);
    await until(() => receiver.accepted().length >= 1, 15_000, 'a gzip export');
    expect((await agent.waitForLog('macos-agent started'))['compression']).toBe('gzip');
    expect((await agent.stop()).code).toBe(0);
  });
});

describe('a bad exporter setting stops the agent at start with exit code 2 and says what to fix', () => {
  const env = { MACOS_AGENT_STATE_DIR: join(dir, 'state') };

  it('rejects an endpoint with a path (an OTLP/HTTP URL)', async () => {
    const r = await runCli(['--endpoint', 'http://127.0.0.1:4318/v1/metrics'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('exporter.endpoint');
    expect(r.stderr).toContain('OTLP/gRPC takes no path');
  });

  it('rejects an endpoint without a scheme, naming the variable it came from', async () => {
    const r = await runCli([], { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector.local:4317' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('exporter.endpoint (from OTEL_EXPORTER_OTLP_ENDPOINT)');
  });

  it('rejects a certificate file it cannot read', async () => {
    const r = await runCli(['--endpoint', 'https://localhost:4317'], { ...env, OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, 'missing-ca.pem') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot read exporter.ca_file ${join(dir, 'missing-ca.pem')}: ENOENT`);
  });

  it('rejects a certificate file that is not a PEM certificate', async () => {
    writeFileSync(file('garbage.pem'), 'not a certificate\n');
    const r = await runCli(['--endpoint', 'https://localhost:4317', '--set', `exporter.ca_file=${file('garbage.pem')}`], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('TLS files (exporter.ca_file) are not usable');
  });

  it('rejects TLS files with a plaintext endpoint rather than silently ignoring them', async () => {
    const r = await runCli(['--endpoint', 'http://localhost:4317', '--set', `exporter.ca_file=${file('ca.pem')}`], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('use https://localhost:4317');
  });

  it('rejects a client certificate without its key', async () => {
    const r = await runCli(['--endpoint', 'https://localhost:4317', '--set', `exporter.cert_file=${file('client.pem')}`], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('exporter.cert_file and exporter.key_file go together');
  });

  it('rejects an endpoint with a user name and password, and never prints the password', async () => {
    for (const endpoint of ['http://agent:hunter2-pw@collector.lan:4317', 'agent:hunter2-pw@collector.lan:4317', 'ftp://agent:hunter2-pw@collector.lan:4317']) {
      const r = await runCli(['--endpoint', endpoint], env);
      expect(r.code, endpoint).toBe(2);
      expect(r.stderr, endpoint).toContain('exporter.endpoint (from command line)');
      expect(r.stderr, endpoint).not.toContain('hunter2');
    }
  });

  it('rejects an endpoint with a query or a fragment, which may carry an api key, without printing it', async () => {
    for (const [endpoint, what] of [['https://collector.lan:4317?api_key=k-51f0e2', 'query'], ['https://collector.lan:4317/#k-51f0e2', 'fragment']] as const) {
      const r = await runCli([], { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
      expect(r.code, endpoint).toBe(2);
      expect(r.stderr, endpoint).toContain(`has a ${what}`);
      expect(r.stderr, endpoint).toContain('https://collector.lan:4317');
      expect(r.stderr, endpoint).not.toContain('k-51f0e2');
    }
  });

  it('rejects a header value gRPC cannot send, without echoing it', async () => {
    const r = await runCli([], { ...env, OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer caf%C3%A9-secret-77' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the value of header authorization holds a character gRPC cannot send');
    expect(r.stderr).not.toContain('secret-77');
  });

  it('rejects a malformed header without echoing it', async () => {
    const r = await runCli([], { ...env, OTEL_EXPORTER_OTLP_HEADERS: 'Bearer-only-secret-9d2' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('a header must be name=value');
    expect(r.stderr).not.toContain('secret-9d2');
  });
});
