// Finds the metric names a PromQL expression selects, so that a dashboard panel or an alert rule
// naming a metric the agent does not emit is caught when it is generated, not on a blank graph.

const KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool',
  'offset', 'atan2', 'inf', 'nan',
]);

/** Grafana template variables and macros (`$host`, `${datasource}`, `$__rate_interval`). */
const GRAFANA_VARIABLE = /\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g;

/** The metric names an expression selects (identifiers that are not functions, keywords or labels). */
export function metricNamesInPromql(expression: string): string[] {
  const text = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(GRAFANA_VARIABLE, '')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?[0-9a-z]+/g, ' ');
  const names = new Set<string>();
  for (const match of text.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\(?))/g)) {
    const word = match[0];
    const isCall = match[1] === '(';
    const before = text.slice(0, match.index);
    // Part of a number such as 1e3 or 0x1f.
    if (/[0-9.]$/.test(before)) continue;
    if (isCall || KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/** Throws when an expression names a metric outside `known`, saying which and where. */
export function assertKnownMetrics(where: string, expression: string, known: ReadonlySet<string>): void {
  const names = metricNamesInPromql(expression);
  if (names.length === 0) throw new Error(`${where}: the query "${expression}" selects no metric`);
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new Error(`${where}: the query "${expression}" names ${unknown.join(', ')}, which macos-agent does not emit — use a name from prometheusMetricName() over the metric catalog`);
  }
}
