import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import * as core from 'kubernetes-models/v1';
import * as rbac from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import { collectorConfigFor } from '../agent/commands/collector-config.js';
import { operatorResource } from '../agent/fleet/operator.js';
import { parseCollectorFlags } from '../agent/fleet/options.js';
import { parseStackFlags, type StackFlags } from '../agent/stack/options.js';
import { buildStack } from '../agent/stack/stack.js';
import { chartDefaults, crdValidator, errorsOf, helmMerge, schemaValidator, unknownValuePaths, valuesSchemaValidator } from './helpers/k8s-schemas.js';

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; spec?: Record<string, unknown> };

/** Every Kubernetes object of the numbered files (the Macs' collector configs are not objects). */
function objects(flags: Partial<StackFlags> = {}): Manifest[] {
  const files = buildStack(parseStackFlags({ out: '/tmp/unused', ...flags }));
  return files.filter((f) => !f.path.startsWith('macs/')).flatMap((f) => parseAllDocuments(f.text).map((d) => d.toJS() as Manifest));
}

const CRD_FILES: Record<string, string> = {
  OpenTelemetryCollector: 'opentelemetry.io_opentelemetrycollectors.yaml',
  Instrumentation: 'opentelemetry.io_instrumentations.yaml',
  HelmChart: 'helm.cattle.io_helmcharts.yaml',
  PrometheusRule: 'crd-prometheusrules.yaml',
};

const CORE_MODELS: Record<string, { new (data: never): { validate(): void } }> = {
  Namespace: core.Namespace, Secret: core.Secret, ConfigMap: core.ConfigMap, ServiceAccount: core.ServiceAccount,
  ClusterRole: rbac.ClusterRole, ClusterRoleBinding: rbac.ClusterRoleBinding, Role: rbac.Role, RoleBinding: rbac.RoleBinding,
  NetworkPolicy: networking.NetworkPolicy,
};

type Values = Record<string, Record<string, unknown>>;

/**
 * Probes the Loki and Tempo charts render whole into the pod (`toYaml`) after Helm merges them
 * over their defaults: each must be a valid Kubernetes Probe, whatever key it adds.
 */
function expectValidProbes(chart: string, values: Values, under: string): void {
  const defaults = chartDefaults(chart) as Values;
  for (const probe of ['readinessProbe', 'livenessProbe']) {
    const set = values[under]?.[probe];
    if (set === undefined) continue;
    const merged = helmMerge(defaults[under]![probe], set);
    expect(() => new core.Probe(merged as never).validate(), `${chart} ${under}.${probe}`).not.toThrow();
  }
}

const SERVICE_MONITOR_TLS = ['spec', 'endpoints', 'items', 'tlsConfig'];

/**
 * kube-prometheus-stack's `prometheus.serviceMonitor.scheme/tlsConfig` (a free-form `{}` in its
 * values) are copied into its self ServiceMonitor's endpoint: checked against the ServiceMonitor
 * CRD. `prometheusSpec.web.tlsConfig` (prometheus-operator's WebTLSConfig; the Prometheus CRD is
 * not pinned) uses the same types for `cert`/`client_ca` (SecretOrConfigMap) and `keySecret`
 * (SecretKeySelector) as a ServiceMonitor's tlsConfig `ca` and `keySecret`: checked against those.
 */
function expectValidPrometheusTls(values: Values): void {
  const prometheus = values['prometheus'] as { serviceMonitor?: Record<string, unknown>; prometheusSpec: { web?: { tlsConfig: Record<string, unknown> } } };
  const monitor = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'self' }, spec: { selector: {}, endpoints: [{ port: 'http-web', ...prometheus.serviceMonitor }] } };
  const validate = crdValidator('crd-servicemonitors.yaml', monitor.apiVersion);
  expect(validate(monitor), errorsOf(validate)).toBe(true);
  const web = prometheus.prometheusSpec.web?.tlsConfig;
  if (web === undefined) return;
  expect(Object.keys(web).sort()).toEqual(['cert', 'clientAuthType', 'client_ca', 'keySecret']);
  for (const [key, type] of [['cert', 'ca'], ['client_ca', 'ca'], ['keySecret', 'keySecret']] as const) {
    const check = schemaValidator('crd-servicemonitors.yaml', 'monitoring.coreos.com/v1', [...SERVICE_MONITOR_TLS, 'properties', type]);
    expect(check(web[key]), `web.tlsConfig.${key}: ${errorsOf(check)}`).toBe(true);
  }
  // Go's crypto/tls ClientAuthType names, as Prometheus's web config takes them.
  expect(['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert']).toContain(web['clientAuthType']);
}

const VARIANTS: [string, Partial<StackFlags>][] = [
  ['the defaults', {}],
  ['every option', { tlsSecret: 'fleet-tls', bearerTokenSecret: 'otlp-token', storageClass: 'local-path', gatewayReplicas: '3', macHosts: 'mac-1.lan', alertWebhookUrl: 'https://alerts.example.com/hook', alertWebhookTokenSecret: 'alert-webhook-token' }],
];

