import { KUBE_PROMETHEUS_STACK_CHART } from './charts.js';
import { COMPONENT_LABEL, GATEWAY_SERVICE, OTLP_GRPC_PORT, OTLP_HTTP_PORT, PART_OF, type Manifest } from './collectors.js';
import type { StackOptions } from './options.js';

// Only the node collectors reach the gateway, and only the gateway (and Grafana, which reads)
// reaches the backends. With TLS material the backends' HTTP ports (Prometheus 9090, Loki 3100,
// Tempo 3200) verify a client certificate only when one is presented (backends.ts,
// CLIENT_AUTH_TYPE, for the kubelet's probes), so these policies are what keeps every other pod
// off them: only the gateway, Grafana and Prometheus (self-scrape) get through.

const NODE_PODS = { matchLabels: { [COMPONENT_LABEL]: 'macos-agent-node-collector' } };
const GATEWAY_PODS = { matchLabels: { [COMPONENT_LABEL]: GATEWAY_SERVICE } };
const GRAFANA_PODS = { matchLabels: { 'app.kubernetes.io/name': 'grafana' } };
const PROMETHEUS_PODS = { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } };

function tcp(...ports: number[]): Manifest[] {
  return ports.map((port) => ({ protocol: 'TCP', port }));
}

function policy(namespace: string, name: string, podSelector: Manifest, ingress: Manifest[]): Manifest {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels: { ...PART_OF } },
    spec: { podSelector, policyTypes: ['Ingress'], ingress },
  };
}

export function networkPolicies(opts: StackOptions): Manifest[] {
  const ns = opts.namespace;
  return [
    policy(ns, 'macos-agent-gateway', GATEWAY_PODS, [
      { from: [{ podSelector: NODE_PODS }], ports: tcp(OTLP_GRPC_PORT, OTLP_HTTP_PORT) },
      // Prometheus scrapes the Collector's own metrics; the kubelet probes health_check.
      { from: [{ podSelector: PROMETHEUS_PODS }], ports: tcp(8888) },
      { ports: tcp(13133) },
    ]),
    // Prometheus also scrapes itself and its config-reloader, and the backends' own metrics.
    policy(ns, 'macos-agent-prometheus-write', { matchLabels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': `${KUBE_PROMETHEUS_STACK_CHART.release}-prometheus` } }, [
      { from: [{ podSelector: GATEWAY_PODS }, { podSelector: GRAFANA_PODS }], ports: tcp(9090) },
      { from: [{ podSelector: PROMETHEUS_PODS }] },
    ]),
    policy(ns, 'macos-agent-loki-write', { matchLabels: { 'app.kubernetes.io/name': 'loki' } }, [
      { from: [{ podSelector: GATEWAY_PODS }, { podSelector: GRAFANA_PODS }, { podSelector: PROMETHEUS_PODS }], ports: tcp(3100) },
    ]),
    policy(ns, 'macos-agent-tempo-write', { matchLabels: { 'app.kubernetes.io/name': 'tempo' } }, [
      { from: [{ podSelector: GATEWAY_PODS }], ports: tcp(OTLP_GRPC_PORT) },
      { from: [{ podSelector: GRAFANA_PODS }, { podSelector: PROMETHEUS_PODS }], ports: tcp(3200) },
    ]),
  ];
}
