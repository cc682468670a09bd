import { AggregationTemporality, type AggregationTemporalitySelector, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { countPoints, restoreBatch, storeBatch, toExportBatch } from '../agent/export/batch.js';
import { exportTemporality, keepObservedSeries } from '../agent/metrics/metrics-pipeline.js';
import { point } from '../agent/metrics/catalog.js';
import { PointStore, registerInstruments } from '../agent/metrics/instruments.js';

const ALL_CUMULATIVE: AggregationTemporalitySelector = () => AggregationTemporality.CUMULATIVE;

class ManualReader extends MetricReader {
  constructor(selector: AggregationTemporalitySelector) {
    super({ aggregationTemporalitySelector: selector });
  }

  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

function pipeline(selector: AggregationTemporalitySelector = exportTemporality): { store: PointStore; reader: ManualReader } {
  const store = new PointStore();
  const reader = new ManualReader(selector);
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'macos-agent' }), readers: [reader] });
  registerInstruments(provider.getMeter('macos-agent'), store);
  return { store, reader };
}

function series(rm: Awaited<ReturnType<MetricReader['collect']>>['resourceMetrics']): string[] {
  return rm.scopeMetrics.flatMap((s) => s.metrics.flatMap((m) => m.dataPoints.map((dp) => `${m.descriptor.name}${JSON.stringify(dp.attributes)}=${String(dp.value)}`)));
}

describe.each([
  ['as the daemon asks (gauges delta, sums cumulative)', exportTemporality],
  ['with every instrument cumulative', ALL_CUMULATIVE],
])('keepObservedSeries, %s', (_, selector) => {
  it('removes the series a source stopped reporting, which the SDK would export again with their last value', async () => {
    const { store, reader } = pipeline(selector);
    store.set('iostat', [
      point('diskIo', 1000, { 'system.device': 'disk0' }),
      point('diskIo', 500, { 'system.device': 'disk4' }),
      point('loadAverage1m', 2.5),
    ]);
    const first = await reader.collect();
    expect(series(keepObservedSeries(first.resourceMetrics, store))).toHaveLength(3);

    // disk4 was ejected.
    store.set('iostat', [point('diskIo', 1200, { 'system.device': 'disk0' }), point('loadAverage1m', 2.0)]);
    const second = await reader.collect();
    // What the SDK alone would export: disk4 again, with its old total.
    expect(series(second.resourceMetrics)).toContain('system.disk.io{"system.device":"disk4"}=500');
    expect(series(keepObservedSeries(second.resourceMetrics, store)).sort()).toEqual([
      'system.cpu.load_average.1m{}=2',
      'system.disk.io{"system.device":"disk0"}=1200',
    ]);
  });

  it('removes a series replaced by another, though the count of points is unchanged', async () => {
    const { store, reader } = pipeline(selector);
    const disks = (...names: string[]) => names.map((d, i) => point('diskIo', 100 * (i + 1), { 'system.device': d }));
    store.set('iostat', [...disks('disk0', 'disk4'), point('memoryUsage', 1, { 'system.memory.state': 'free' })]);
    await reader.collect();
    store.set('iostat', [...disks('disk0', 'disk5'), point('memoryUsage', 2, { 'system.memory.state': 'used' })]);
    expect(series(keepObservedSeries((await reader.collect()).resourceMetrics, store)).sort()).toEqual([
      'system.disk.io{"system.device":"disk0"}=100',
      'system.disk.io{"system.device":"disk5"}=200',
      'system.memory.usage{"system.memory.state":"used"}=2',
    ]);
  });

  it('removes a stale series when the store reports one series twice (as many points as the SDK holds)', async () => {
    const { store, reader } = pipeline(selector);
    store.set('iostat', [point('diskIo', 1, { 'system.device': 'disk0' }), point('diskIo', 2, { 'system.device': 'disk4' })]);
    await reader.collect();
    store.set('iostat', [point('diskIo', 3, { 'system.device': 'disk0' }), point('diskIo', 3, { 'system.device': 'disk0' })]);
    expect(series(keepObservedSeries((await reader.collect()).resourceMetrics, store))).toEqual(['system.disk.io{"system.device":"disk0"}=3']);
  });

  it('tells a string attribute from a number with the same text', async () => {
    const { store, reader } = pipeline(selector);
    store.set('iostat', [point('diskIo', 1, { 'system.device': '1' })]);
    await reader.collect();
    store.set('iostat', [point('diskIo', 2, { 'system.device': 1 as unknown as string })]);
    expect(series(keepObservedSeries((await reader.collect()).resourceMetrics, store))).toEqual(['system.disk.io{"system.device":1}=2']);
  });

  it('leaves nothing to send when no source reported anything', async () => {
    const { store, reader } = pipeline(selector);
    store.set('vm_stat', [point('memoryLimit', 1024)]);
    await reader.collect();
    store.clear('vm_stat');
    const kept = keepObservedSeries((await reader.collect()).resourceMetrics, store);
    expect(countPoints(kept)).toBe(0);
    expect(toExportBatch(kept)).toBeUndefined();
  });

  it('makes a collection one batch and counts its points', async () => {
    const { store, reader } = pipeline(selector);
    store.set('vm_stat', [point('memoryUsage', 4096, { 'system.memory.state': 'free' }), point('memoryLimit', 8192)]);
    const batch = toExportBatch(keepObservedSeries((await reader.collect()).resourceMetrics, store))!;
    expect(batch.points).toBe(2);
    expect(series(batch.resourceMetrics).sort()).toEqual(['system.memory.limit{}=8192', 'system.memory.usage{"system.memory.state":"free"}=4096']);
  });

  it('stores a batch so that it comes back as the same OTLP request', async () => {
    const { store, reader } = pipeline(selector);
    store.set('vm_stat', [point('memoryUsage', 4096, { 'system.memory.state': 'free' }), point('memoryLimit', 8192)]);
    store.set('iostat', [point('diskIo', 1200, { 'system.device': 'disk0' })]);
    const batch = toExportBatch(keepObservedSeries((await reader.collect()).resourceMetrics, store))!;
    const restored = restoreBatch(storeBatch(batch.resourceMetrics));
    expect(restored.points).toBe(3);
    expect(ProtobufMetricsSerializer.serializeRequest(restored.resourceMetrics)).toEqual(ProtobufMetricsSerializer.serializeRequest(batch.resourceMetrics));
  });
});

