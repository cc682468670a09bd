import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { collectorConfigFor, toYaml } from '../agent/commands/collector-config.js';
import { COMPONENT } from '../agent/fleet/components.js';
import type { CollectorConfig, ConfigMap } from '../agent/fleet/config-parts.js';
import { operatorResource } from '../agent/fleet/operator.js';
import { parseCollectorFlags, type CollectorFlags } from '../agent/fleet/options.js';

/** The config as otelcol would read it: generated, printed as YAML, parsed back. */
function generate(flags: CollectorFlags): CollectorConfig {
  const config = collectorConfigFor(parseCollectorFlags(flags));
  return parse(toYaml(config, ' test')) as CollectorConfig;
}

const SECTIONS = ['receivers', 'processors', 'exporters'] as const;
const CURRENT_TYPES = new Set<string>(Object.values(COMPONENT));

/** Fails unless every pipeline names defined components and every defined component is used. */
function expectConsistent(config: CollectorConfig): void {
  const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
  for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
    expect(pipeline.receivers.length, `pipeline ${name} has receivers`).toBeGreaterThan(0);
    expect(pipeline.exporters.length, `pipeline ${name} has exporters`).toBeGreaterThan(0);
    expect(pipeline.processors[0], `memory_limiter comes first in ${name}`).toBe(COMPONENT.memoryLimiter);
    for (const section of SECTIONS) {
      for (const id of pipeline[section]) {
        expect(Object.keys(config[section]), `pipeline ${name} names ${section} ${id}`).toContain(id);
        used[section].add(id);
      }
    }
  }
  for (const section of SECTIONS) {
    for (const id of Object.keys(config[section])) {
      expect(used[section].has(id), `${section} ${id} is used in a pipeline`).toBe(true);
      expect(CURRENT_TYPES.has(id.split('/')[0]!), `${id} uses a current component name`).toBe(true);
    }
  }
  expect([...config.service.extensions].sort()).toEqual(Object.keys(config.extensions).sort());
  for (const id of Object.keys(config.extensions)) expect(CURRENT_TYPES.has(id.split('/')[0]!)).toBe(true);
  for (const [id, exporter] of Object.entries(config.exporters)) {
    const storage = ((exporter as ConfigMap)['sending_queue'] as ConfigMap | undefined)?.['storage'];
    if (storage !== undefined) expect(config.service.extensions, `${id}'s queue storage is a running extension`).toContain(storage);
  }
}

function exporter(config: CollectorConfig, id: string): ConfigMap {
  const found = config.exporters[id];
  expect(found, `exporter ${id}`).toBeDefined();
  return found as ConfigMap;
}

describe('node config', () => {
  const base = { role: 'node', gateway: 'gateway.lan:4317' };

  it('wires OTLP in, memory_limiter and resource_detection, and a persistent queue to the gateway', () => {
    const config = generate(base);
    expectConsistent(config);
    expect(Object.keys(config.service.pipelines).sort()).toEqual(['logs', 'metrics', 'traces']);
    expect(config.receivers).toEqual({ otlp: { protocols: { grpc: { endpoint: '127.0.0.1:4317', max_recv_msg_size_mib: 4 }, http: { endpoint: '127.0.0.1:4318', max_request_body_size: 4 * 1024 * 1024 } } } });
    expect(config.processors['resource_detection']).toMatchObject({ detectors: ['env', 'system'] });
    const out = exporter(config, 'otlp_grpc');
    expect(out['endpoint']).toBe('gateway.lan:4317');
    expect(out['tls']).toEqual({ insecure: true });
    expect(out['sending_queue']).toMatchObject({ enabled: true, storage: 'file_storage', sizer: 'requests', batch: { sizer: 'bytes', max_size: 3 * 1024 * 1024 } });
    expect(out['retry_on_failure']).toMatchObject({ enabled: true, max_elapsed_time: '0s' });
    expect(config.extensions['file_storage']).toMatchObject({ directory: '/opt/homebrew/var/lib/otelcol-contrib/queue' });
    expect(config.extensions['health_check']).toEqual({ endpoint: '127.0.0.1:13133' });
    expect(config.service.telemetry).toMatchObject({ metrics: { readers: [{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: 8888 } } } }] } });
  });

  it('adds host metrics to the metrics pipeline only when asked', () => {
    const config = generate({ ...base, hostmetrics: true });
    expectConsistent(config);
    expect(config.service.pipelines['metrics']!.receivers).toEqual(['otlp', 'host_metrics']);
    expect(config.service.pipelines['logs']!.receivers).toEqual(['otlp']);
    expect(Object.keys((config.receivers['host_metrics'] as ConfigMap)['scrapers'] as ConfigMap)).toEqual(['network', 'filesystem']);
    expect(generate(base).receivers['host_metrics']).toBeUndefined();
  });

  it('puts the listen addresses, storage folder and TLS files where flagged', () => {
    const config = generate({
      ...base,
      gateway: 'https://gateway.lan:4317',
      gatewayCaFile: '/etc/otel/ca.pem', gatewayCertFile: '/etc/otel/node.pem', gatewayKeyFile: '/etc/otel/node.key',
      otlpGrpcListen: '0.0.0.0:14317', otlpHttpListen: '0.0.0.0:14318', storageDir: '/var/db/otelcol',
      tlsCertFile: '/etc/otel/recv.pem', tlsKeyFile: '/etc/otel/recv.key', tlsClientCaFile: '/etc/otel/clients.pem',
    });
    expectConsistent(config);
    const tls = { cert_file: '/etc/otel/recv.pem', key_file: '/etc/otel/recv.key', client_ca_file: '/etc/otel/clients.pem' };
    expect(config.receivers['otlp']).toMatchObject({ protocols: { grpc: { endpoint: '0.0.0.0:14317', tls }, http: { endpoint: '0.0.0.0:14318', tls } } });
    expect(exporter(config, 'otlp_grpc')['endpoint']).toBe('gateway.lan:4317');
    expect(exporter(config, 'otlp_grpc')['tls']).toEqual({ ca_file: '/etc/otel/ca.pem', cert_file: '/etc/otel/node.pem', key_file: '/etc/otel/node.key' });
    expect(config.extensions['file_storage']).toMatchObject({ directory: '/var/db/otelcol' });
  });

  it('reaches the gateway over TLS with the system roots for an https:// endpoint without files', () => {
    expect(exporter(generate({ ...base, gateway: 'https://gateway.lan:4317' }), 'otlp_grpc')['tls']).toEqual({});
  });
});

