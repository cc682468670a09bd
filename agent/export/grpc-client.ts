import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { gunzipSync, gzipSync } from 'node:zlib';

// A gRPC unary client on node:http2, enough for OTLP/gRPC: one POST per call on one HTTP/2
// session per endpoint, framed as the gRPC over HTTP/2 protocol says
// (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md). It replaces @grpc/grpc-js,
// whose channel, load balancing and service-config machinery the agent never used.

/**
 * A 4 KiB window and a small hash (about 24 KB of zlib state, not the default's 268 KB, which glibc
 * maps and unmaps on every call): a request of 9–13 KB compresses to the same size within 1 %, in
 * half the CPU (66 against 117 µs for 9 KB on the test machine). Any gzip reader decodes it.
 */
export const GZIP_OPTIONS = { windowBits: 12, memLevel: 5 } as const;

export const GRPC_STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'OK', 1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS', 7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 10: 'ABORTED',
  11: 'OUT_OF_RANGE', 12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
};

export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  PERMISSION_DENIED: 7,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** HTTP status of a response that is not gRPC (a proxy's error page) -> gRPC status, per doc/http-grpc-status-mapping.md. */
function statusOfHttp(httpStatus: number): number {
  switch (httpStatus) {
    case 400: return GRPC_STATUS.INTERNAL;
    case 401: return GRPC_STATUS.UNAUTHENTICATED;
    case 403: return GRPC_STATUS.PERMISSION_DENIED;
    case 404: return GRPC_STATUS.UNIMPLEMENTED;
    case 429: case 502: case 503: case 504: return GRPC_STATUS.UNAVAILABLE;
    default: return GRPC_STATUS.UNKNOWN;
  }
}

/** RST_STREAM error code -> gRPC status, per PROTOCOL-HTTP2.md "Errors". */
function statusOfReset(rstCode: number): number {
  switch (rstCode) {
    case constants.NGHTTP2_REFUSED_STREAM: return GRPC_STATUS.UNAVAILABLE;
    case constants.NGHTTP2_CANCEL: return GRPC_STATUS.CANCELLED;
    case constants.NGHTTP2_ENHANCE_YOUR_CALM: return GRPC_STATUS.RESOURCE_EXHAUSTED;
    case constants.NGHTTP2_INADEQUATE_SECURITY: return GRPC_STATUS.PERMISSION_DENIED;
    default: return GRPC_STATUS.INTERNAL;
  }
}

/** `grpc-timeout`: at most 8 digits and a unit. */
export function formatGrpcTimeout(ms: number): string {
  const n = Math.max(0, Math.ceil(ms));
  return n <= 99_999_999 ? `${n}m` : `${Math.min(99_999_999, Math.ceil(n / 1000))}S`;
}

function decodeGrpcMessage(raw: string | string[] | undefined): string {
  const text = Array.isArray(raw) ? raw.join(',') : raw ?? '';
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The 5-byte gRPC message prefix: compressed flag, then the length, big-endian. */
export function frameMessage(message: Uint8Array, compressed: boolean): Buffer {
  const framed = Buffer.allocUnsafe(5 + message.length);
  framed.writeUInt8(compressed ? 1 : 0, 0);
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  return framed;
}

/** The one message of a unary response body; throws when the framing is broken. */
export function unframeMessage(body: Buffer, encoding: string): Buffer {
  if (body.length < 5) throw new Error(`the response body has ${body.length} bytes, less than a gRPC message prefix`);
  const compressed = body.readUInt8(0);
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length) throw new Error(`the response body has ${body.length} bytes but its gRPC message prefix announces ${length} + 5`);
  const message = body.subarray(5);
  if (compressed === 0) return message;
  if (encoding !== 'gzip') throw new Error(`the response message is compressed with grpc-encoding ${JSON.stringify(encoding)}, which was not offered`);
  return gunzipSync(message);
}

export interface GrpcClientOptions {
  /** `http://host:port` or `https://host:port`. */
  readonly endpoint: string;
  /** For https: the CA to trust (default: the system's), and a client certificate and key (mTLS). */
  readonly ca?: Buffer | undefined;
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
  /** Sent with every call as headers (names in lower case). */
  readonly metadata?: ReadonlyMap<string, string>;
  /** gzip compresses each request message. */
  readonly compression: 'gzip' | 'none';
  /** Deadline of each call, sent as grpc-timeout and enforced locally. */
  readonly timeoutMs: number;
  readonly userAgent: string;
}

export type GrpcCallResult =
  | { readonly ok: true; readonly message: Buffer }
  | { readonly ok: false; readonly code: number; readonly status: string; readonly message: string };

interface CallState {
  httpStatus?: number;
  contentType?: string;
  encoding: string;
  grpcStatus?: number;
  grpcMessage?: string;
  chunks: Buffer[];
  failure?: { code: number; message: string };
}

/**
 * Unary gRPC calls to one endpoint over one HTTP/2 session, opened on the first call and reused;
 * a session that closed, failed or received GOAWAY is replaced on the next call.
 */
export class GrpcUnaryClient {
  readonly #o: GrpcClientOptions;
  readonly #url: URL;
  #session: ClientHttp2Session | undefined;
  #connects = 0;

  constructor(options: GrpcClientOptions) {
    this.#o = options;
    this.#url = new URL(options.endpoint);
    if (this.#url.protocol !== 'http:' && this.#url.protocol !== 'https:') {
      throw new Error(`gRPC endpoint ${options.endpoint} must start with http:// or https://`);
    }
  }

  /** How many HTTP/2 sessions were opened so far (a reused session counts once). */
  get connects(): number {
    return this.#connects;
  }

  /** Makes one unary call; never rejects: every failure comes back as a gRPC status. */
  async call(path: string, request: Uint8Array): Promise<GrpcCallResult> {
    const compress = this.#o.compression === 'gzip';
    // gzip on the event loop, not zlib's thread pool: a message is a few KB (~0.1 ms), and the
    // pool's hand-off cost more CPU and kept four threads, each with its own malloc arena, busy.
    const body = frameMessage(compress ? gzipSync(request, GZIP_OPTIONS) : request, compress);
    const headers: OutgoingHttpHeaders = {};
    for (const [k, v] of this.#o.metadata ?? []) headers[k] = v;
    Object.assign(headers, {
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: path,
      [constants.HTTP2_HEADER_SCHEME]: this.#url.protocol.slice(0, -1),
      'content-type': 'application/grpc',
      'te': 'trailers',
      'grpc-timeout': formatGrpcTimeout(this.#o.timeoutMs),
      'grpc-accept-encoding': 'identity,gzip',
      'user-agent': this.#o.userAgent,
      ...(compress ? { 'grpc-encoding': 'gzip' } : {}),
    });
    const result = await this.#exchange(headers, body);
    // After UNAVAILABLE or a missed deadline the connection itself may be what failed (a collector
    // restarting, a peer gone without a reset): the next call starts on a fresh one.
    if (!result.ok && (result.code === GRPC_STATUS.UNAVAILABLE || result.code === GRPC_STATUS.DEADLINE_EXCEEDED)) this.#dropSession();
    return result;
  }

  /** Closes the session; a later call opens a new one. */
  async close(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (session === undefined || session.destroyed) return;
    // A session still connecting (to a host that does not answer) would hold close() until the connect times out.
    if (session.connecting) {
      session.destroy();
      return;
    }
    await new Promise<void>((resolve) => session.close(() => resolve()));
  }

  #exchange(headers: OutgoingHttpHeaders, body: Buffer): Promise<GrpcCallResult> {
    return new Promise((resolve) => {
      const state: CallState = { encoding: 'identity', chunks: [] };
      let stream: ClientHttp2Stream;
      try {
        stream = this.#currentSession().request(headers, { endStream: false });
      } catch (error) {
        this.#dropSession();
        resolve(this.#failed(GRPC_STATUS.UNAVAILABLE, `cannot open a stream to ${this.#o.endpoint}: ${(error as Error).message}`));
        return;
      }
      const deadline = setTimeout(() => {
        state.failure ??= { code: GRPC_STATUS.DEADLINE_EXCEEDED, message: `no answer from ${this.#o.endpoint} within the ${this.#o.timeoutMs} ms deadline` };
        stream.close(constants.NGHTTP2_CANCEL);
      }, this.#o.timeoutMs);
      stream.on('response', (h: IncomingHttpHeaders) => {
        state.httpStatus = Number(h[constants.HTTP2_HEADER_STATUS]);
        state.contentType = h['content-type'];
        state.encoding = String(h['grpc-encoding'] ?? 'identity');
        this.#readStatus(h, state);
      });
      stream.on('data', (chunk: Buffer) => state.chunks.push(chunk));
      stream.on('trailers', (h: IncomingHttpHeaders) => this.#readStatus(h, state));
      stream.on('error', (error: Error) => {
        // A session that fails (connection refused, TLS handshake refused) cancels its streams with itself as the cause.
        const cause = error.cause instanceof Error ? error.cause : error;
        state.failure ??= { code: GRPC_STATUS.UNAVAILABLE, message: `cannot reach ${this.#o.endpoint}: ${cause.message}` };
      });
      stream.on('close', () => {
        clearTimeout(deadline);
        resolve(this.#settle(state, stream.rstCode));
      });
      stream.end(body);
    });
  }

  #readStatus(h: IncomingHttpHeaders, state: CallState): void {
    const raw = h['grpc-status'];
    if (raw === undefined) return;
    const code = Number(raw);
    state.grpcStatus = Number.isInteger(code) && code >= 0 ? code : GRPC_STATUS.UNKNOWN;
    state.grpcMessage = decodeGrpcMessage(h['grpc-message']);
  }

  #settle(state: CallState, rstCode: number | undefined): GrpcCallResult {
    if (state.failure !== undefined) return this.#failed(state.failure.code, state.failure.message);
    if (state.httpStatus === undefined) {
      return this.#failed(rstCode !== undefined && rstCode !== constants.NGHTTP2_NO_ERROR ? statusOfReset(rstCode) : GRPC_STATUS.UNAVAILABLE,
        `${this.#o.endpoint} closed the stream without an answer${rstCode ? ` (HTTP/2 error code ${rstCode})` : ''}`);
    }
    if (state.grpcStatus === undefined) {
      if (state.httpStatus !== 200) {
        return this.#failed(statusOfHttp(state.httpStatus), `${this.#o.endpoint} answered HTTP ${state.httpStatus} (${state.contentType ?? 'no content-type'}) instead of gRPC`);
      }
      if (rstCode !== undefined && rstCode !== constants.NGHTTP2_NO_ERROR) {
        return this.#failed(statusOfReset(rstCode), `${this.#o.endpoint} reset the stream (HTTP/2 error code ${rstCode}) before its gRPC status`);
      }
      return this.#failed(GRPC_STATUS.INTERNAL, `${this.#o.endpoint} ended the answer without a grpc-status`);
    }
    if (state.grpcStatus !== GRPC_STATUS.OK) return this.#failed(state.grpcStatus, state.grpcMessage || `${this.#o.endpoint} answered ${GRPC_STATUS_NAMES[state.grpcStatus] ?? state.grpcStatus}`);
    try {
      return { ok: true, message: unframeMessage(Buffer.concat(state.chunks), state.encoding) };
    } catch (error) {
      return this.#failed(GRPC_STATUS.INTERNAL, `cannot read the answer of ${this.#o.endpoint}: ${(error as Error).message}`);
    }
  }

  #failed(code: number, message: string): GrpcCallResult {
    return { ok: false, code, status: GRPC_STATUS_NAMES[code] ?? String(code), message };
  }

  #currentSession(): ClientHttp2Session {
    const existing = this.#session;
    if (existing !== undefined && !existing.closed && !existing.destroyed) return existing;
    const tls = this.#url.protocol === 'https:';
    const session = connect(this.#url.origin, tls
      ? { ...(this.#o.ca ? { ca: this.#o.ca } : {}), ...(this.#o.cert ? { cert: this.#o.cert } : {}), ...(this.#o.key ? { key: this.#o.key } : {}) }
      : {});
    this.#connects++;
    const forget = (): void => {
      if (this.#session === session) this.#session = undefined;
    };
    // The session's error also reaches its streams, where the call reports it.
    session.on('error', forget);
    session.on('goaway', forget);
    session.on('close', forget);
    this.#session = session;
    return session;
  }

  #dropSession(): void {
    const session = this.#session;
    this.#session = undefined;
    session?.destroy();
  }
}
