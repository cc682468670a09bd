import { ALL_METRICS, type MetricSpec } from '../metrics/catalog.js';

// How the Collector's `prometheus_remote_write` exporter names an agent metric in Prometheus, with
// its defaults (suffixes on, underscore escaping). This follows the translator the exporter uses
// (github.com/prometheus/otlptranslator, formerly the contrib pkg/translator/prometheus
// normalize_name.go): the name is split on every character outside [a-zA-Z0-9:], the unit
// suffix is appended unless the name already holds that word, `_total` ends monotonic sums and
// `_ratio` ends gauges whose unit is `1`.

/** UCUM units the translator spells out; any other unit without braces is appended as written. */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  d: 'days', h: 'hours', min: 'minutes', s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds',
  By: 'bytes', KiBy: 'kibibytes', MiBy: 'mebibytes', GiBy: 'gibibytes', TiBy: 'tibibytes',
  KBy: 'kilobytes', MBy: 'megabytes', GBy: 'gigabytes', TBy: 'terabytes',
  m: 'meters', V: 'volts', A: 'amperes', J: 'joules', W: 'watts', g: 'grams',
  Cel: 'celsius', Hz: 'hertz', '1': '', '%': 'percent',
};

/** The "per" half of a unit such as `By/s`. */
const PER_UNIT_WORDS: Readonly<Record<string, string>> = {
  s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year',
};

const INVALID_METRIC_CHARS = /[^a-zA-Z0-9:]+/;

function tokens(text: string): string[] {
  return text.split(INVALID_METRIC_CHARS).filter((t) => t !== '');
}

function unitToken(word: string): string {
  return tokens(word).join('_');
}

function unitSuffixes(unit: string): { main: string; per: string } {
  const [mainPart = '', perPart] = unit.split(/\/(.*)/s, 2);
  const mainUnit = mainPart.trim();
  const main = mainUnit !== '' && !/[{}]/.test(mainUnit) ? UNIT_WORDS[mainUnit] ?? mainUnit : '';
  let per = '';
  const perUnit = perPart?.trim() ?? '';
  if (perUnit !== '' && !/[{}]/.test(perUnit)) per = `per_${PER_UNIT_WORDS[perUnit] ?? perUnit}`;
  return { main: unitToken(main), per: unitToken(per) };
}

/** The Prometheus metric name of one catalog entry after OTLP -> remote-write translation. */
export function prometheusMetricName(spec: Pick<MetricSpec, 'name' | 'unit' | 'kind'>): string {
  let nameTokens = tokens(spec.name);
  const { main, per } = unitSuffixes(spec.unit);
  if (main !== '' && !nameTokens.includes(main)) nameTokens.push(main);
  if (per !== '' && per !== 'per' && !nameTokens.includes(per)) nameTokens.push(per);
  if (spec.kind === 'counter') nameTokens = [...nameTokens.filter((t) => t !== 'total'), 'total'];
  if (spec.unit === '1' && spec.kind === 'gauge') nameTokens = [...nameTokens.filter((t) => t !== 'ratio'), 'ratio'];
  const name = nameTokens.join('_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** The Prometheus label name of an attribute (resource or data point): invalid characters become `_`. */
export function prometheusLabelName(attribute: string): string {
  const name = attribute.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `key_${name}` : name;
}

/** Every metric name the agent's metrics have in Prometheus, derived from the catalog. */
export function emittedPrometheusNames(metrics: readonly MetricSpec[] = ALL_METRICS): ReadonlySet<string> {
  return new Set(metrics.map(prometheusMetricName));
}

/**
 * The label the dashboard's host variable and the alerts group by: `host.name`, a resource
 * attribute, becomes a label because the gateway enables resource_to_telemetry_conversion.
 */
export const HOST_LABEL = prometheusLabelName('host.name');
