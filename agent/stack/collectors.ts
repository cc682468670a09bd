import { COLLECTOR_IMAGE, COLLECTOR_UID, COMPONENT } from '../fleet/components.js';
import {
  healthCheck, memoryLimiter, otlpReceiver, ownTelemetry, retryOnFailure, sendingQueue,
  type CollectorConfig, type ConfigMap, type Pipeline,
} from '../fleet/config-parts.js';
import { buildGatewayConfig } from '../fleet/gateway-config.js';
import { POD_IP, type ClientTls, type CommonOptions, type GatewayOptions, type ServerTls } from '../fleet/options.js';
import { memoryBudget, type MemoryBudget } from '../fleet/sizing.js';
import { headlessServiceOf, loadBalancingExporter, RESOLVER_RULES, TRACE_EXPORTER } from '../fleet/trace-routing.js';
import { KUBE_PROMETHEUS_STACK_CHART, LOKI_CHART, TEMPO_CHART } from './charts.js';
import type { StackOptions } from './options.js';

// The two collector tiers in the cluster, as OpenTelemetry Operator resources: a node DaemonSet
// (pod logs, Kubernetes metadata, node metrics, OTLP on every node) and the gateway Deployment.

export type Manifest = Record<string, unknown>;

export const PART_OF = { 'app.kubernetes.io/part-of': 'macos-agent' } as const;
export const NODE_NAME = 'macos-agent-node';
export const GATEWAY_NAME = 'macos-agent-gateway';
/** The Operator names a collector's pods and Services `<name>-collector`. */
export const GATEWAY_SERVICE = `${GATEWAY_NAME}-collector`;
export const NODE_SERVICE_ACCOUNT = NODE_NAME;
export const GATEWAY_SERVICE_ACCOUNT = GATEWAY_NAME;
/** The label the Operator puts on a collector's pods. */
export const COMPONENT_LABEL = 'app.kubernetes.io/name';

export const OTLP_GRPC_PORT = 4317;
export const OTLP_HTTP_PORT = 4318;
/** With TLS material, the Macs' node collectors reach a node collector here, over mTLS. */
export const OTLP_MACS_PORT = 4319;
const OTLP_MACS_RECEIVER = `${COMPONENT.otlpReceiver}/macs`;
const GATEWAY_EXPORTER = `${COMPONENT.otlpGrpcExporter}/gateway`;

const TLS_DIR = '/etc/otelcol/tls';
const TOKEN_DIR = '/etc/otelcol/token';
const QUEUE_DIR = '/var/lib/otelcol/queue';
const HOST_ROOT = '/hostfs';
/** Export requests the node keeps on disk while the gateway is away (each at most one batch). */
const NODE_QUEUE_REQUESTS = 5_000;

const SERVER_TLS: ServerTls = { certFile: `${TLS_DIR}/tls.crt`, keyFile: `${TLS_DIR}/tls.key`, clientCaFile: `${TLS_DIR}/ca.crt` };
const CLIENT_TLS: ClientTls = { caFile: `${TLS_DIR}/ca.crt`, certFile: `${TLS_DIR}/tls.crt`, keyFile: `${TLS_DIR}/tls.key` };

/** The design's Kubernetes metadata on every signal from a pod. */
export const K8S_METADATA = ['k8s.pod.name', 'k8s.pod.uid', 'k8s.deployment.name', 'k8s.namespace.name', 'k8s.node.name'] as const;

/** Listens on the pod's own IP: health and self-metrics need no other address. */
function podLocal(port: number): string {
  return `${POD_IP}:${port}`;
}

function common(opts: StackOptions, memoryMib: number, receiverTls: ServerTls | undefined): CommonOptions {
  return {
    format: 'operator',
    // A pod must accept connections from other pods and, through hostPort, from the node.
    otlpGrpcListen: `0.0.0.0:${OTLP_GRPC_PORT}`,
    otlpHttpListen: `0.0.0.0:${OTLP_HTTP_PORT}`,
    healthListen: podLocal(13133),
    telemetryListen: podLocal(8888),
    memoryLimitMib: memoryMib,
    receiverTls,
    bearerTokenFile: opts.bearerTokenSecret === undefined ? undefined : `${TOKEN_DIR}/token`,
  };
}

const POD_IP_ENV = { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } };

function goMemLimit(budget: MemoryBudget): Manifest {
  return { name: 'GOMEMLIMIT', value: `${budget.goMemLimitMib}MiB` };
}

function resources(budget: MemoryBudget, cpu: string): Manifest {
  return { requests: { cpu, memory: `${budget.podLimitMib}Mi` }, limits: { memory: `${budget.podLimitMib}Mi` } };
}