describe.each(VARIANTS)('macos-agent stack with %s: every object validates against the pinned upstream schema', (_name, flags) => {
  const all = objects(flags);

  it('has only kinds the tests know a schema for', () => {
    for (const object of all) expect(CRD_FILES[object.kind] ?? CORE_MODELS[object.kind], `${object.kind} ${object.metadata.name}`).toBeDefined();
  });

  it.each(Object.keys(CRD_FILES))('every %s matches its CRD, unknown fields rejected', (kind) => {
    const found = all.filter((o) => o.kind === kind);
    expect(found.length).toBeGreaterThan(0);
    for (const object of found) {
      const validate = crdValidator(CRD_FILES[kind]!, object.apiVersion);
      expect(validate(object), `${kind} ${object.metadata.name}:\n${errorsOf(validate)}`).toBe(true);
    }
  });

  it('every core object passes kubernetes-models validation', () => {
    for (const object of all.filter((o) => CORE_MODELS[o.kind] !== undefined)) {
      const Model = CORE_MODELS[object.kind]!;
      expect(() => new Model(object as never).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
    }
  });

  describe('every Helm value the stack sets exists in that chart', () => {
    const values = (release: string): unknown => parse((all.find((o) => o.kind === 'HelmChart' && o.metadata.name === release)!.spec!['valuesContent']) as string);

    it('opentelemetry-operator: values.schema.json (draft 2019-09) and values.yaml', () => {
      const validate = valuesSchemaValidator('opentelemetry-operator', '2019-09');
      const merged = helmMerge(chartDefaults('opentelemetry-operator'), values('opentelemetry-operator'));
      expect(validate(merged), errorsOf(validate)).toBe(true);
      expect(unknownValuePaths(values('opentelemetry-operator'), [{ defaults: chartDefaults('opentelemetry-operator') }])).toEqual([]);
    });

    it('kube-prometheus-stack: its values.yaml, and grafana\'s for the grafana subchart', () => {
      expect(unknownValuePaths(values('kube-prometheus-stack'), [
        { defaults: chartDefaults('kube-prometheus-stack') },
        { defaults: chartDefaults('grafana'), under: 'grafana' },
      ])).toEqual([]);
      expectValidPrometheusTls(values('kube-prometheus-stack') as Values);
    });

    it('loki: values.schema.json (draft-07) and values.yaml', () => {
      const validate = valuesSchemaValidator('loki', '07');
      expect(validate(values('loki')), errorsOf(validate)).toBe(true);
      // The probes are checked as Probes (expectValidProbes): `httpGet.scheme` is not in the defaults.
      expect(unknownValuePaths(values('loki'), [{ defaults: chartDefaults('loki') }], ['loki.readinessProbe', 'loki.livenessProbe'])).toEqual([]);
      expectValidProbes('loki', values('loki') as Values, 'loki');
    });

    it('tempo: values.yaml', () => {
      // persistence.storageClassName is documented there as a comment (line 379); tempo.receivers
      // and tempo.server are rendered whole into Tempo's config (`{{- toYaml .Values.tempo.receivers }}`,
      // `{{- toYaml .Values.tempo.server }}` in its `config` value), so any setting is taken as
      // written; the probes are checked as Probes.
      expect(unknownValuePaths(values('tempo'), [{ defaults: chartDefaults('tempo') }], ['persistence.storageClassName', 'tempo.receivers', 'tempo.server', 'tempo.readinessProbe', 'tempo.livenessProbe'])).toEqual([]);
      expectValidProbes('tempo', values('tempo') as Values, 'tempo');
    });
  });
});

describe('collector-config --format operator', () => {
  it.each([
    ['node', { role: 'node', gateway: 'macos-agent-gateway-collector.observability:4317', format: 'operator' }],
    ['gateway', { role: 'gateway', prometheusUrl: 'http://prometheus:9090/api/v1/write', lokiUrl: 'http://loki:3100', tempoEndpoint: 'tempo:4317', format: 'operator' }],
  ])('%s resource matches the OpenTelemetryCollector CRD', (_role, flags) => {
    const options = parseCollectorFlags(flags);
    const resource = parse(JSON.stringify(operatorResource(options, collectorConfigFor(options)))) as Manifest;
    const validate = crdValidator(CRD_FILES['OpenTelemetryCollector']!, resource.apiVersion);
    expect(validate(resource), errorsOf(validate)).toBe(true);
  });
});

describe('the schema checks catch mistakes', () => {
  it('rejects a misspelt field in an OpenTelemetryCollector', () => {
    const collector = objects().find((o) => o.kind === 'OpenTelemetryCollector')!;
    const validate = crdValidator(CRD_FILES['OpenTelemetryCollector']!, collector.apiVersion);
    expect(validate({ ...collector, spec: { ...collector.spec, replica: 2 } })).toBe(false);
  });

  it('rejects a probe scheme Kubernetes does not have, and a TLS Secret reference without its key', () => {
    expect(() => new core.Probe({ httpGet: { port: 3100, scheme: 'TLS' } } as never).validate()).toThrow();
    const keySecret = schemaValidator('crd-servicemonitors.yaml', 'monitoring.coreos.com/v1', [...SERVICE_MONITOR_TLS, 'properties', 'keySecret']);
    expect(keySecret({ name: 'fleet-tls' })).toBe(false);
    expect(keySecret({ name: 'fleet-tls', key: 'tls.key' })).toBe(true);
  });

  it('reports a Helm value the chart does not have', () => {
    expect(unknownValuePaths({ prometheus: { prometheusSpec: { retentionTime: '30d' } } }, [{ defaults: chartDefaults('kube-prometheus-stack') }])).toEqual(['prometheus.prometheusSpec.retentionTime']);
  });
});
