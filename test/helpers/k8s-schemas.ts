import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

// Offline validation of generated Kubernetes objects against the pinned upstream schemas copied
// into test/fixtures/stack-schemas/ (see test/fixtures/SOURCES.md), the way
// ../shared/stack-schemas/README.md describes: CRDs' OpenAPI v3 schemas made kubectl-strict, and
// Helm values checked against each chart's values.schema.json and default values.yaml.

const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2019, formats: string[]) => void;

export const SCHEMAS = join(import.meta.dirname, '..', 'fixtures', 'stack-schemas');

type Schema = { [key: string]: unknown };

/** kubectl --validate=strict: every object schema with properties rejects keys it does not list. */
export function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (schema === null || typeof schema !== 'object') return schema;
  const node: Schema = {};
  for (const [key, value] of Object.entries(schema as Schema)) node[key] = strict(value);
  if (node['properties'] !== undefined && node['x-kubernetes-preserve-unknown-fields'] !== true && node['additionalProperties'] === undefined) {
    node['additionalProperties'] = false;
  }
  return node;
}

/** Go's (?i) prefix, which JavaScript regexes spell as a flag. */
function goRegExp(pattern: string, flags: string): RegExp {
  return pattern.includes('(?i)') ? new RegExp(pattern.replace('(?i)', ''), `${flags}i`) : new RegExp(pattern, flags);
}

const crdValidators = new Map<string, ValidateFunction>();

/** The validator of one served version of a CRD, by the manifest's apiVersion and kind. */
export function crdValidator(file: string, apiVersion: string): ValidateFunction {
  const key = `${file}|${apiVersion}`;
  const cached = crdValidators.get(key);
  if (cached !== undefined) return cached;
  const crd = parse(readFileSync(join(SCHEMAS, 'crds', file), 'utf8')) as { spec: { group: string; versions: { name: string; schema: { openAPIV3Schema: unknown } }[] } };
  const version = apiVersion.slice(crd.spec.group.length + 1);
  const entry = crd.spec.versions.find((v) => v.name === version);
  if (entry === undefined) throw new Error(`${file} serves no version ${version}`);
  const ajv = new Ajv({ strict: false, allErrors: true, code: { regExp: goRegExp as never } });
  addFormats(ajv, ['int32', 'int64', 'date-time', 'duration']);
  const validate = ajv.compile(strict(entry.schema.openAPIV3Schema) as Schema);
  crdValidators.set(key, validate);
  return validate;
}

/** A validator of one subschema of a CRD version, at `path` below its openAPIV3Schema's `properties`. */
export function schemaValidator(file: string, apiVersion: string, path: readonly string[]): ValidateFunction {
  const crd = parse(readFileSync(join(SCHEMAS, 'crds', file), 'utf8')) as { spec: { group: string; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } };
  const entry = crd.spec.versions.find((v) => v.name === apiVersion.slice(crd.spec.group.length + 1));
  if (entry === undefined) throw new Error(`${file} serves no version ${apiVersion}`);
  let node: Schema = entry.schema.openAPIV3Schema;
  for (const key of path) {
    const next = (key === 'items' ? node['items'] : (node['properties'] as Schema | undefined)?.[key] ?? node[key]) as Schema | undefined;
    if (next === undefined) throw new Error(`${file}: no ${path.join('.')}`);
    node = next;
  }
  const ajv = new Ajv({ strict: false, allErrors: true });
  return ajv.compile(strict(node) as Schema);
}

/** ajv's errors, one per line, for a failing expectation's message. */
export function errorsOf(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');
}

/** A chart's values.schema.json validator: draft 2019-09 (the operator) or draft-07 (Loki). */
export function valuesSchemaValidator(chart: string, draft: '2019-09' | '07'): ValidateFunction {
  const schema = JSON.parse(readFileSync(join(SCHEMAS, 'charts', chart, 'values.schema.json'), 'utf8')) as Schema;
  const ajv = draft === '2019-09' ? new Ajv2019({ strict: false, allErrors: true }) : new Ajv({ strict: false, allErrors: true, validateSchema: false });
  return ajv.compile(schema);
}

export function chartDefaults(chart: string): unknown {
  return parse(readFileSync(join(SCHEMAS, 'charts', chart, 'values.yaml'), 'utf8'));
}

/** A default of `{}`, `[]` or null: the chart takes any keys below it. */
function freeForm(value: unknown): boolean {
  return value === null || (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && Object.keys(value as object).length === 0);
}

/**
 * Every key path `values` sets that exists in none of `defaults` (tried in order, each with an
 * optional prefix), and is not below a free-form default or an `allowed` path.
 */
export function unknownValuePaths(values: unknown, sources: readonly { defaults: unknown; under?: string }[], allowed: readonly string[] = []): string[] {
  const unknown: string[] = [];
  const lookup = (defaults: unknown, path: readonly string[]): 'known' | 'free' | 'missing' => {
    let node = defaults;
    for (const key of path) {
      if (freeForm(node) && path.length > 0) return 'free';
      if (node === null || typeof node !== 'object' || Array.isArray(node) || !(key in (node as object))) return 'missing';
      node = (node as Schema)[key];
    }
    return freeForm(node) ? 'free' : 'known';
  };
  const walk = (value: unknown, path: string[]): void => {
    const dotted = path.join('.');
    if (allowed.some((a) => dotted === a || dotted.startsWith(`${a}.`))) return;
    let verdict: 'known' | 'free' | 'missing' = 'missing';
    for (const source of sources) {
      const prefix = source.under === undefined ? [] : source.under.split('.');
      if (source.under !== undefined && !(path.length >= prefix.length && prefix.every((p, i) => path[i] === p))) continue;
      const found = lookup(source.defaults, path.slice(prefix.length));
      if (found !== 'missing') { verdict = found; break; }
    }
    if (path.length > 0 && verdict === 'missing') { unknown.push(dotted); return; }
    if (verdict === 'free') return;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value as Schema)) walk(child, [...path, key]);
    }
  };
  walk(values, []);
  return unknown;
}

/** Helm's merge of user values over a chart's defaults: maps merge, anything else replaces. */
export function helmMerge(defaults: unknown, values: unknown): unknown {
  const isMap = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isMap(defaults) || !isMap(values)) return values;
  const merged: Schema = { ...defaults };
  for (const [key, value] of Object.entries(values)) merged[key] = helmMerge(defaults[key], value);
  return merged;
}
