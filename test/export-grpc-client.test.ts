import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeBatch, keepObservedSeries } from '../agent/export/batch.js';
import { createOtlpSender, type ExportBatch, type ExporterSettings } from '../agent/export/exporter.js';
import { GRPC_STATUS, GrpcUnaryClient, type GrpcClientOptions } from '../agent/export/grpc-client.js';
import { point } from '../agent/metrics/catalog.js';
import { PointStore, registerInstruments } from '../agent/metrics/instruments.js';
import { makeTestCertificates, type TestCertificates } from './helpers/tls-certificates.js';
import { OtlpReceiver, type ReceivedRequest } from './otlp/receiver.js';

const EXPORT = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

class ManualReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }

  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** A real ExportMetricsServiceRequest, encoded by the agent's own path: free memory 4096 B, limit 8192 B. */
async function memoryBatch(): Promise<ExportBatch> {
  const store = new PointStore();
  const reader = new ManualReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'macos-agent' }), readers: [reader] });
  registerInstruments(provider.getMeter('macos-agent'), store);
  store.set('vm_stat', [point('memoryUsage', 4096, { 'system.memory.state': 'free' }), point('memoryLimit', 8192)]);
  return encodeBatch(keepObservedSeries((await reader.collect()).resourceMetrics, store))!;
}

function client(endpoint: string, options: Partial<GrpcClientOptions> = {}): GrpcUnaryClient {
  const c = new GrpcUnaryClient({ endpoint, compression: 'gzip', timeoutMs: 2000, userAgent: 'macos-agent/0.1.0', ...options });
  cleanups.push(() => c.close());
  return c;
}

async function receiver(options: Parameters<typeof OtlpReceiver.start>[0] = {}): Promise<OtlpReceiver> {
  const r = await OtlpReceiver.start(options);
  cleanups.push(() => r.kill());
  return r;
}

interface RawRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A bare HTTP/2 server that records what arrives on the wire and answers as `answer` says (a proxy, a non-grpc-js server). */
async function rawPeer(answer: (stream: ServerHttp2Stream) => void): Promise<{ port: number; requests: RawRequest[] }> {
  const requests: RawRequest[] = [];
  const server = createServer();
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => sessions.add(session));
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      requests.push({ headers, body: Buffer.concat(chunks) });
      answer(stream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const session of sessions) session.destroy();
  }));
  return { port: (server.address() as AddressInfo).port, requests };
}

function answerOk(message: Buffer, headers: Record<string, string> = {}): (stream: ServerHttp2Stream) => void {
  return (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...headers }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(message);
  };
}

