import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toExportBatch, type ExportBatch } from '../agent/export/batch.js';
import { createOtlpSender, type ExporterSettings, type OtlpSender } from '../agent/export/exporter.js';
import { point } from '../agent/metrics/catalog.js';
import { createMetricsPipeline } from '../agent/metrics/metrics-pipeline.js';
import { makeTestCertificates, type TestCertificates } from './helpers/tls-certificates.js';
import { OtlpReceiver, type ReceivedRequest } from './otlp/receiver.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real collection through the agent's metrics pipeline: free memory 4096 B, limit 8192 B. */
async function memoryBatch(): Promise<ExportBatch> {
  const metrics = createMetricsPipeline({ 'service.name': 'macos-agent' });
  metrics.store.set('vm_stat', [point('memoryUsage', 4096, { 'system.memory.state': 'free' }), point('memoryLimit', 8192)]);
  const batch = toExportBatch(await metrics.collect())!;
  await metrics.shutdown();
  return batch;
}

/** Log lines the sender wrote, as parsed JSON. */
function capturedLog(): { log: pino.Logger; lines: Record<string, unknown>[]; text: () => string } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'trace' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } });
  return { log, lines, text: () => lines.map((l) => JSON.stringify(l)).join('\n') };
}

function sender(endpointOrPort: string | number, options: Partial<ExporterSettings> = {}, log = capturedLog().log): OtlpSender {
  const endpoint = typeof endpointOrPort === 'number' ? `http://127.0.0.1:${endpointOrPort}` : endpointOrPort;
  const headers = options.headers ?? new Map<string, string>();
  const s = createOtlpSender({ endpoint, tls: endpoint.startsWith('https:'), compression: 'gzip', timeoutMs: 2000, headerNames: [...headers.keys()], headers, ...options }, log);
  cleanups.push(() => s.shutdown());
  return s;
}

async function receiver(options: Parameters<typeof OtlpReceiver.start>[0] = {}, requests: ReceivedRequest[] = []): Promise<OtlpReceiver> {
  const r = await OtlpReceiver.start(options, requests);
  cleanups.push(() => r.kill());
  return r;
}

async function freePort(): Promise<number> {
  const probe = await OtlpReceiver.start();
  probe.kill();
  return probe.port;
}

/** A bare HTTP/2 server answering as `answer` says: a proxy, an auth front-end, a hostile collector. */
async function rawPeer(answer: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void): Promise<number> {
  const server = createServer();
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => sessions.add(session));
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    stream.resume();
    stream.on('end', () => answer(stream, headers));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const session of sessions) session.destroy();
  }));
  return (server.address() as AddressInfo).port;
}

