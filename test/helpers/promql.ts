import { parser } from '@prometheus-io/lezer-promql';

export interface VectorSelector {
  readonly metric: string;
  /** The label names its matchers name, in order. */
  readonly labels: readonly string[];
}

export interface ParsedPromql {
  /** Where the official grammar found a syntax error: the offset and the text from there on. */
  readonly errors: readonly string[];
  readonly selectors: readonly VectorSelector[];
  /** The metric names the selectors name, in order, without repeats. */
  readonly metricNames: readonly string[];
}

/**
 * Parses an expression (or a series in promtool's `name{label="value"}` notation) with Prometheus'
 * own PromQL grammar, the one its web UI uses.
 */
export function parsePromql(expression: string): ParsedPromql {
  const errors: string[] = [];
  const selectors: { metric: string; labels: string[] }[] = [];
  const text = (node: { from: number; to: number }): string => expression.slice(node.from, node.to);
  parser.parse(expression).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`at ${node.from}: "${expression.slice(node.from, node.from + 20)}"`);
      if (node.name === 'VectorSelector') selectors.push({ metric: '', labels: [] });
      const parent = node.node.parent?.name;
      if (node.name === 'Identifier' && parent === 'VectorSelector') selectors.at(-1)!.metric = text(node);
      if (node.name === 'LabelName' && parent === 'UnquotedLabelMatcher') selectors.at(-1)!.labels.push(text(node));
    },
  });
  return { errors, selectors, metricNames: [...new Set(selectors.map((s) => s.metric).filter((m) => m !== ''))] };
}
