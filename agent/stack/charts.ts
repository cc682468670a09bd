// The Helm charts the stack installs through K3s's helm-controller, pinned: each version is the
// one whose values the tests check the generated values against (test/fixtures/stack-schemas/).

export interface PinnedChart {
  /** The HelmChart's name, which is the Helm release name and the prefix of its Services. */
  readonly release: string;
  readonly chart: string;
  readonly repo: string;
  readonly version: string;
}

export const OPERATOR_CHART: PinnedChart = {
  release: 'opentelemetry-operator',
  chart: 'opentelemetry-operator',
  repo: 'https://open-telemetry.github.io/opentelemetry-helm-charts',
  version: '0.122.0',
};

export const KUBE_PROMETHEUS_STACK_CHART: PinnedChart = {
  release: 'kube-prometheus-stack',
  chart: 'kube-prometheus-stack',
  repo: 'https://prometheus-community.github.io/helm-charts',
  version: '88.5.3',
};

/** The OSS Loki chart's current home (it moved from grafana/loki in 2026). */
export const LOKI_CHART: PinnedChart = {
  release: 'loki',
  chart: 'loki',
  repo: 'https://grafana-community.github.io/helm-charts',
  version: '18.11.0',
};

/** Single-binary Tempo. */
export const TEMPO_CHART: PinnedChart = {
  release: 'tempo',
  chart: 'tempo',
  repo: 'https://grafana-community.github.io/helm-charts',
  version: '2.2.4',
};