describe('the OTLP sender, on OTLPMetricExporter, against a grpc-js receiver', () => {
  for (const compression of ['gzip', 'none'] as const) {
    it(`delivers a batch the receiver decodes, with compression ${compression}`, async () => {
      const r = await receiver();
      expect(await sender(r.port, { compression }).send(await memoryBatch())).toEqual({ ok: true, rejectedPoints: 0 });
      expect(r.points().map((p) => [p.name, p.attributes, p.value])).toEqual([
        ['system.memory.usage', { 'system.memory.state': 'free' }, 4096],
        ['system.memory.limit', {}, 8192],
      ]);
    });
  }

  it('sends the configured headers and its user agent, and nothing the OTEL_EXPORTER_OTLP_* variables say behind the config\'s back', async () => {
    const r = await receiver();
    const saved = { ...process.env };
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_HEADERS: 'x-sneaked-in=from-the-environment,authorization=Bearer env-token',
      OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '1',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
    });
    let s: OtlpSender;
    try {
      s = sender(r.port, { headers: new Map([['authorization', 'Bearer s3cret'], ['x-tenant', 'render-farm']]) });
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    }
    expect(process.env['OTEL_EXPORTER_OTLP_HEADERS']).toBeUndefined();
    // A 1 ms timeout from the environment would fail this export.
    expect((await s.send(await memoryBatch())).ok).toBe(true);
    const metadata = r.requests[0]!.metadata;
    expect(metadata).toMatchObject({ 'authorization': 'Bearer s3cret', 'x-tenant': 'render-farm' });
    expect(metadata['x-sneaked-in']).toBeUndefined();
    expect(metadata['user-agent']).toMatch(/^macos-agent\/0\.1\.0 OTel-OTLP-Exporter-JavaScript\//);
  });

  it('gives up at the deadline with DEADLINE_EXCEEDED, a retryable failure, and the receiver sees the call cancelled', async () => {
    const r = await receiver({ delayMs: 800 });
    const started = Date.now();
    const result = await sender(r.port, { timeoutMs: 150 }).send(await memoryBatch());
    expect(Date.now() - started).toBeLessThan(700);
    expect(result).toMatchObject({ ok: false, status: 'DEADLINE_EXCEEDED', retryable: true });
    await expect.poll(() => r.requests.length, { timeout: 2000 }).toBe(1);
    expect(r.requests[0]!.cancelled).toBe(true);
  });

  it('answers UNAVAILABLE when nothing listens, and reaches the collector at once when it is back', async () => {
    const port = await freePort();
    const s = sender(port);
    const batch = await memoryBatch();
    for (let i = 0; i < 3; i++) {
      const result = await s.send(batch);
      expect(result).toMatchObject({ ok: false, status: 'UNAVAILABLE', retryable: true });
      expect(!result.ok && result.message).toContain('ECONNREFUSED');
    }
    await receiver({ port });
    const started = Date.now();
    expect((await s.send(batch)).ok).toBe(true);
    // Not after grpc-js's own reconnect backoff, which grows to two minutes.
    expect(Date.now() - started).toBeLessThan(1000);
  });

  const RETRYABLE = ['UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'DEADLINE_EXCEEDED', 'ABORTED', 'CANCELLED', 'OUT_OF_RANGE', 'DATA_LOSS'] as const;
  const REFUSED = {
    UNAUTHENTICATED: ['as unauthenticated', 'exporter.headers_file'],
    PERMISSION_DENIED: ['as not permitted', 'write access'],
    UNIMPLEMENTED: ['as an unknown service', 'exporter.endpoint'],
    INVALID_ARGUMENT: ['as invalid', 'collector\'s log'],
  } as const;

  for (const name of RETRYABLE) {
    it(`keeps a batch answered ${name}: retryable, as the OTLP specification says`, async () => {
      const r = await receiver({ answer: () => ({ kind: 'error', code: status[name], message: `collector says ${name}` }) });
      expect(await sender(r.port).send(await memoryBatch())).toEqual({ ok: false, status: name, message: `collector says ${name}`, retryable: true });
    });
  }

  for (const [name, [as, fix]] of Object.entries(REFUSED)) {
    it(`treats ${name} as a configuration error no retry changes, naming the fix`, async () => {
      const r = await receiver({ answer: () => ({ kind: 'error', code: status[name as keyof typeof REFUSED], message: `collector says ${name}` }) });
      const result = await sender(r.port).send(await memoryBatch());
      expect(result).toMatchObject({ ok: false, status: name, message: `collector says ${name}`, retryable: false, refusal: { as } });
      expect(!result.ok && result.refusal?.fix).toContain(fix);
    });
  }

  it('counts the points a partial success rejected, which OpenTelemetry reports through its diagnostic logger', async () => {
    const r = await receiver({ answer: () => ({ kind: 'partial', rejected: 5, message: 'metric name too long' }) });
    const { log, lines } = capturedLog();
    expect(await sender(r.port, {}, log).send(await memoryBatch())).toEqual({ ok: true, rejectedPoints: 5, rejectMessage: 'metric name too long' });
    // Counted, not also logged as an OpenTelemetry warning.
    expect(lines).toEqual([]);
  });
});

describe('what a collector says never carries a secret into the log', () => {
  const headers = new Map([['authorization', 'Bearer tok-9f8e7d6c'], ['x-api-key', 'key-1234-abcd']]);

  it('redacts configured header values and any Bearer or Basic credential from an error message', async () => {
    const port = await rawPeer((stream, h) => {
      const echo = `invalid credentials: authorization=${String(h['authorization'])} x-api-key=${String(h['x-api-key'])} upstream=Bearer eyJhbGciOi.J9 proxy=Basic dXNlcjpwYXNz`;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(status.UNAUTHENTICATED), 'grpc-message': echo }, { endStream: true });
    });
    const result = await sender(port, { headers }).send(await memoryBatch());
    expect(result).toMatchObject({ ok: false, status: 'UNAUTHENTICATED', retryable: false });
    const message = !result.ok ? result.message : '';
    expect(message).toBe('invalid credentials: authorization=[redacted] x-api-key=[redacted] upstream=Bearer [redacted] proxy=Basic [redacted]');
  });

  it('redacts a partial success message that echoes a header', async () => {
    const r = await receiver({ answer: () => ({ kind: 'partial', rejected: 1, message: 'tenant key-1234-abcd over quota' }) });
    expect(await sender(r.port, { headers }).send(await memoryBatch())).toEqual({ ok: true, rejectedPoints: 1, rejectMessage: 'tenant [redacted] over quota' });
  });
});

