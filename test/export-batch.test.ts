import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { describe, expect, it } from 'vitest';
import { countPoints, encodeBatch, keepObservedSeries } from '../agent/export/batch.js';
import { point } from '../agent/metrics/catalog.js';
import { PointStore, registerInstruments } from '../agent/metrics/instruments.js';

class ManualReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }

  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

function pipeline(): { store: PointStore; reader: ManualReader } {
  const store = new PointStore();
  const reader = new ManualReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'macos-agent' }), readers: [reader] });
  registerInstruments(provider.getMeter('macos-agent'), store);
  return { store, reader };
}

function series(rm: Awaited<ReturnType<MetricReader['collect']>>['resourceMetrics']): string[] {
  return rm.scopeMetrics.flatMap((s) => s.metrics.flatMap((m) => m.dataPoints.map((dp) => `${m.descriptor.name}${JSON.stringify(dp.attributes)}=${String(dp.value)}`)));
}

describe('keepObservedSeries', () => {
  it('removes the series a source stopped reporting, which the SDK would export again with their last value', async () => {
    const { store, reader } = pipeline();
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

  it('leaves nothing to send when no source reported anything', async () => {
    const { store, reader } = pipeline();
    store.set('vm_stat', [point('memoryLimit', 1024)]);
    await reader.collect();
    store.clear('vm_stat');
    const kept = keepObservedSeries((await reader.collect()).resourceMetrics, store);
    expect(countPoints(kept)).toBe(0);
    expect(encodeBatch(kept)).toBeUndefined();
  });

  it('encodes a collection as one OTLP request and counts its points', async () => {
    const { store, reader } = pipeline();
    store.set('vm_stat', [point('memoryUsage', 4096, { 'system.memory.state': 'free' }), point('memoryLimit', 8192)]);
    const batch = encodeBatch(keepObservedSeries((await reader.collect()).resourceMetrics, store))!;
    expect(batch.points).toBe(2);
    expect(Buffer.from(batch.payload).includes(Buffer.from('system.memory.usage'))).toBe(true);
  });
});
