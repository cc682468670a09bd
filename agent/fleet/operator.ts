import { COLLECTOR_IMAGE, COLLECTOR_UID } from './components.js';
import type { CollectorConfig } from './config-parts.js';
import type { CollectorOptions } from './options.js';
import { memoryBudget } from './sizing.js';

/** Replicas of the gateway Deployment. */
export const GATEWAY_REPLICAS = 2;

/** The image of the init step that hands the node's queue folder to the collector's user. */
export const INIT_IMAGE = 'busybox:1.37.0';

/**
 * Wraps a collector config in an OpenTelemetry Operator resource for a K3s (or any Kubernetes)
 * cluster: a DaemonSet for the node role, whose persistent queue lives on a hostPath (handed to
 * UID 10001 by an init step, since the kubelet creates it root-owned) so it survives the pod, and
 * a Deployment of replicas on different nodes for the gateway. Both get a memory limit, and
 * GOMEMLIMIT derived from it. `macos-agent stack` writes these with the RBAC and the rest.
 */
export function operatorResource(opts: CollectorOptions, config: CollectorConfig): Record<string, unknown> {
  const metadata = { name: `macos-agent-${opts.role}`, labels: { 'app.kubernetes.io/part-of': 'macos-agent' } };
  const budget = memoryBudget(opts.memoryLimitMib);
  const pod = {
    image: COLLECTOR_IMAGE,
    env: [
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'GOMEMLIMIT', value: `${budget.goMemLimitMib}MiB` },
    ],
    resources: { requests: { memory: `${budget.podLimitMib}Mi` }, limits: { memory: `${budget.podLimitMib}Mi` } },
    podSecurityContext: { runAsNonRoot: true, runAsUser: COLLECTOR_UID, runAsGroup: COLLECTOR_UID },
  };
  if (opts.role === 'node') {
    return {
      apiVersion: 'opentelemetry.io/v1beta1',
      kind: 'OpenTelemetryCollector',
      metadata,
      spec: {
        mode: 'daemonset',
        ...pod,
        initContainers: [{
          name: 'queue-owner',
          image: INIT_IMAGE,
          command: ['chown', '-R', `${COLLECTOR_UID}:${COLLECTOR_UID}`, opts.storageDir],
          securityContext: { runAsNonRoot: false, runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['CHOWN'] } },
          volumeMounts: [{ name: 'queue', mountPath: opts.storageDir }],
        }],
        volumes: [{ name: 'queue', hostPath: { path: opts.storageDir, type: 'DirectoryOrCreate' } }],
        volumeMounts: [{ name: 'queue', mountPath: opts.storageDir }],
        config,
      },
    };
  }
  return {
    apiVersion: 'opentelemetry.io/v1beta1',
    kind: 'OpenTelemetryCollector',
    metadata,
    spec: {
      mode: 'deployment',
      replicas: GATEWAY_REPLICAS,
      ...pod,
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{
            weight: 100,
            podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/name': `${metadata.name}-collector` } } },
          }],
        },
      },
      podDisruptionBudget: { maxUnavailable: 1 },
      config,
    },
  };
}
