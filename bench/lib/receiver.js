// A minimal OTLP/gRPC metrics receiver for the benchmark, on loopback only. It speaks gRPC over
// node:http2 directly (rather than through @grpc/grpc-js's server) because the point is to count
// the bytes the agent really puts on the wire: the gRPC message as framed (gzip-compressed when
// the exporter compresses) and the TCP bytes of the whole HTTP/2 connection.
import http2 from 'node:http2';
import { gunzipSync, gzipSync } from 'node:zlib';
import { countMetricsRequest } from './otlp-wire.js';

const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
// An empty ExportMetricsServiceResponse, framed: not compressed, length 0.
const EMPTY_RESPONSE = Buffer.from([0, 0, 0, 0, 0]);

/**
 * @typedef {object} ExportRecord
 * @property {number} at            performance.timeOrigin-based ms when the request ended
 * @property {number} wireBytes     gRPC message bytes as sent (after the exporter's compression), without the 5-byte frame prefix
 * @property {boolean} compressed   whether the exporter compressed the message
 * @property {string} encoding      grpc-encoding header
 * @property {number} rawBytes      protobuf bytes after decompression
 * @property {number} gzipBytes     the protobuf gzipped here (level 6), what a gzip export would weigh
 * @property {number} points        data points in the request
 * @property {number} metrics       metrics in the request
 * @property {string[]} names       metric names
 */

/**
 * Starts the receiver on 127.0.0.1 (port 0 = any free port). Every Export is answered OK and
 * recorded; `onExport` sees each record as it arrives.
 * @param {{ port?: number, onExport?: (r: ExportRecord) => void }} [opts]
 */
export async function startReceiver(opts = {}) {
  /** @type {ExportRecord[]} */
  const exports = [];
  const sockets = new Set();
  let closedSocketBytes = 0;
  const server = http2.createServer();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => { closedSocketBytes += socket.bytesRead; sockets.delete(socket); });
  });
  server.on('stream', (stream, headers) => {
    if (headers[':path'] !== EXPORT_PATH) {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unimplemented' }, { endStream: true });
      return;
    }
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      let record;
      try {
        record = decodeExport(body, String(headers['grpc-encoding'] ?? 'identity'));
      } catch (error) {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '3', 'grpc-message': encodeURIComponent(error.message) }, { endStream: true });
        return;
      }
      exports.push(record);
      opts.onExport?.(record);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(EMPTY_RESPONSE);
    });
    stream.on('error', () => {});
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    exports,
    /** TCP bytes received from agents so far (HTTP/2 framing, headers and pings included). */
    tcpBytesRead: () => closedSocketBytes + [...sockets].reduce((n, s) => n + s.bytesRead, 0),
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve(undefined));
    }),
  };
}

/** @returns {ExportRecord} */
function decodeExport(body, encoding) {
  if (body.length < 5) throw new Error(`gRPC frame of ${body.length} bytes is shorter than its 5-byte prefix`);
  const compressed = body[0] === 1;
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length) throw new Error(`gRPC frame says ${length} bytes but carries ${body.length - 5}`);
  const message = body.subarray(5);
  let raw = message;
  if (compressed) {
    if (encoding !== 'gzip') throw new Error(`compressed message with unsupported grpc-encoding ${encoding}`);
    raw = gunzipSync(message);
  }
  const counts = countMetricsRequest(raw);
  return {
    at: performance.timeOrigin + performance.now(),
    wireBytes: length,
    compressed,
    encoding,
    rawBytes: raw.length,
    gzipBytes: compressed ? length : gzipSync(raw).length,
    ...counts,
  };
}