function framed(flag: number, message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(flag, 0);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

function settings(port: number): ExporterSettings {
  return { endpoint: `http://127.0.0.1:${port}`, tls: false, compression: 'gzip', timeoutMs: 2000, headerNames: [], headers: new Map() };
}

async function freePort(): Promise<number> {
  const probe = await OtlpReceiver.start();
  probe.kill();
  return probe.port;
}

describe('GrpcUnaryClient against a grpc-js server', () => {
  for (const compression of ['gzip', 'none'] as const) {
    it(`delivers a request the server decodes, with compression ${compression}`, async () => {
      const r = await receiver();
      const result = await client(`http://127.0.0.1:${r.port}`, { compression }).call(EXPORT, (await memoryBatch()).payload);
      expect(result).toEqual({ ok: true, message: Buffer.alloc(0) });
      expect(r.points().map((p) => [p.name, p.attributes, p.value])).toEqual([
        ['system.memory.usage', { 'system.memory.state': 'free' }, 4096],
        ['system.memory.limit', {}, 8192],
      ]);
    });
  }

  it('sends the configured metadata and its user agent as headers', async () => {
    const r = await receiver();
    const metadata = new Map([['authorization', 'Bearer s3cret'], ['x-tenant', 'render-farm']]);
    await client(`http://127.0.0.1:${r.port}`, { metadata }).call(EXPORT, (await memoryBatch()).payload);
    expect(r.requests[0]!.metadata).toMatchObject({ 'authorization': 'Bearer s3cret', 'x-tenant': 'render-farm' });
    expect(r.requests[0]!.metadata['user-agent']).toMatch(/^macos-agent\/0\.1\.0/);
  });

  it('gives up at the deadline with DEADLINE_EXCEEDED and cancels the call on the server', async () => {
    const r = await receiver({ delayMs: 800 });
    const started = Date.now();
    const result = await client(`http://127.0.0.1:${r.port}`, { timeoutMs: 150 }).call(EXPORT, (await memoryBatch()).payload);
    expect(Date.now() - started).toBeLessThan(700);
    expect(result).toMatchObject({ ok: false, code: GRPC_STATUS.DEADLINE_EXCEEDED, status: 'DEADLINE_EXCEEDED' });
    await expect.poll(() => r.requests.length, { timeout: 2000 }).toBe(1);
    expect(r.requests[0]!.cancelled).toBe(true);
  });

  it('reports the status and message of an error answer', async () => {
    const r = await receiver({ answer: () => ({ kind: 'error', code: status.RESOURCE_EXHAUSTED, message: 'memory limiter: data refused' }) });
    const result = await client(`http://127.0.0.1:${r.port}`).call(EXPORT, (await memoryBatch()).payload);
    expect(result).toEqual({ ok: false, code: 8, status: 'RESOURCE_EXHAUSTED', message: 'memory limiter: data refused' });
  });

  it('answers UNAVAILABLE when nothing listens on the port', async () => {
    const port = await freePort();
    const result = await client(`http://127.0.0.1:${port}`).call(EXPORT, (await memoryBatch()).payload);
    expect(result).toMatchObject({ ok: false, code: GRPC_STATUS.UNAVAILABLE, status: 'UNAVAILABLE' });
    expect(!result.ok && result.message).toContain('ECONNREFUSED');
  });

  it('reuses one HTTP/2 session across calls, and opens a new one after the server restarts', async () => {
    const requests: ReceivedRequest[] = [];
    let r = await OtlpReceiver.start({}, requests);
    cleanups.push(() => r.kill());
    const c = client(`http://127.0.0.1:${r.port}`);
    const payload = (await memoryBatch()).payload;
    for (let i = 0; i < 3; i++) expect((await c.call(EXPORT, payload)).ok).toBe(true);
    expect(c.connects).toBe(1);

    r.kill();
    expect(await c.call(EXPORT, payload)).toMatchObject({ ok: false, status: 'UNAVAILABLE' });
    r = await OtlpReceiver.start({ port: r.port }, requests);
    expect((await c.call(EXPORT, payload)).ok).toBe(true);
    const reconnected = c.connects;
    expect(reconnected).toBeGreaterThanOrEqual(2);
    expect((await c.call(EXPORT, payload)).ok).toBe(true);
    expect(c.connects).toBe(reconnected);
    expect(requests.filter((q) => !q.cancelled)).toHaveLength(5);
  });
});

describe('GrpcUnaryClient on the wire', () => {
  it('frames the request as gRPC: compressed flag, big-endian length, gzip body, and the call headers', async () => {
    const peer = await rawPeer(answerOk(framed(0, Buffer.alloc(0))));
    const payload = (await memoryBatch()).payload;
    for (const compression of ['gzip', 'none'] as const) {
      const metadata = new Map([['x-tenant', 'render-farm']]);
      expect((await client(`http://127.0.0.1:${peer.port}`, { compression, metadata, timeoutMs: 1500 }).call(EXPORT, payload)).ok).toBe(true);
    }
    const [gzipped, plain] = peer.requests;
    expect(gzipped!.headers).toMatchObject({
      ':method': 'POST', ':path': EXPORT, ':scheme': 'http', 'content-type': 'application/grpc', 'te': 'trailers',
      'grpc-timeout': '1500m', 'grpc-encoding': 'gzip', 'grpc-accept-encoding': 'identity,gzip', 'user-agent': 'macos-agent/0.1.0', 'x-tenant': 'render-farm',
    });
    expect(gzipped!.body[0]).toBe(1);
    expect(gzipped!.body.readUInt32BE(1)).toBe(gzipped!.body.length - 5);
    expect(gunzipSync(gzipped!.body.subarray(5))).toEqual(Buffer.from(payload));
    expect(plain!.headers['grpc-encoding']).toBeUndefined();
    expect(plain!.body).toEqual(framed(0, Buffer.from(payload)));
  });

  it('reads a trailers-only error answer, percent-decoding its message', async () => {
    const peer = await rawPeer((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '3', 'grpc-message': 'bad%20data: 100%25 of points' }, { endStream: true });
    });
    const result = await client(`http://127.0.0.1:${peer.port}`).call(EXPORT, Buffer.alloc(0));
    expect(result).toEqual({ ok: false, code: 3, status: 'INVALID_ARGUMENT', message: 'bad data: 100% of points' });
  });

  it('maps an HTTP error that is not gRPC (a proxy in the way) to the gRPC status of the spec', async () => {
    for (const [httpStatus, grpcStatus] of [[503, 'UNAVAILABLE'], [404, 'UNIMPLEMENTED'], [401, 'UNAUTHENTICATED'], [500, 'UNKNOWN']] as const) {
      const peer = await rawPeer((stream) => {
        stream.respond({ ':status': httpStatus, 'content-type': 'text/html' });
        stream.end('<html>error</html>');
      });
      const result = await client(`http://127.0.0.1:${peer.port}`).call(EXPORT, Buffer.alloc(0));
      expect(result).toMatchObject({ ok: false, status: grpcStatus });
      expect(!result.ok && result.message).toContain(`answered HTTP ${httpStatus} (text/html)`);
    }
  });

  it('decompresses a gzip-compressed answer', async () => {
    // ExportMetricsServiceResponse { partial_success { rejected_data_points: 7, error_message: "hi" } }
    const response = Buffer.from([0x0a, 0x06, 0x08, 0x07, 0x12, 0x02, 0x68, 0x69]);
    const peer = await rawPeer(answerOk(framed(1, gzipSync(response)), { 'grpc-encoding': 'gzip' }));
    expect(await client(`http://127.0.0.1:${peer.port}`).call(EXPORT, Buffer.alloc(0))).toEqual({ ok: true, message: response });
    const sender = createOtlpSender(settings(peer.port));
    cleanups.push(() => sender.shutdown());
    expect(await sender.send(await memoryBatch())).toEqual({ ok: true, rejectedPoints: 7, rejectMessage: 'hi' });
  });

  it('fails a call whose answer has no grpc-status, rather than counting it delivered', async () => {
    const peer = await rawPeer((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.end(framed(0, Buffer.alloc(0)));
    });
    expect(await client(`http://127.0.0.1:${peer.port}`).call(EXPORT, Buffer.alloc(0))).toMatchObject({ ok: false, status: 'INTERNAL' });
  });
});

