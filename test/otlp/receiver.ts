import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

// A real OTLP/gRPC metrics receiver for the tests: a grpc-js server implementing
// opentelemetry.proto.collector.metrics.v1.MetricsService/Export, decoding each request with the
// OTLP protobuf schema in this folder. What it records is what the agent's real bytes said.

const PROTO_DIR = import.meta.dirname;

const packageDefinition = protoLoader.loadSync(join(PROTO_DIR, 'metrics_service.proto'), {
  includeDirs: [PROTO_DIR],
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const proto = grpc.loadPackageDefinition(packageDefinition) as unknown as {
  opentelemetry: { proto: { collector: { metrics: { v1: { MetricsService: grpc.ServiceClientConstructor } } } } };
};
const MetricsService = proto.opentelemetry.proto.collector.metrics.v1.MetricsService;

interface AnyValue {
  value?: string;
  stringValue?: string;
  intValue?: string;
  doubleValue?: number;
  boolValue?: boolean;
}
interface KeyValue { key: string; value: AnyValue }
interface NumberDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano: string;
  timeUnixNano: string;
  value?: 'asDouble' | 'asInt';
  asDouble?: number;
  asInt?: string;
}
interface Metric {
  name: string;
  description: string;
  unit: string;
  data?: 'gauge' | 'sum';
  gauge?: { dataPoints: NumberDataPoint[] };
  sum?: { dataPoints: NumberDataPoint[]; aggregationTemporality: string; isMonotonic: boolean };
}
export interface ExportMetricsServiceRequest {
  resourceMetrics: {
    resource?: { attributes: KeyValue[] };
    scopeMetrics: { scope?: { name: string; version: string }; metrics: Metric[] }[];
  }[];
}

export type Answer =
  | { readonly kind: 'ok' }
  | { readonly kind: 'partial'; readonly rejected: number; readonly message: string }
  | { readonly kind: 'error'; readonly code: grpc.status; readonly message: string };

export interface ReceivedRequest {
  readonly request: ExportMetricsServiceRequest;
  readonly metadata: Record<string, string>;
  readonly answer: Answer;
  /** The client gave up (deadline) before the answer: the agent counts this request as failed. */
  readonly cancelled: boolean;
  readonly receivedAt: number;
}

/** One data point as the receiver decoded it, with its metric and resource. */
export interface ReceivedPoint {
  readonly resource: Record<string, string | number | boolean>;
  readonly scope: string;
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  readonly type: 'gauge' | 'sum';
  readonly temporality?: string;
  readonly monotonic?: boolean;
  readonly attributes: Record<string, string | number | boolean>;
  readonly value: number;
  readonly timeUnixNano: bigint;
  readonly startTimeUnixNano: bigint;
}

export interface TlsOptions {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Require and verify a client certificate signed by `ca` (mTLS). */
  readonly requireClientCert: boolean;
}

export interface ReceiverOptions {
  /** 0 picks a free port. */
  readonly port?: number;
  readonly tls?: TlsOptions;
  /** Decides the answer to each request (default: accept). */
  readonly answer?: (n: number) => Answer;
  /** Wait this long before answering. */
  readonly delayMs?: number;
}

function anyValue(v: AnyValue): string | number | boolean {
  switch (v.value) {
    case 'stringValue': return v.stringValue!;
    case 'intValue': return Number(v.intValue);
    case 'doubleValue': return v.doubleValue!;
    case 'boolValue': return v.boolValue!;
    default: throw new Error(`unexpected attribute value ${JSON.stringify(v)}`);
  }
}

export function attributes(kvs: readonly KeyValue[]): Record<string, string | number | boolean> {
  return Object.fromEntries(kvs.map((kv) => [kv.key, anyValue(kv.value)]));
}

export function pointsOf(request: ExportMetricsServiceRequest): ReceivedPoint[] {
  const out: ReceivedPoint[] = [];
  for (const rm of request.resourceMetrics) {
    const resource = attributes(rm.resource?.attributes ?? []);
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        const data = m.data === 'gauge' ? m.gauge! : m.data === 'sum' ? m.sum! : undefined;
        if (data === undefined) throw new Error(`metric ${m.name} is neither a gauge nor a sum`);
        for (const dp of data.dataPoints) {
          out.push({
            resource,
            scope: sm.scope?.name ?? '',
            name: m.name,
            unit: m.unit,
            description: m.description,
            type: m.data!,
            ...(m.data === 'sum' ? { temporality: m.sum!.aggregationTemporality, monotonic: m.sum!.isMonotonic } : {}),
            attributes: attributes(dp.attributes),
            value: dp.value === 'asInt' ? Number(dp.asInt) : dp.asDouble!,
            timeUnixNano: BigInt(dp.timeUnixNano),
            startTimeUnixNano: BigInt(dp.startTimeUnixNano),
          });
        }
      }
    }
  }
  return out;
}

export class OtlpReceiver {
  readonly port: number;
  readonly requests: ReceivedRequest[] = [];
  readonly #server: grpc.Server;
  #options: ReceiverOptions;

  private constructor(server: grpc.Server, port: number, options: ReceiverOptions, requests: ReceivedRequest[]) {
    this.#server = server;
    this.port = port;
    this.#options = options;
    this.requests = requests;
  }

  /** Starts a receiver; pass `requests` to keep recording into the list of a receiver that was stopped. */
  static async start(options: ReceiverOptions = {}, requests: ReceivedRequest[] = []): Promise<OtlpReceiver> {
    const server = new grpc.Server();
    let self: OtlpReceiver | undefined;
    server.addService(MetricsService.service, {
      Export: (call: grpc.ServerUnaryCall<ExportMetricsServiceRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const opts = self!.#options;
        const answer = opts.answer?.(self!.requests.length) ?? { kind: 'ok' };
        const respond = (): void => {
          const metadata = Object.fromEntries(Object.entries(call.metadata.getMap()).map(([k, v]) => [k, String(v)]));
          self!.requests.push({ request: call.request, metadata, answer, cancelled: call.cancelled, receivedAt: Date.now() });
          if (answer.kind === 'error') callback({ code: answer.code, details: answer.message });
          else if (answer.kind === 'partial') callback(null, { partialSuccess: { rejectedDataPoints: answer.rejected, errorMessage: answer.message } });
          else callback(null, {});
        };
        if (opts.delayMs) setTimeout(respond, opts.delayMs);
        else respond();
      },
    });
    const credentials = options.tls
      ? grpc.ServerCredentials.createSsl(options.tls.ca, [{ private_key: options.tls.key, cert_chain: options.tls.cert }], options.tls.requireClientCert)
      : grpc.ServerCredentials.createInsecure();
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`127.0.0.1:${options.port ?? 0}`, credentials, (error, p) => (error ? reject(error) : resolve(p)));
    });
    self = new OtlpReceiver(server, port, options, requests);
    return self;
  }

  setOptions(options: Partial<ReceiverOptions>): void {
    this.#options = { ...this.#options, ...options };
  }

  /** Requests the agent saw succeed (answered in time, not with an error). */
  accepted(): ReceivedRequest[] {
    return this.requests.filter((r) => !r.cancelled && r.answer.kind !== 'error');
  }

  points(): ReceivedPoint[] {
    return this.accepted().flatMap((r) => pointsOf(r.request));
  }

  /** Stops at once, dropping connections, as a crashed collector would. */
  kill(): void {
    this.#server.forceShutdown();
  }
}
