// Counts what an OTLP ExportMetricsServiceRequest holds by walking the protobuf wire format, so
// the benchmark needs no schema: field numbers from opentelemetry-proto
// (collector/metrics/v1/metrics_service.proto and metrics/v1/metrics.proto).
const REQUEST_RESOURCE_METRICS = 1;
const RESOURCE_METRICS_SCOPE_METRICS = 2;
const SCOPE_METRICS_METRICS = 2;
const METRIC_NAME = 1;
// Metric.data oneof: gauge 5, sum 7, histogram 9, exponential_histogram 10, summary 11; each
// holds `repeated ... data_points = 1`.
const METRIC_DATA_FIELDS = new Set([5, 7, 9, 10, 11]);
const DATA_POINTS = 1;

function readVarint(buf, pos) {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (pos >= buf.length) throw new Error('protobuf varint runs past the end of the message');
    const byte = buf[pos++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, pos];
    scale *= 128;
  }
}

/** Yields [fieldNumber, bytes] for every length-delimited field; skips the others. */
function* lengthDelimited(buf) {
  let pos = 0;
  while (pos < buf.length) {
    let tag;
    [tag, pos] = readVarint(buf, pos);
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0: [, pos] = readVarint(buf, pos); break;
      case 1: pos += 8; break;
      case 5: pos += 4; break;
      case 2: {
        let len;
        [len, pos] = readVarint(buf, pos);
        if (pos + len > buf.length) throw new Error(`protobuf field ${field} of ${len} bytes runs past the end`);
        yield [field, buf.subarray(pos, pos + len)];
        pos += len;
        break;
      }
      default: throw new Error(`protobuf wire type ${tag & 7} is not supported`);
    }
  }
}

/** @param {Buffer} request @returns {{ points: number, metrics: number, names: string[] }} */
export function countMetricsRequest(request) {
  let points = 0;
  const names = [];
  for (const [f1, resourceMetrics] of lengthDelimited(request)) {
    if (f1 !== REQUEST_RESOURCE_METRICS) continue;
    for (const [f2, scopeMetrics] of lengthDelimited(resourceMetrics)) {
      if (f2 !== RESOURCE_METRICS_SCOPE_METRICS) continue;
      for (const [f3, metric] of lengthDelimited(scopeMetrics)) {
        if (f3 !== SCOPE_METRICS_METRICS) continue;
        for (const [f4, part] of lengthDelimited(metric)) {
          if (f4 === METRIC_NAME) names.push(part.toString('utf8'));
          else if (METRIC_DATA_FIELDS.has(f4)) {
            for (const [f5] of lengthDelimited(part)) if (f5 === DATA_POINTS) points++;
          }
        }
      }
    }
  }
  return { points, metrics: names.length, names };
}
