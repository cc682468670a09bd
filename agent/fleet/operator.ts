import { COLLECTOR_IMAGE } from './components.js';
import type { CollectorConfig } from './config-parts.js';
import type { CollectorOptions } from './options.js';

/** Replicas of the gateway Deployment. */
export const GATEWAY_REPLICAS = 2;

/**
 * Wraps a collector config in an OpenTelemetry Operator resource for a K3s (or any Kubernetes)
 * cluster: a DaemonSet for the node role, whose persistent queue lives on a hostPath so it
 * survives the pod, and a Deployment for the gateway.
 */
export function operatorResource(opts: CollectorOptions, config: CollectorConfig): Record<string, unknown> {
  const metadata = { name: `macos-agent-${opts.role}`, labels: { 'app.kubernetes.io/part-of': 'macos-agent' } };
  if (opts.role === 'node') {
    return {
      apiVersion: 'opentelemetry.io/v1beta1',
      kind: 'OpenTelemetryCollector',
      metadata,
      spec: {
        mode: 'daemonset',
        image: COLLECTOR_IMAGE,
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
      image: COLLECTOR_IMAGE,
      config,
    },
  };
}