describe('the OTLP sender on the client', () => {
  it('counts the points a partial success rejected, with the collector\'s message', async () => {
    const r = await receiver({ answer: () => ({ kind: 'partial', rejected: 5, message: 'metric name too long' }) });
    const sender = createOtlpSender(settings(r.port));
    cleanups.push(() => sender.shutdown());
    expect(await sender.send(await memoryBatch())).toEqual({ ok: true, rejectedPoints: 5, rejectMessage: 'metric name too long' });
  });

  it('retries every refusal but INVALID_ARGUMENT', async () => {
    const codes = [status.UNAVAILABLE, status.RESOURCE_EXHAUSTED, status.INVALID_ARGUMENT];
    const r = await receiver({ answer: (n) => ({ kind: 'error', code: codes[n]!, message: `refusal ${n}` }) });
    const sender = createOtlpSender(settings(r.port));
    cleanups.push(() => sender.shutdown());
    const batch = await memoryBatch();
    const results = [await sender.send(batch), await sender.send(batch), await sender.send(batch)];
    expect(results).toEqual([
      { ok: false, status: 'UNAVAILABLE', message: 'refusal 0', retryable: true },
      { ok: false, status: 'RESOURCE_EXHAUSTED', message: 'refusal 1', retryable: true },
      { ok: false, status: 'INVALID_ARGUMENT', message: 'refusal 2', retryable: false },
    ]);
  });
});

describe('GrpcUnaryClient over TLS to a grpc-js server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'macos-agent-grpc-tls-'));
  let certs: TestCertificates;
  beforeAll(() => { certs = makeTestCertificates(dir); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tlsReceiver = (requireClientCert: boolean): Promise<OtlpReceiver> =>
    receiver({ tls: { ca: readFileSync(certs.ca), cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey), requireClientCert } });

  it('verifies the server against the configured CA, by host name or by IP address', async () => {
    const r = await tlsReceiver(false);
    const payload = (await memoryBatch()).payload;
    for (const host of ['localhost', '127.0.0.1']) {
      expect(await client(`https://${host}:${r.port}`, { ca: readFileSync(certs.ca) }).call(EXPORT, payload)).toEqual({ ok: true, message: Buffer.alloc(0) });
    }
    expect(r.accepted()).toHaveLength(2);
  });

  it('answers UNAVAILABLE, saying why, when the server certificate is not trusted', async () => {
    const r = await tlsReceiver(false);
    const result = await client(`https://localhost:${r.port}`).call(EXPORT, (await memoryBatch()).payload);
    expect(result).toMatchObject({ ok: false, status: 'UNAVAILABLE' });
    expect(!result.ok && result.message).toMatch(/certificate/);
    expect(r.requests).toEqual([]);
  });

  it('presents the client certificate a server requires (mTLS), and fails without it', async () => {
    const r = await tlsReceiver(true);
    const payload = (await memoryBatch()).payload;
    const ca = readFileSync(certs.ca);
    expect((await client(`https://localhost:${r.port}`, { ca, cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) }).call(EXPORT, payload)).ok).toBe(true);
    expect(await client(`https://localhost:${r.port}`, { ca }).call(EXPORT, payload)).toMatchObject({ ok: false, status: 'UNAVAILABLE' });
    expect(r.accepted()).toHaveLength(1);
  });
});