describe('gateway config', () => {
  const base = { role: 'gateway', prometheusUrl: 'http://prometheus:9090/api/v1/write' };

  it('with only Prometheus has just the metrics pipeline, with host.name as a label', () => {
    const config = generate(base);
    expectConsistent(config);
    expect(Object.keys(config.service.pipelines)).toEqual(['metrics']);
    const prw = exporter(config, 'prometheus_remote_write');
    expect(prw).toMatchObject({
      endpoint: 'http://prometheus:9090/api/v1/write',
      resource_to_telemetry_conversion: { enabled: true },
      remote_write_queue: { enabled: true },
      retry_on_failure: { enabled: true },
    });
    expect(prw['sending_queue']).toBeUndefined();
    expect(config.processors['tail_sampling']).toBeUndefined();
    expect(config.receivers['otlp']).toMatchObject({ protocols: { grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } } });
  });

  it('sends logs to Loki\'s OTLP endpoint and tail-samples traces to Tempo, each with queue and retry', () => {
    const config = generate({ ...base, lokiUrl: 'http://loki:3100', tempoEndpoint: 'tempo:4317', slowTraceThreshold: '750ms', samplingPercentage: '25' });
    expectConsistent(config);
    expect(config.service.pipelines['logs']!.exporters).toEqual(['otlp_http/loki']);
    expect(config.service.pipelines['traces']).toEqual({ receivers: ['otlp'], processors: ['memory_limiter', 'tail_sampling', 'transform/pii', 'redaction'], exporters: ['otlp_grpc/tempo'] });
    expect(exporter(config, 'otlp_http/loki')['endpoint']).toBe('http://loki:3100/otlp');
    expect(exporter(config, 'otlp_grpc/tempo')['endpoint']).toBe('tempo:4317');
    for (const id of ['otlp_http/loki', 'otlp_grpc/tempo']) {
      expect(exporter(config, id)['sending_queue']).toMatchObject({ enabled: true, sizer: 'bytes', batch: { sizer: 'bytes', max_size: 3 * 1024 * 1024 } });
      expect(exporter(config, id)['retry_on_failure']).toMatchObject({ enabled: true });
    }
    const policies = (config.processors['tail_sampling'] as ConfigMap)['policies'];
    expect(policies).toEqual([
      { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
      { name: 'slow', type: 'latency', latency: { threshold_ms: 750 } },
      { name: 'probabilistic', type: 'probabilistic', probabilistic: { sampling_percentage: 25 } },
    ]);
  });

  it('keeps a Loki URL that already has a path', () => {
    expect(exporter(generate({ ...base, lokiUrl: 'https://logs.example.net/loki/otlp' }), 'otlp_http/loki')['endpoint']).toBe('https://logs.example.net/loki/otlp');
  });

  it('uses the backend TLS files for the https backends only (mTLS), plaintext for the others', () => {
    const config = generate({
      ...base, prometheusUrl: 'https://prometheus:9090/api/v1/write', lokiUrl: 'http://loki:3100', tempoEndpoint: 'https://tempo:4317',
      backendCaFile: '/ca.pem', backendCertFile: '/gw.pem', backendKeyFile: '/gw.key',
    });
    const mtls = { ca_file: '/ca.pem', cert_file: '/gw.pem', key_file: '/gw.key' };
    expect(exporter(config, 'prometheus_remote_write')['tls']).toEqual(mtls);
    expect(exporter(config, 'otlp_grpc/tempo')['tls']).toEqual(mtls);
    expect(exporter(config, 'otlp_grpc/tempo')['endpoint']).toBe('tempo:4317');
    expect(exporter(config, 'otlp_http/loki')['tls']).toEqual({ insecure: true });
  });
});