const CONTAINER_SECURITY = {
  runAsNonRoot: true,
  runAsUser: COLLECTOR_UID,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

function secretVolumes(opts: StackOptions): { volumes: Manifest[]; mounts: Manifest[] } {
  const volumes: Manifest[] = [];
  const mounts: Manifest[] = [];
  if (opts.tls !== undefined) {
    volumes.push({ name: 'tls', secret: { secretName: opts.tls.secretName, defaultMode: 0o440 } });
    mounts.push({ name: 'tls', mountPath: TLS_DIR, readOnly: true });
  }
  if (opts.bearerTokenSecret !== undefined) {
    volumes.push({ name: 'token', secret: { secretName: opts.bearerTokenSecret, defaultMode: 0o440, items: [{ key: 'token', path: 'token' }] } });
    mounts.push({ name: 'token', mountPath: TOKEN_DIR, readOnly: true });
  }
  return { volumes, mounts };
}

/**
 * The in-cluster backends the gateway writes to, named after the pinned charts' releases: https
 * with TLS material (the backends then serve TLS, see backends.ts), plaintext without.
 */
export function backendEndpoints(namespace: string, tls: boolean): { prometheus: string; loki: string; tempo: string } {
  const scheme = tls ? 'https' : 'http';
  const hosts = backendHosts(namespace);
  return {
    prometheus: `${scheme}://${hosts.prometheus}:9090/api/v1/write`,
    loki: `${scheme}://${hosts.loki}:3100`,
    tempo: `${hosts.tempo}:${OTLP_GRPC_PORT}`,
  };
}

/** The Services the gateway and Grafana reach the backends by: the names a TLS certificate must carry. */
export function backendHosts(namespace: string): { prometheus: string; loki: string; tempo: string } {
  return {
    prometheus: `${KUBE_PROMETHEUS_STACK_CHART.release}-prometheus.${namespace}`,
    loki: `${LOKI_CHART.release}.${namespace}`,
    tempo: `${TEMPO_CHART.release}.${namespace}`,
  };
}

export function gatewayConfig(opts: StackOptions): CollectorConfig {
  const backends = backendEndpoints(opts.namespace, opts.tls !== undefined);
  // With TLS material every backend requires or verifies the gateway's client certificate.
  const clientTls = opts.tls === undefined ? undefined : CLIENT_TLS;
  const gateway: GatewayOptions = {
    ...common(opts, opts.gatewayMemoryMib, opts.tls === undefined ? undefined : SERVER_TLS),
    role: 'gateway',
    prometheus: { url: backends.prometheus, tls: clientTls },
    loki: { url: backends.loki, tls: clientTls },
    tempo: { hostPort: backends.tempo, tls: clientTls },
    slowTraceThresholdMs: opts.slowTraceThresholdMs,
    samplingPercentage: opts.tailSamplingPercentage,
  };
  return buildGatewayConfig(gateway);
}

/**
 * The cluster's node collector: OTLP from the node's pods (and, through hostPort, from the Macs),
 * pod logs, node metrics through the read-only host mount, Kubernetes metadata; traces to the
 * gateway replicas by trace ID, metrics and logs to the gateway Service, all through a
 * persistent queue on the node.
 */
export function nodeConfig(opts: StackOptions): CollectorConfig {
  const base = common(opts, opts.nodeMemoryMib, undefined);
  const budget = memoryBudget(opts.nodeMemoryMib);
  const auth = opts.bearerTokenSecret === undefined ? undefined : COMPONENT.bearerTokenAuth;
  const clientTls = opts.tls === undefined ? undefined : CLIENT_TLS;
  const otlpIn: string[] = [COMPONENT.otlpReceiver];
  const receivers: ConfigMap = {
    [COMPONENT.otlpReceiver]: otlpReceiver(base),
    [COMPONENT.fileLogReceiver]: {
      include: ['/var/log/pods/*/*/*.log'],
      // Its own logs would loop through the pipeline.
      exclude: [`/var/log/pods/${opts.namespace}_${NODE_NAME}-collector-*/*/*.log`],
      start_at: 'end',
      include_file_path: true,
      include_file_name: false,
      storage: COMPONENT.fileStorage,
      operators: [{ type: 'container', id: 'container-parser' }],
    },
    [COMPONENT.hostMetricsReceiver]: {
      collection_interval: '30s',
      root_path: HOST_ROOT,
      scrapers: { cpu: {}, load: {}, memory: {}, disk: {}, filesystem: {}, network: {} },
    },
  };
  if (opts.tls !== undefined) {
    otlpIn.push(OTLP_MACS_RECEIVER);
    receivers[OTLP_MACS_RECEIVER] = otlpReceiver({ ...base, otlpGrpcListen: `0.0.0.0:${OTLP_MACS_PORT}`, otlpHttpListen: `0.0.0.0:${OTLP_MACS_PORT + 1}`, receiverTls: SERVER_TLS });
  }
  const processors: ConfigMap = {
    [COMPONENT.memoryLimiter]: memoryLimiter(budget),
    [COMPONENT.k8sAttributes]: {
      auth_type: 'serviceAccount',
      // Only this node's pods are watched.
      filter: { node_from_env_var: 'K8S_NODE_NAME' },
      extract: { metadata: [...K8S_METADATA] },
      pod_association: [
        { sources: [{ from: 'resource_attribute', name: 'k8s.pod.uid' }] },
        { sources: [{ from: 'resource_attribute', name: 'k8s.pod.ip' }] },
        { sources: [{ from: 'connection' }] },
      ],
    },
    // k8s.node.name and host.name of the node, from OTEL_RESOURCE_ATTRIBUTES (the downward API).
    [COMPONENT.resourceDetection]: { detectors: ['env'], override: false },
  };
  const authBlock: ConfigMap = auth === undefined ? {} : { auth: { authenticator: auth } };
  const exporters: ConfigMap = {
    [GATEWAY_EXPORTER]: {
      endpoint: `${GATEWAY_SERVICE}.${opts.namespace}:${OTLP_GRPC_PORT}`,
      tls: opts.tls === undefined ? { insecure: true } : { ca_file: CLIENT_TLS.caFile!, cert_file: CLIENT_TLS.certFile!, key_file: CLIENT_TLS.keyFile! },
      compression: 'gzip',
      ...authBlock,
      sending_queue: sendingQueue({ requests: NODE_QUEUE_REQUESTS, storage: COMPONENT.fileStorage }),
      retry_on_failure: retryOnFailure('0s'),
    },
    [TRACE_EXPORTER]: loadBalancingExporter({
      headlessService: headlessServiceOf(GATEWAY_SERVICE),
      namespace: opts.namespace,
      port: OTLP_GRPC_PORT,
      tls: clientTls,
      auth,
      sendingQueue: sendingQueue({ requests: NODE_QUEUE_REQUESTS, storage: COMPONENT.fileStorage }),
    }),
  };
  const processing = [COMPONENT.memoryLimiter, COMPONENT.k8sAttributes, COMPONENT.resourceDetection];
  const pipelines: Record<string, Pipeline> = {
    metrics: { receivers: [...otlpIn, COMPONENT.hostMetricsReceiver], processors: processing, exporters: [GATEWAY_EXPORTER] },
    logs: { receivers: [...otlpIn, COMPONENT.fileLogReceiver], processors: processing, exporters: [GATEWAY_EXPORTER] },
    traces: { receivers: otlpIn, processors: processing, exporters: [TRACE_EXPORTER] },
  };
  const extensions: ConfigMap = {
    [COMPONENT.healthCheck]: healthCheck(base),
    [COMPONENT.fileStorage]: { directory: QUEUE_DIR, create_directory: false, fsync: true },
  };
  if (auth !== undefined) extensions[auth] = { filename: `${TOKEN_DIR}/token` };
  return {
    extensions,
    receivers,
    processors,
    exporters,
    service: { extensions: Object.keys(extensions), telemetry: ownTelemetry(base), pipelines },
  };
}

function hostPorts(opts: StackOptions): Manifest[] {
  const ports: Manifest[] = [
    { name: 'otlp-grpc', port: OTLP_GRPC_PORT, hostPort: OTLP_GRPC_PORT, protocol: 'TCP' },
    { name: 'otlp-http', port: OTLP_HTTP_PORT, hostPort: OTLP_HTTP_PORT, protocol: 'TCP' },
  ];
  if (opts.tls !== undefined) ports.push({ name: 'otlp-macs', port: OTLP_MACS_PORT, hostPort: OTLP_MACS_PORT, protocol: 'TCP' });
  return ports;
}

/** The node DaemonSet. */
export function nodeCollector(opts: StackOptions): Manifest {
  const budget = memoryBudget(opts.nodeMemoryMib);
  const secrets = secretVolumes(opts);
  return {
    apiVersion: 'opentelemetry.io/v1beta1',
    kind: 'OpenTelemetryCollector',
    metadata: { name: NODE_NAME, namespace: opts.namespace, labels: { ...PART_OF } },
    spec: {
      mode: 'daemonset',
      image: COLLECTOR_IMAGE,
      serviceAccount: NODE_SERVICE_ACCOUNT,
      ports: hostPorts(opts),
      env: [
        { name: 'K8S_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        POD_IP_ENV,
        { name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'k8s.node.name=$(K8S_NODE_NAME),host.name=$(K8S_NODE_NAME)' },
        goMemLimit(budget),
      ],
      resources: resources(budget, '100m'),
      // Pod logs are root:root 0640: group 0 lets UID 10001 read them without running as root.
      podSecurityContext: { runAsNonRoot: true, runAsUser: COLLECTOR_UID, runAsGroup: COLLECTOR_UID, supplementalGroups: [0], seccompProfile: { type: 'RuntimeDefault' } },
      securityContext: CONTAINER_SECURITY,
      // The kubelet creates the queue's hostPath root-owned 0755; this hands it to the collector's user.
      initContainers: [{
        name: 'queue-owner',
        image: 'busybox:1.37.0',
        command: ['chown', '-R', `${COLLECTOR_UID}:${COLLECTOR_UID}`, QUEUE_DIR],
        securityContext: { runAsNonRoot: false, runAsUser: 0, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'], add: ['CHOWN'] } },
        volumeMounts: [{ name: 'queue', mountPath: QUEUE_DIR }],
      }],
      volumes: [
        { name: 'queue', hostPath: { path: QUEUE_DIR, type: 'DirectoryOrCreate' } },
        { name: 'pod-logs', hostPath: { path: '/var/log/pods', type: 'Directory' } },
        { name: 'hostfs', hostPath: { path: '/', type: 'Directory' } },
        ...secrets.volumes,
      ],
      volumeMounts: [
        { name: 'queue', mountPath: QUEUE_DIR },
        { name: 'pod-logs', mountPath: '/var/log/pods', readOnly: true },
        { name: 'hostfs', mountPath: HOST_ROOT, readOnly: true, mountPropagation: 'HostToContainer' },
        ...secrets.mounts,
      ],
      tolerations: [{ operator: 'Exists' }],
      config: nodeConfig(opts),
    },
  };
}

/** The gateway Deployment: N replicas on different nodes, at most one down at a time. */
export function gatewayCollector(opts: StackOptions): Manifest {
  const budget = memoryBudget(opts.gatewayMemoryMib);
  const secrets = secretVolumes(opts);
  return {
    apiVersion: 'opentelemetry.io/v1beta1',
    kind: 'OpenTelemetryCollector',
    metadata: { name: GATEWAY_NAME, namespace: opts.namespace, labels: { ...PART_OF } },
    spec: {
      mode: 'deployment',
      replicas: opts.gatewayReplicas,
      image: COLLECTOR_IMAGE,
      serviceAccount: GATEWAY_SERVICE_ACCOUNT,
      env: [POD_IP_ENV, goMemLimit(budget)],
      resources: resources(budget, '500m'),
      podSecurityContext: { runAsNonRoot: true, runAsUser: COLLECTOR_UID, runAsGroup: COLLECTOR_UID, seccompProfile: { type: 'RuntimeDefault' } },
      securityContext: CONTAINER_SECURITY,
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{
            weight: 100,
            podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { [COMPONENT_LABEL]: GATEWAY_SERVICE } } },
          }],
        },
      },
      podDisruptionBudget: { maxUnavailable: 1 },
      ...(secrets.volumes.length > 0 ? { volumes: secrets.volumes, volumeMounts: secrets.mounts } : {}),
      config: gatewayConfig(opts),
    },
  };
}