describe('exportTemporality', () => {
  it('lets the SDK itself drop a gauge series that was not observed, so there is nothing stale to filter', async () => {
    const { store, reader } = pipeline(exportTemporality);
    store.set('iostat', [point('loadAverage1m', 2.5), point('diskIo', 1000, { 'system.device': 'disk0' })]);
    await reader.collect();
    store.set('iostat', [point('diskIo', 1200, { 'system.device': 'disk0' })]);
    const { resourceMetrics } = await reader.collect();
    expect(series(resourceMetrics)).toEqual(['system.disk.io{"system.device":"disk0"}=1200']);
  });
});

describe('restoreBatch', () => {
  it.each([
    ['bytes that are not JSON', Buffer.from('\x1f\x8b not json')],
    ['JSON of another shape', Buffer.from(JSON.stringify({ resource: { attributes: {} }, scopeMetrics: [{ scope: { name: 'x' }, metrics: [{ descriptor: { name: 'm' } }] }] }))],
    ['a data point with a non-numeric value', Buffer.from(JSON.stringify({ resource: { attributes: {} }, scopeMetrics: [{ scope: { name: 'x' }, metrics: [{ descriptor: { name: 'm', unit: '', description: '' }, dataPointType: 2, dataPoints: [{ startTime: [0, 0], endTime: [0, 0], attributes: {}, value: 'NaN' }] }] }] }))],
    ['a batch without points', Buffer.from(JSON.stringify({ resource: { attributes: {} }, scopeMetrics: [] }))],
  ])('refuses %s, saying it is not a stored batch', (_, bytes) => {
    expect(() => restoreBatch(bytes)).toThrow(/not a stored export batch/);
  });
});