describe('operator format', () => {
  it('runs the node as a DaemonSet whose queue folder is a hostPath', () => {
    const options = parseCollectorFlags({ role: 'node', gateway: 'macos-agent-gateway-collector.observability:4317', format: 'operator' });
    const resource = operatorResource(options, collectorConfigFor(options));
    expect(resource).toMatchObject({
      apiVersion: 'opentelemetry.io/v1beta1',
      kind: 'OpenTelemetryCollector',
      metadata: { name: 'macos-agent-node' },
      spec: {
        mode: 'daemonset',
        volumes: [{ name: 'queue', hostPath: { path: '/var/lib/otelcol/queue' } }],
        volumeMounts: [{ name: 'queue', mountPath: '/var/lib/otelcol/queue' }],
        // The kubelet creates the hostPath root-owned: an init step hands it to the collector's user.
        initContainers: [{ command: ['chown', '-R', '10001:10001', '/var/lib/otelcol/queue'] }],
        podSecurityContext: { runAsUser: 10001 },
        config: { receivers: { otlp: { protocols: { grpc: { endpoint: '0.0.0.0:4317' } } } } },
      },
    });
  });

  it('runs the gateway as a Deployment of 2 replicas', () => {
    const options = parseCollectorFlags({ role: 'gateway', prometheusUrl: 'http://prometheus:9090/api/v1/write', format: 'operator' });
    const resource = operatorResource(options, collectorConfigFor(options));
    expect(resource).toMatchObject({ spec: { mode: 'deployment', replicas: 2, config: { exporters: { prometheus_remote_write: {} } } } });
  });
});

describe('determinism', () => {
  it('gives the same bytes for the same inputs', () => {
    const flags = { role: 'gateway', prometheusUrl: 'http://p:9090/api/v1/write', lokiUrl: 'http://l:3100', tempoEndpoint: 't:4317' };
    const once = toYaml(collectorConfigFor(parseCollectorFlags(flags)), ' x');
    const again = toYaml(collectorConfigFor(parseCollectorFlags({ ...flags })), ' x');
    expect(again).toBe(once);
  });
});

describe('fixes of the fleet review', () => {
  it('routes the cluster node\'s traces by trace ID to the gateway\'s headless Service in operator format', () => {
    const config = collectorConfigFor(parseCollectorFlags({ role: 'node', gateway: 'macos-agent-gateway-collector.observability:4317', format: 'operator' }));
    expect(config.service.pipelines['traces']!.exporters).toEqual(['load_balancing']);
    expect(config.exporters['load_balancing']).toMatchObject({
      routing_key: 'traceID',
      resolver: { k8s: { service: 'macos-agent-gateway-collector-headless.observability', ports: [4317] } },
    });
  });

  it('derives the gateway\'s memory_limiter and byte-bounded queues from its memory', () => {
    const config = generate({ role: 'gateway', prometheusUrl: 'http://p:9090/api/v1/write', lokiUrl: 'http://l:3100', tempoEndpoint: 't:4317', memoryLimitMib: '2048' });
    expect(config.processors['memory_limiter']).toEqual({ check_interval: '1s', limit_mib: 1638, spike_limit_mib: 327 });
    const queued = ['otlp_http/loki', 'otlp_grpc/tempo'].map((id) => (exporter(config, id)['sending_queue'] as ConfigMap)['queue_size'] as number);
    const remoteWrite = exporter(config, 'prometheus_remote_write');
    const remoteWriteBytes = ((remoteWrite['remote_write_queue'] as ConfigMap)['queue_size'] as number) * (remoteWrite['max_batch_size_bytes'] as number);
    expect(queued.reduce((a, b) => a + b, 0) + remoteWriteBytes).toBeLessThanOrEqual(512 * 1024 * 1024);
  });

  it('requires a bearer token on the gateway\'s receivers and sends it from the node', () => {
    const gateway = generate({ role: 'gateway', prometheusUrl: 'http://p:9090/api/v1/write', bearerTokenFile: '/etc/otel/token' });
    expect(gateway.extensions['bearertokenauth']).toEqual({ filename: '/etc/otel/token' });
    expect(gateway.receivers['otlp']).toMatchObject({ protocols: { grpc: { auth: { authenticator: 'bearertokenauth' } } } });
    const node = generate({ role: 'node', gateway: 'g:4317', bearerTokenFile: '/etc/otel/token' });
    expect(exporter(node, 'otlp_grpc')['auth']).toEqual({ authenticator: 'bearertokenauth' });
  });
});