/** ServiceAccounts and RBAC: k8s_attributes (cluster-wide reads) and the load-balancing resolver (the gateway's endpoints). */
export function collectorRbac(opts: StackOptions): Manifest[] {
  const ns = opts.namespace;
  const labels = { ...PART_OF };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: NODE_SERVICE_ACCOUNT, namespace: ns, labels } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: GATEWAY_SERVICE_ACCOUNT, namespace: ns, labels } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `${NODE_NAME}-k8s-attributes`, labels },
      rules: [
        { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['apps'], resources: ['replicasets', 'deployments'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${NODE_NAME}-k8s-attributes`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${NODE_NAME}-k8s-attributes` },
      subjects: [{ kind: 'ServiceAccount', name: NODE_SERVICE_ACCOUNT, namespace: ns }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: `${NODE_NAME}-trace-routing`, namespace: ns, labels },
      rules: RESOLVER_RULES.map((rule) => ({ apiGroups: [...rule.apiGroups], resources: [...rule.resources], verbs: [...rule.verbs] })),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `${NODE_NAME}-trace-routing`, namespace: ns, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${NODE_NAME}-trace-routing` },
      subjects: [{ kind: 'ServiceAccount', name: NODE_SERVICE_ACCOUNT, namespace: ns }],
    },
  ];
}
