import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseStackFlags, type StackFlags } from '../agent/stack/options.js';
import { buildStack } from '../agent/stack/stack.js';
import { runCli } from './helpers/cli.js';

type Node = Record<string, unknown>;
type CollectorConfig = { exporters: Record<string, Node>; receivers: Record<string, Node>; processors: Record<string, Node>; service: { pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> } };

function stack(flags: Partial<StackFlags> = {}): Map<string, Node[]> {
  const files = buildStack(parseStackFlags({ out: '/tmp/unused', ...flags }));
  return new Map(files.map((f) => [f.path, parseAllDocuments(f.text).map((d) => d.toJS() as Node)]));
}

function collector(files: Map<string, Node[]>, name: string): { spec: Node; config: CollectorConfig } {
  const resource = [...files.values()].flat().find((o) => o['kind'] === 'OpenTelemetryCollector' && (o['metadata'] as Node)['name'] === name)!;
  const spec = resource['spec'] as Node;
  return { spec, config: spec['config'] as CollectorConfig };
}

function helmValues(files: Map<string, Node[]>, release: string): Node {
  const chart = [...files.values()].flat().find((o) => o['kind'] === 'HelmChart' && (o['metadata'] as Node)['name'] === release)!;
  return parse((chart['spec'] as Node)['valuesContent'] as string) as Node;
}

describe('trace routing: every span reaches the gateway replicas by trace ID', () => {
  for (const [name, flags] of [['plaintext', {}], ['mTLS and a token', { tlsSecret: 'fleet-tls', bearerTokenSecret: 'otlp-token', macHosts: 'mac-1.lan,mac-2.lan' }]] as const) {
    it(`(${name}) the node collector's traces pipeline ends only in load_balancing keyed by traceID on the gateway's headless Service`, () => {
      const { config } = collector(stack(flags), 'macos-agent-node');
      expect(config.service.pipelines['traces']!.exporters).toEqual(['load_balancing']);
      expect(config.exporters['load_balancing']).toMatchObject({
        routing_key: 'traceID',
        resolver: { k8s: { service: 'macos-agent-gateway-collector-headless.observability', ports: [4317] } },
      });
      // Nothing else from the node goes to the replicas: the one other exporter is the gateway
      // Service, and only metrics and logs use it.
      const others = Object.keys(config.exporters).filter((id) => id !== 'load_balancing');
      expect(others).toEqual(['otlp_grpc/gateway']);
      for (const [signal, pipeline] of Object.entries(config.service.pipelines)) {
        if (pipeline.exporters.includes('otlp_grpc/gateway')) expect(['metrics', 'logs']).toContain(signal);
      }
    });

    it(`(${name}) the Macs' collectors send to a cluster node collector (the trace-aware tier), never to the gateway`, () => {
      const files = buildStack(parseStackFlags({ out: '/tmp/unused', ...flags }));
      const macs = files.filter((f) => f.path.startsWith('macs/'));
      for (const file of macs) {
        const config = parse(file.text) as CollectorConfig;
        const host = file.path.split('/')[1]!;
        for (const exporter of Object.values(config.exporters)) {
          expect(String(exporter['endpoint'])).toMatch(new RegExp(`^${host.replace(/\./g, '\\.')}:43(17|19)$`));
          expect(String(exporter['endpoint'])).not.toContain('gateway');
        }
      }
      const { spec } = collector(stack(flags), 'macos-agent-node');
      const hostPorts = (spec['ports'] as Node[]).map((p) => p['hostPort']);
      expect(hostPorts).toContain(flags === undefined || !('tlsSecret' in flags) ? 4317 : 4319);
    });
  }

  it('the gateway is reached only by node collectors (NetworkPolicy), and the resolver may read its endpoints (RBAC)', () => {
    const files = stack();
    const policy = files.get('11-network-policies.yaml')!.find((p) => (p['metadata'] as Node)['name'] === 'macos-agent-gateway')!;
    const otlpRule = ((policy['spec'] as Node)['ingress'] as Node[])[0]!;
    expect(otlpRule).toEqual({ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'macos-agent-node-collector' } } }], ports: [{ protocol: 'TCP', port: 4317 }, { protocol: 'TCP', port: 4318 }] });
    const role = files.get('07-collector-rbac.yaml')!.find((o) => o['kind'] === 'Role')!;
    expect(role['rules']).toContainEqual({ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] });
  });
});

