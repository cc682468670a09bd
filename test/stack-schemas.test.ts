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
import { chartDefaults, crdValidator, errorsOf, helmMerge, unknownValuePaths, valuesSchemaValidator } from './helpers/k8s-schemas.js';

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

const VARIANTS: [string, Partial<StackFlags>][] = [
  ['the defaults', {}],
  ['every option', { tlsSecret: 'fleet-tls', bearerTokenSecret: 'otlp-token', storageClass: 'local-path', gatewayReplicas: '3', macHosts: 'mac-1.lan' }],
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
    });

    it('loki: values.schema.json (draft-07) and values.yaml', () => {
      const validate = valuesSchemaValidator('loki', '07');
      expect(validate(values('loki')), errorsOf(validate)).toBe(true);
      expect(unknownValuePaths(values('loki'), [{ defaults: chartDefaults('loki') }])).toEqual([]);
    });

    it('tempo: values.yaml', () => {
      // persistence.storageClassName is documented there as a comment (line 379); tempo.receivers
      // is rendered whole into Tempo's config (`{{- toYaml .Values.tempo.receivers }}` in its
      // `config` value), so any receiver setting is taken as written.
      expect(unknownValuePaths(values('tempo'), [{ defaults: chartDefaults('tempo') }], ['persistence.storageClassName', 'tempo.receivers'])).toEqual([]);
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

  it('reports a Helm value the chart does not have', () => {
    expect(unknownValuePaths({ prometheus: { prometheusSpec: { retentionTime: '30d' } } }, [{ defaults: chartDefaults('kube-prometheus-stack') }])).toEqual(['prometheus.prometheusSpec.retentionTime']);
  });
});