describe('what a collector sends back is bounded', () => {
  const ONE_GIB = 1 << 30;

  async function assertBounded(answer: (stream: ServerHttp2Stream) => void): Promise<void> {
    const port = await rawPeer(answer);
    const before = process.memoryUsage.rss();
    let lag = 0;
    let last = performance.now();
    const probe = setInterval(() => {
      const now = performance.now();
      lag = Math.max(lag, now - last - 10);
      last = now;
    }, 10);
    const result = await sender(port, { timeoutMs: 5000 }).send(await memoryBatch());
    clearInterval(probe);
    expect(result).toMatchObject({ ok: false, status: 'RESOURCE_EXHAUSTED', retryable: true });
    expect(process.memoryUsage.rss() - before).toBeLessThan(64 * 1024 * 1024);
    expect(lag).toBeLessThan(250);
  }

  it('stops reading an endless answer at 4 MiB', async () => {
    await assertBounded((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(ONE_GIB - 1, 1);
      stream.write(prefix);
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const pump = (): void => {
        while (!stream.destroyed && stream.write(chunk));
        if (!stream.destroyed) stream.once('drain', pump);
      };
      pump();
    });
  });

  it('stops decompressing a gzip bomb at 4 MiB', async () => {
    // 32 gzip members of 16 MiB of zeros each: 512 MiB once decompressed, from 0.5 MB on the wire.
    const bomb = Buffer.concat(Array(32).fill(gzipSync(Buffer.alloc(16 * 1024 * 1024))));
    await assertBounded((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-encoding': 'gzip' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      const prefix = Buffer.alloc(5);
      prefix.writeUInt8(1, 0);
      prefix.writeUInt32BE(bomb.length, 1);
      stream.end(Buffer.concat([prefix, bomb]));
    });
  });
});

describe('the OTLP sender over TLS to a grpc-js receiver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'macos-agent-grpc-tls-'));
  let certs: TestCertificates;
  beforeAll(() => { certs = makeTestCertificates(dir); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tlsReceiver = (requireClientCert: boolean): Promise<OtlpReceiver> =>
    receiver({ tls: { ca: readFileSync(certs.ca), cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey), requireClientCert } });

  it('verifies the server against the configured CA, by host name or by IP address', async () => {
    const r = await tlsReceiver(false);
    const batch = await memoryBatch();
    for (const host of ['localhost', '127.0.0.1']) {
      expect(await sender(`https://${host}:${r.port}`, { ca: readFileSync(certs.ca) }).send(batch)).toEqual({ ok: true, rejectedPoints: 0 });
    }
    expect(r.accepted()).toHaveLength(2);
  });

  it('answers UNAVAILABLE, saying why, when the server certificate is not trusted', async () => {
    const r = await tlsReceiver(false);
    const result = await sender(`https://localhost:${r.port}`).send(await memoryBatch());
    expect(result).toMatchObject({ ok: false, status: 'UNAVAILABLE', retryable: true });
    expect(!result.ok && result.message).toMatch(/certificate/);
    expect(r.requests).toEqual([]);
  });

  it('presents the client certificate a server requires (mTLS), and fails without it', async () => {
    const r = await tlsReceiver(true);
    const batch = await memoryBatch();
    const ca = readFileSync(certs.ca);
    expect((await sender(`https://localhost:${r.port}`, { ca, cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) }).send(batch)).ok).toBe(true);
    expect(await sender(`https://localhost:${r.port}`, { ca }).send(batch)).toMatchObject({ ok: false, status: 'UNAVAILABLE' });
    expect(r.accepted()).toHaveLength(1);
  });
});