describe('the design\'s numbers', () => {
  const files = stack();

  it('retention: Prometheus 30 d, Loki 7 d (enforced by the compactor), Tempo 72 h', () => {
    const prometheus = helmValues(files, 'kube-prometheus-stack')['prometheus'] as Node;
    expect(prometheus).toMatchObject({ prometheusSpec: { retention: '30d', enableRemoteWriteReceiver: true, storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: '300Gi' } } } } } } });
    expect(helmValues(files, 'loki')).toMatchObject({ loki: { structuredConfig: { limits_config: { retention_period: '168h' } }, compactor: { retention_enabled: true } } });
    expect(helmValues(files, 'tempo')).toMatchObject({ tempo: { retention: '72h' } });
  });

  it('sampling: 10 % head sampling, tail sampling keeps errors, traces over 1 s and 10 % of the rest', () => {
    const instrumentation = files.get('10-instrumentation.yaml')![0]!;
    expect((instrumentation['spec'] as Node)['sampler']).toEqual({ type: 'parentbased_traceidratio', argument: '0.1' });
    expect(Object.keys(instrumentation['spec'] as Node)).toEqual(expect.arrayContaining(['go', 'python', 'nodejs', 'java']));
    const { config } = collector(files, 'macos-agent-gateway');
    expect((config.processors['tail_sampling'] as Node)['policies']).toEqual([
      { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
      { name: 'slow', type: 'latency', latency: { threshold_ms: 1000 } },
      { name: 'probabilistic', type: 'probabilistic', probabilistic: { sampling_percentage: 10 } },
    ]);
  });

  it('two gateway replicas of 2 GiB, memory_limiter and GOMEMLIMIT below the limit, queues in bytes within it', () => {
    const { spec, config } = collector(files, 'macos-agent-gateway');
    expect(spec['replicas']).toBe(2);
    expect(spec['podDisruptionBudget']).toEqual({ maxUnavailable: 1 });
    expect((spec['resources'] as Node)['limits']).toEqual({ memory: '2048Mi' });
    expect(spec['env']).toContainEqual({ name: 'GOMEMLIMIT', value: '1311MiB' });
    expect(config.processors['memory_limiter']).toMatchObject({ limit_mib: 1638, spike_limit_mib: 327 });
    for (const id of ['otlp_http/loki', 'otlp_grpc/tempo']) {
      const queue = config.exporters[id]!['sending_queue'] as Node;
      expect(queue['sizer']).toBe('bytes');
      expect(queue['queue_size']).toBeLessThan(2048 * 1024 * 1024);
      expect((queue['batch'] as Node)['max_size']).toBeLessThan(4 * 1024 * 1024);
    }
    expect((config.receivers['otlp'] as Node)).toMatchObject({ protocols: { grpc: { max_recv_msg_size_mib: 4 } } });
  });

  it('the node DaemonSet has pod logs, Kubernetes metadata, node metrics, a queue its user can write and ports on the node', () => {
    const { spec, config } = collector(files, 'macos-agent-node');
    expect(config.receivers['file_log']).toMatchObject({ include: ['/var/log/pods/*/*/*.log'], operators: [{ type: 'container' }] });
    expect((config.processors['k8s_attributes'] as Node)['extract']).toEqual({ metadata: ['k8s.pod.name', 'k8s.pod.uid', 'k8s.deployment.name', 'k8s.namespace.name', 'k8s.node.name'] });
    expect(config.receivers['host_metrics']).toMatchObject({ root_path: '/hostfs' });
    expect(spec['volumeMounts']).toContainEqual({ name: 'hostfs', mountPath: '/hostfs', readOnly: true, mountPropagation: 'HostToContainer' });
    expect(spec['initContainers']).toMatchObject([{ command: ['chown', '-R', '10001:10001', '/var/lib/otelcol/queue'] }]);
    expect(spec['podSecurityContext']).toMatchObject({ runAsUser: 10001, supplementalGroups: [0] });
    expect((spec['ports'] as Node[]).map((p) => p['hostPort'])).toEqual([4317, 4318]);
    expect(spec['env']).toContainEqual({ name: 'K8S_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
  });

  it('health and self-metrics listen on the pod\'s own IP, not 0.0.0.0', () => {
    for (const name of ['macos-agent-node', 'macos-agent-gateway']) {
      const text = JSON.stringify(collector(files, name).config);
      expect(text).toContain('"endpoint":"${env:POD_IP}:13133"');
      expect(text).not.toContain('0.0.0.0:13133');
      expect(text).not.toContain('0.0.0.0:8888');
    }
  });

  it('Grafana correlates traces, logs and metrics and takes its password from a Secret', () => {
    const grafana = helmValues(files, 'kube-prometheus-stack')['grafana'] as Node;
    expect(grafana['admin']).toEqual({ existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' });
    const sources = grafana['additionalDataSources'] as Node[];
    expect(sources.find((s) => s['uid'] === 'loki')).toMatchObject({ jsonData: { derivedFields: [{ matcherRegex: 'trace_id', datasourceUid: 'tempo' }] } });
    expect(sources.find((s) => s['uid'] === 'tempo')).toMatchObject({ jsonData: { tracesToLogsV2: { datasourceUid: 'loki' }, tracesToMetrics: { datasourceUid: 'prometheus' } } });
    expect(((grafana['sidecar'] as Node)['datasources'] as Node)['exemplarTraceIdDestinations']).toEqual({ datasourceUid: 'tempo', traceIdLabelName: 'trace_id' });
  });
});

describe('macos-agent stack (the command)', () => {
  it('writes the numbered files, the same bytes each time, and says how to create the Grafana Secret', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'macos-agent-stack-'));
    const first = await runCli(['stack', '--out', join(parent, 'a')]);
    const second = await runCli(['stack', '--out', join(parent, 'b')]);
    expect(first.code).toBe(0);
    const names = readdirSync(join(parent, 'a'));
    expect(names).toEqual(['00-namespace.yaml', '01-opentelemetry-operator.yaml', '02-kube-prometheus-stack.yaml', '03-loki.yaml', '04-tempo.yaml', '05-grafana-dashboard.yaml', '06-alert-rules.yaml', '07-collector-rbac.yaml', '08-collector-gateway.yaml', '09-collector-node.yaml', '10-instrumentation.yaml', '11-network-policies.yaml']);
    for (const name of names) expect(readFileSync(join(parent, 'b', name), 'utf8')).toBe(readFileSync(join(parent, 'a', name), 'utf8'));
    expect(first.stderr).toContain('create secret generic grafana-admin');
    expect(readdirSync(parent).sort()).toEqual(['a', 'b']);
  });

  const cases: [string, string[], RegExp][] = [
    ['zero replicas', ['--gateway-replicas', '0'], /invalid value "0" for --gateway-replicas: expected a whole number from 1 to 50/],
    ['a CA without a certificate and key', ['--ca-file', '/etc/hosts'], /--ca-file, --cert-file and --key-file go together/],
    ['a bad storage class', ['--storage-class', 'Fast_SSD'], /invalid value "Fast_SSD" for --storage-class: expected a StorageClass name/],
    ['a bad size', ['--prometheus-size', '300GB'], /invalid value "300GB" for --prometheus-size: expected a size such as 300Gi/],
    ['a sampling share above 100', ['--head-sampling-percentage', '150'], /invalid value "150" for --head-sampling-percentage: expected a percentage from 0 to 100/],
    ['an ftp URL', ['--alert-webhook-url', 'ftp://x'], /invalid value "ftp:\/\/x" for --alert-webhook-url: expected an http:\/\/ or https:\/\/ URL/],
    ['no URL at all', ['--alert-webhook-url', 'alerts.example.com'], /invalid value "alerts\.example\.com" for --alert-webhook-url/],
    ['credentials in the URL', ['--alert-webhook-url', 'https://user:secret@alerts.example.com/'], /--alert-webhook-url holds credentials: .*--alert-webhook-token-secret/],
    ['a token Secret without a URL', ['--alert-webhook-token-secret', 'alert-webhook-token'], /--alert-webhook-token-secret needs --alert-webhook-url/],
    ['a bad Secret name', ['--alert-webhook-url', 'https://a.example/', '--alert-webhook-token-secret', 'Bad_Name'], /invalid value "Bad_Name" for --alert-webhook-token-secret/],
  ];
  it.each(cases)('exits 2 and writes nothing for %s', async (_name, args, message) => {
    const parent = mkdtempSync(join(tmpdir(), 'macos-agent-stack-'));
    const result = await runCli(['stack', '--out', join(parent, 'out'), ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('exits 2 for an --out that is not empty or cannot be created, leaving it as it was', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'macos-agent-stack-'));
    writeFileSync(join(parent, 'keep'), 'x');
    const busy = await runCli(['stack', '--out', parent]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toMatch(/--out .* is not empty/);
    expect(readdirSync(parent)).toEqual(['keep']);
    const unreachable = await runCli(['stack', '--out', join(parent, 'keep', 'sub')]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/--out .*keep\/sub/);
    expect(existsSync(join(parent, 'keep', 'sub'))).toBe(false);
  });
});

describe('macos-agent stack --validate', () => {
  it('runs otelcol-contrib validate on the node and the gateway config', async () => {
    const { makeFakeBin } = await import('./helpers/fake-bin.js');
    const seen = join(mkdtempSync(join(tmpdir(), 'macos-agent-validate-')), 'seen');
    const fakes = makeFakeBin({ 'otelcol-contrib': `#!/bin/sh\ncat "\${2#--config=}" >> '${seen}'\nexit 0\n` });
    try {
      const parent = mkdtempSync(join(tmpdir(), 'macos-agent-stack-'));
      const result = await runCli(['stack', '--out', join(parent, 'out'), '--validate'], { PATH: fakes.path });
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/valid: .* the node config\nvalid: .* the gateway config/);
      const validated = readFileSync(seen, 'utf8');
      expect(validated).toContain('load_balancing:');
      expect(validated).toContain('tail_sampling:');
    } finally {
      fakes.cleanup();
    }
  });
});

describe('YAML as Helm and kubectl read it (YAML 1.1)', () => {
  it('keeps date-like and on/yes strings strings', () => {
    const files = buildStack(parseStackFlags({ out: '/tmp/unused' }));
    const loki = files.find((f) => f.path === '03-loki.yaml')!;
    const chart = parse(loki.text, { version: '1.1' }) as { spec: { valuesContent: string } };
    const values = parse(chart.spec.valuesContent, { version: '1.1' }) as { loki: { schemaConfig: { configs: { from: unknown }[] } } };
    expect(values.loki.schemaConfig.configs[0]!.from).toBe('2024-04-01');
    for (const file of files.filter((f) => !f.path.startsWith('macs/'))) {
      expect(parseAllDocuments(file.text, { version: '1.1' }).map((d) => d.toJS())).toEqual(parseAllDocuments(file.text).map((d) => d.toJS()));
    }
  });
});

describe('mTLS with TLS material', () => {
  const files = stack({ tlsSecret: 'fleet-tls' });
  const tls = { ca_file: '/etc/otelcol/tls/ca.crt', cert_file: '/etc/otelcol/tls/tls.crt', key_file: '/etc/otelcol/tls/tls.key' };

  it('node → gateway: the node presents its certificate, the gateway requires one signed by the CA', () => {
    const node = collector(files, 'macos-agent-node').config;
    expect((node.exporters['load_balancing']!['protocol'] as Node)['otlp']).toMatchObject({ tls });
    expect(node.exporters['otlp_grpc/gateway']!['tls']).toEqual(tls);
    const gateway = collector(files, 'macos-agent-gateway').config;
    expect(gateway.receivers['otlp']).toMatchObject({ protocols: { grpc: { tls: { cert_file: tls.cert_file, key_file: tls.key_file, client_ca_file: tls.ca_file } } } });
  });

  it('Mac → node: a separate mTLS receiver on hostPort 4319', () => {
    const { spec, config } = collector(files, 'macos-agent-node');
    expect(config.receivers['otlp/macs']).toMatchObject({ protocols: { grpc: { endpoint: '0.0.0.0:4319', tls: { client_ca_file: tls.ca_file } } } });
    expect((spec['ports'] as Node[]).map((p) => p['hostPort'])).toContain(4319);
  });

  it('gateway → Tempo: the exporter presents its certificate and Tempo\'s receiver requires one', () => {
    const gateway = collector(files, 'macos-agent-gateway').config;
    expect(gateway.exporters['otlp_grpc/tempo']!['tls']).toEqual(tls);
    expect(helmValues(files, 'tempo')).toMatchObject({
      tempo: { receivers: { otlp: { protocols: { grpc: { tls: { client_ca_file: '/etc/tempo/tls/ca.crt' } } } } } },
      extraVolumes: [{ name: 'tls', secret: { secretName: 'fleet-tls' } }],
    });
  });

  it('gateway → every backend: each exporter presents the certificate, verifies the backend with the CA, over https where it is HTTP', () => {
    const gateway = collector(files, 'macos-agent-gateway').config;
    const exporters = Object.entries(gateway.exporters);
    expect(exporters.map(([id]) => id).sort()).toEqual(['otlp_grpc/tempo', 'otlp_http/loki', 'prometheus_remote_write']);
    for (const [id, exporter] of exporters) expect(exporter['tls'], id).toEqual(tls);
    expect(gateway.exporters['prometheus_remote_write']!['endpoint']).toBe('https://kube-prometheus-stack-prometheus.observability:9090/api/v1/write');
    expect(gateway.exporters['otlp_http/loki']!['endpoint']).toBe('https://loki.observability:3100/otlp');
  });

  it('Prometheus serves TLS from the Secret and verifies a client certificate when one is given; it scrapes itself over https', () => {
    const prometheus = helmValues(files, 'kube-prometheus-stack')['prometheus'] as Node;
    expect(prometheus).toMatchObject({
      prometheusSpec: {
        web: {
          tlsConfig: {
            cert: { secret: { name: 'fleet-tls', key: 'tls.crt' } },
            keySecret: { name: 'fleet-tls', key: 'tls.key' },
            client_ca: { secret: { name: 'fleet-tls', key: 'ca.crt' } },
            clientAuthType: 'VerifyClientCertIfGiven',
          },
        },
      },
      serviceMonitor: { scheme: 'https', tlsConfig: { ca: { secret: { name: 'fleet-tls', key: 'ca.crt' } }, serverName: 'kube-prometheus-stack-prometheus.observability' } },
    });
  });

  it('Loki and Tempo serve their HTTP port with TLS from the mounted Secret, verifying a client certificate when given; the kubelet probes over HTTPS', () => {
    const loki = helmValues(files, 'loki');
    expect(loki).toMatchObject({
      loki: {
        structuredConfig: { server: { http_tls_config: { cert_file: '/etc/loki/tls/tls.crt', key_file: '/etc/loki/tls/tls.key', client_ca_file: '/etc/loki/tls/ca.crt', client_auth_type: 'VerifyClientCertIfGiven' } } },
        readinessProbe: { httpGet: { scheme: 'HTTPS' } },
        livenessProbe: { httpGet: { scheme: 'HTTPS' } },
      },
      singleBinary: {
        extraVolumes: [{ name: 'tls', secret: { secretName: 'fleet-tls' } }],
        extraVolumeMounts: [{ name: 'tls', mountPath: '/etc/loki/tls', readOnly: true }],
      },
    });
    expect(helmValues(files, 'tempo')).toMatchObject({
      tempo: {
        server: { http_tls_config: { cert_file: '/etc/tempo/tls/tls.crt', client_ca_file: '/etc/tempo/tls/ca.crt', client_auth_type: 'VerifyClientCertIfGiven' } },
        readinessProbe: { httpGet: { scheme: 'HTTPS' } },
        livenessProbe: { httpGet: { scheme: 'HTTPS' } },
        extraVolumeMounts: [{ name: 'tls', mountPath: '/etc/tempo/tls', readOnly: true }],
      },
    });
  });

  it('Grafana reads Prometheus, Loki and Tempo over https with its client certificate from the mounted Secret ($__file{})', () => {
    const grafana = helmValues(files, 'kube-prometheus-stack')['grafana'] as Node;
    expect(grafana['extraSecretMounts']).toEqual([{ name: 'tls', mountPath: '/etc/grafana/tls', secretName: 'fleet-tls', readOnly: true }]);
    // The chart's sidecar Prometheus data source takes no client certificate: it is provisioned instead.
    expect(((grafana['sidecar'] as Node)['datasources'] as Node)['defaultDatasourceEnabled']).toBe(false);
    const sources = grafana['additionalDataSources'] as Node[];
    expect(sources.map((s) => s['uid'])).toEqual(['prometheus', 'loki', 'tempo']);
    for (const source of sources) {
      expect(String(source['url']), String(source['uid'])).toMatch(/^https:\/\/[a-z-]+\.observability:(9090|3100|3200)\/?$/);
      expect(source['jsonData']).toMatchObject({ tlsAuth: true, tlsAuthWithCACert: true });
      expect(source['secureJsonData']).toEqual({
        tlsCACert: '$__file{/etc/grafana/tls/ca.crt}',
        tlsClientCert: '$__file{/etc/grafana/tls/tls.crt}',
        tlsClientKey: '$__file{/etc/grafana/tls/tls.key}',
      });
    }
    expect(sources[0]).toMatchObject({ isDefault: true, jsonData: { exemplarTraceIdDestinations: [{ datasourceUid: 'tempo', name: 'trace_id' }] } });
  });

  it('the NetworkPolicies keep every other pod off the backends\' HTTP ports, which take connections without a client certificate', () => {
    const policies = files.get('11-network-policies.yaml')!;
    const sources = (name: string, port: number): string[] => {
      const policy = policies.find((p) => (p['metadata'] as Node)['name'] === name)!;
      return ((policy['spec'] as Node)['ingress'] as Node[])
        .filter((rule) => rule['ports'] === undefined || (rule['ports'] as Node[]).some((p) => p['port'] === port))
        .flatMap((rule) => (rule['from'] as Node[]).map((f) => ((f['podSelector'] as Node)['matchLabels'] as Record<string, string>)['app.kubernetes.io/name']!));
    };
    const allowed = ['grafana', 'macos-agent-gateway-collector', 'prometheus'];
    expect([...new Set(sources('macos-agent-prometheus-write', 9090))].sort()).toEqual(allowed);
    expect([...new Set(sources('macos-agent-loki-write', 3100))].sort()).toEqual(allowed);
    expect([...new Set(sources('macos-agent-tempo-write', 3200))].sort()).toEqual(['grafana', 'prometheus']);
  });

  it('writes a Secret from --ca-file/--cert-file/--key-file, 0600', () => {
    const dir = mkdtempSync(join(tmpdir(), 'macos-agent-tls-'));
    const pem = (what: string): string => { const path = join(dir, what); writeFileSync(path, `-----BEGIN ${what}-----\nhandmade\n-----END ${what}-----\n`); return path; };
    const written = buildStack(parseStackFlags({ out: '/tmp/unused', caFile: pem('CA'), certFile: pem('CERT'), keyFile: pem('KEY') }));
    const namespace = written.find((f) => f.path === '00-namespace.yaml')!;
    expect(namespace.mode).toBe(0o600);
    const secret = parseAllDocuments(namespace.text).map((d) => d.toJS() as Node).find((o) => o['kind'] === 'Secret')!;
    expect(Object.keys(secret['stringData'] as Node)).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
  });
});

describe('without TLS material the backends stay plaintext', () => {
  const files = stack();

  it('the gateway writes over http, the backends serve no TLS, Grafana reads over http with no client certificate', () => {
    const gateway = collector(files, 'macos-agent-gateway').config;
    expect(gateway.exporters['prometheus_remote_write']).toMatchObject({ endpoint: 'http://kube-prometheus-stack-prometheus.observability:9090/api/v1/write', tls: { insecure: true } });
    expect(gateway.exporters['otlp_http/loki']).toMatchObject({ endpoint: 'http://loki.observability:3100/otlp', tls: { insecure: true } });
    const prometheus = helmValues(files, 'kube-prometheus-stack');
    expect((prometheus['prometheus'] as Node)['prometheusSpec']).not.toHaveProperty('web');
    expect(prometheus['prometheus']).not.toHaveProperty('serviceMonitor');
    expect((helmValues(files, 'loki')['loki'] as Node)['structuredConfig']).not.toHaveProperty('server');
    expect(helmValues(files, 'tempo')['tempo']).not.toHaveProperty('server');
    const grafana = prometheus['grafana'] as Node;
    expect(grafana).not.toHaveProperty('extraSecretMounts');
    for (const source of grafana['additionalDataSources'] as Node[]) {
      expect(String(source['url'])).toMatch(/^http:\/\//);
      expect(source).not.toHaveProperty('secureJsonData');
    }
  });
});

describe('the stack generator\'s own entry point', () => {
  it('is a bundle of its own: the file the daemon runs does not carry it', () => {
    const repo = join(import.meta.dirname, '..');
    const daemonBundle = readFileSync(join(repo, 'dist', 'macos-agent.js'), 'utf8');
    const stackBundle = readFileSync(join(repo, 'dist', 'macos-agent-stack.js'), 'utf8');
    for (const marker of ['kube-prometheus-stack', 'parentbased_traceidratio', 'grafana-community']) {
      expect(stackBundle.includes(marker), `the stack bundle has ${marker}`).toBe(true);
      expect(daemonBundle.includes(marker), `the daemon's bundle has no ${marker}`).toBe(false);
    }
  });
});
