import { afterEach, describe, expect, it } from 'vitest';
import { until } from './otlp/agent-process.js';
import { pointsNamed, startAgent } from './otlp/daemon.js';
import { OtlpReceiver } from './otlp/receiver.js';
import { uuidV5 } from '../agent/resource.js';
import { VERSION } from '../agent/version.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('the daemon exports over OTLP/gRPC', () => {
  it('sends the replayed capture and its own telemetry, with the Mac as the resource, and stops cleanly on SIGTERM', async () => {
    const receiver = await OtlpReceiver.start();
    cleanups.push(() => receiver.kill());
    const { agent, cleanup } = startAgent(`http://127.0.0.1:${receiver.port}`);
    cleanups.push(cleanup);
    await until(() => receiver.accepted().length >= 3, 15_000, 'three exports');
    const stopped = await agent.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(5000);

    const points = receiver.points();
    const resource = points[0]!.resource;
    expect(resource).toMatchObject({
      'service.name': 'macos-agent',
      'service.version': VERSION,
      'host.id': '5C8B3A2E-1F4D-4E6A-9B7C-0D1E2F3A4B5C',
      'service.instance.id': uuidV5('5C8B3A2E-1F4D-4E6A-9B7C-0D1E2F3A4B5C'),
      'os.type': 'darwin',
      'os.name': 'macOS',
      'os.version': '14.4.1',
      'os.build_id': '23E224',
      'host.cpu.model.name': 'Apple M1 Pro',
      'macos.hw.model': 'MacBookPro18,1',
    });
    expect(typeof resource['host.name']).toBe('string');
    expect(points[0]!.scope).toBe('macos-agent');

    const rss = pointsNamed(points, 'process.memory.usage');
    expect(rss.length).toBeGreaterThanOrEqual(3);
    expect(rss[0]).toMatchObject({ unit: 'By', type: 'sum', monotonic: false, temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE', attributes: {} });
    expect(rss[0]!.value).toBeGreaterThan(10 * 1024 * 1024);
    expect(rss[0]!.value).toBeLessThan(1024 * 1024 * 1024);

    const cpu = pointsNamed(points, 'process.cpu.time');
    expect(cpu[0]).toMatchObject({ unit: 's', type: 'sum', monotonic: true, temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE' });
    expect(new Set(cpu.map((p) => p.attributes['cpu.mode']))).toEqual(new Set(['user', 'system']));

    const exports = pointsNamed(points, 'macos.agent.export.requests');
    expect(exports.some((p) => p.attributes['macos.agent.export.outcome'] === 'success' && p.value >= 1)).toBe(true);

    const memory = pointsNamed(points, 'system.memory.usage');
    expect(memory[0]).toMatchObject({ unit: 'By', type: 'sum', monotonic: false, temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE' });
    const lastCycle = memory.at(-1)!.timeUnixNano;
    const byState = Object.fromEntries(memory.filter((p) => p.timeUnixNano === lastCycle).map((p) => [p.attributes['system.memory.state'], p.value]));
    // vm_stat of the M1 Pro capture: 16384-byte pages.
    expect(byState).toEqual({
      free: 6472 * 16384, active: 730051 * 16384, inactive: 710941 * 16384,
      speculative: 18210 * 16384, wired: 165932 * 16384, compressed: 424276 * 16384,
    });
    const pageins = pointsNamed(points, 'system.paging.operations').filter((p) => p.attributes['system.paging.direction'] === 'in');
    expect(pageins[0]).toMatchObject({ unit: '{operation}', type: 'sum', monotonic: true, temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE', value: 21634062 });
    expect(pointsNamed(points, 'system.memory.limit')[0]).toMatchObject({ unit: 'By', value: 34359738368 });

    const queue = pointsNamed(points, 'macos.agent.export.queue.size');
    expect(queue.every((p) => p.value === 0 && p.unit === '{batch}')).toBe(true);

    expect(agent.logsMatching('macos-agent started')).toHaveLength(1);
    expect(agent.logsMatching('macos-agent stopped; everything was delivered')).toHaveLength(1);
  });
});
