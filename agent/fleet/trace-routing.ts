import { COMPONENT } from './components.js';
import { clientTlsBlock, retryOnFailure, type ConfigMap } from './config-parts.js';
import type { ClientTls } from './options.js';

// Tail sampling decides on whole traces, so every span of a trace must reach the same gateway
// replica (tail_sampling README: "All spans for a given trace MUST be received by the same
// collector instance"). The node tier therefore never sends spans to the gateway's Service, which
// balances connections round-robin: it resolves the replicas behind the gateway's headless
// Service and picks one by trace ID.

/** The OpenTelemetry Operator names a collector's headless Service `<name>-collector-headless`. */
export function headlessServiceOf(service: string): string {
  return `${service}-headless`;
}

export interface LoadBalancedTarget {
  /** The gateway's headless Service. */
  readonly headlessService: string;
  readonly namespace: string;
  readonly port: number;
  readonly tls: ClientTls | undefined;
  /** An authenticator extension to send (bearertokenauth), or none. */
  readonly auth: string | undefined;
  /** The queue of the load-balancing exporter (before the traces are split by trace ID). */
  readonly sendingQueue: ConfigMap;
}

/**
 * `load_balancing` (the loadbalancing exporter), keyed by trace ID, with the `k8s` resolver: it
 * watches the headless Service's endpoints (which needs the RBAC in trace-routing RBAC below) and
 * keeps one OTLP/gRPC connection per gateway replica.
 */
export function loadBalancingExporter(target: LoadBalancedTarget): ConfigMap {
  return {
    routing_key: 'traceID',
    protocol: {
      otlp: {
        tls: clientTlsBlock(target.tls),
        compression: 'gzip',
        ...(target.auth === undefined ? {} : { auth: { authenticator: target.auth } }),
      },
    },
    resolver: { k8s: { service: `${target.headlessService}.${target.namespace}`, ports: [target.port] } },
    sending_queue: target.sendingQueue,
    retry_on_failure: retryOnFailure('0s'),
  };
}

export const TRACE_EXPORTER = COMPONENT.loadBalancingExporter;

/** What the `k8s` resolver reads: the headless Service's Endpoints and EndpointSlices. */
export const RESOLVER_RULES = [
  { apiGroups: [''], resources: ['endpoints'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
] as const;
