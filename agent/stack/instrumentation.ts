import { OTLP_HTTP_PORT, PART_OF, type Manifest } from './collectors.js';
import type { StackOptions } from './options.js';

export const INSTRUMENTATION_NAME = 'macos-agent';

/**
 * Auto-instrumentation for Go, Python, Node.js and Java: the SDKs export OTLP/HTTP to the node
 * collector on the pod's own node (its hostPort on status.hostIP), head-sampled by trace ID.
 */
export function instrumentation(opts: StackOptions): Manifest {
  return {
    apiVersion: 'opentelemetry.io/v1alpha1',
    kind: 'Instrumentation',
    metadata: { name: INSTRUMENTATION_NAME, namespace: opts.namespace, labels: { ...PART_OF } },
    spec: {
      exporter: { endpoint: `http://$(OTEL_NODE_IP):${OTLP_HTTP_PORT}` },
      env: [
        { name: 'OTEL_NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'http/protobuf' },
      ],
      propagators: ['tracecontext', 'baggage'],
      sampler: { type: 'parentbased_traceidratio', argument: String(opts.headSamplingPercentage / 100) },
      go: {},
      python: {},
      nodejs: {},
      java: {},
    },
  };
}
