import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep, until } from './otlp/agent-process.js';
import { cyclesByRun, duplicates, largestGapMs, pointsNamed, startAgent } from './otlp/daemon.js';
import { OtlpReceiver, pointsOf, type ReceivedRequest } from './otlp/receiver.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freePort(): Promise<number> {
  const probe = await OtlpReceiver.start();
  probe.kill();
  return probe.port;
}

/** Cycle timestamps in the order the receiver accepted them. */
function arrivalOrder(requests: readonly ReceivedRequest[]): bigint[] {
  return requests.filter((r) => !r.cancelled && r.answer.kind !== 'error')
    .flatMap((r) => pointsNamed(pointsOf(r.request), 'process.memory.usage').map((p) => p.timeUnixNano));
}

function isIncreasing(times: readonly bigint[]): boolean {
  return times.every((t, i) => i === 0 || t > times[i - 1]!);
}

describe('the daemon loses nothing while the collector is away', () => {
  it('delivers every cycle once when the receiver is absent at start, then killed for 2 s and restarted', async () => {
    const port = await freePort();
    const requests: ReceivedRequest[] = [];
    const { agent, cleanup } = startAgent(`http://127.0.0.1:${port}`);
    cleanups.push(cleanup);
    await agent.waitForLog('failed (UNAVAILABLE)');
    await sleep(800);
    let receiver = await OtlpReceiver.start({ port }, requests);
    await agent.waitForLog('export queue drained');
    await sleep(600);
    receiver.kill();
    await sleep(2000);
    receiver = await OtlpReceiver.start({ port }, requests);
    cleanups.push(() => receiver.kill());
    await until(() => agent.logsMatching('export queue drained').length >= 2, 15_000, 'the second drain');
    const stopped = await agent.stop();
    expect(stopped.code).toBe(0);

    const runs = cyclesByRun(receiver.points());
    expect(runs.size).toBe(1);
    const cycles = [...runs.values()][0]!;
    expect(duplicates(cycles)).toEqual([]);
    expect(largestGapMs(cycles)).toBeLessThan(1000);
    expect(isIncreasing(arrivalOrder(requests))).toBe(true);
    // The whole run, about 5 s at 200 ms.
    expect(cycles.length).toBeGreaterThan(12);
    // One line when each outage starts, one when it ends: not one per failed attempt.
    expect(agent.logsMatching(/^export to \S+ failed/)).toHaveLength(2);
    expect(agent.logsMatching(/^export to \S+ recovered/)).toHaveLength(2);
  });

  it('keeps batches answered with UNAVAILABLE or RESOURCE_EXHAUSTED and re-sends them in order', async () => {
    const receiver = await OtlpReceiver.start({
      answer: (n) => n < 2 ? { kind: 'error', code: status.UNAVAILABLE, message: 'collector restarting' }
        : n < 4 ? { kind: 'error', code: status.RESOURCE_EXHAUSTED, message: 'memory limiter: data refused' }
        : { kind: 'ok' },
    });
    cleanups.push(() => receiver.kill());
    const { agent, cleanup } = startAgent(`http://127.0.0.1:${receiver.port}`);
    cleanups.push(cleanup);
    await agent.waitForLog('export queue drained', 20_000);
    await sleep(400);
    expect((await agent.stop()).code).toBe(0);

    expect(receiver.requests.slice(0, 4).map((r) => r.answer.kind)).toEqual(Array(4).fill('error'));
    const cycles = [...cyclesByRun(receiver.points()).values()][0]!;
    expect(duplicates(cycles)).toEqual([]);
    expect(largestGapMs(cycles)).toBeLessThan(1000);
    expect(isIncreasing(arrivalOrder(receiver.requests))).toBe(true);
    // The first refused batch is among those delivered.
    const firstRefused = pointsNamed(pointsOf(receiver.requests[0]!.request), 'process.memory.usage')[0]!.timeUnixNano;
    expect(cycles).toContain(firstRefused);
    const warned = agent.logsMatching(/^export to \S+ failed/);
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toContain('UNAVAILABLE');
    const retries = pointsNamed(receiver.points(), 'macos.agent.export.requests').filter((p) => p.attributes['macos.agent.export.outcome'] === 'retry');
    expect(Math.max(...retries.map((p) => p.value))).toBeGreaterThanOrEqual(4);
  });

  it('treats an answer past the deadline as a failure, keeps collecting, and delivers every cycle afterwards', async () => {
    const receiver = await OtlpReceiver.start({ delayMs: 1000 });
    cleanups.push(() => receiver.kill());
    const { agent, cleanup } = startAgent(`http://127.0.0.1:${receiver.port}`, { args: ['--set', 'exporter.timeout=300ms'] });
    cleanups.push(cleanup);
    await agent.waitForLog('failed (DEADLINE_EXCEEDED)');
    await sleep(1500);
    receiver.setOptions({ delayMs: 0 });
    await agent.waitForLog('export queue drained', 20_000);
    await sleep(400);
    expect((await agent.stop()).code).toBe(0);

    expect(receiver.requests.some((r) => r.cancelled)).toBe(true);
    const cycles = [...cyclesByRun(receiver.points()).values()][0]!;
    expect(duplicates(cycles)).toEqual([]);
    // Collection never waited for the slow exports: no cycle is missing.
    expect(largestGapMs(cycles)).toBeLessThan(1000);
    expect(cycles.length).toBeGreaterThan(10);
  });

  it('counts points the collector rejected in a partial success as dropped, and logs it once', async () => {
    const receiver = await OtlpReceiver.start({
      answer: (n) => (n < 4 ? { kind: 'partial', rejected: 5, message: 'metric name too long' } : { kind: 'ok' }),
    });
    cleanups.push(() => receiver.kill());
    const { agent, cleanup } = startAgent(`http://127.0.0.1:${receiver.port}`);
    cleanups.push(cleanup);
    await until(() => receiver.requests.length >= 8, 15_000, 'eight exports');
    expect((await agent.stop()).code).toBe(0);

    const dropped = pointsNamed(receiver.points(), 'macos.agent.export.dropped_points');
    expect(dropped.at(-1)).toMatchObject({ unit: '{point}', type: 'sum', monotonic: true, attributes: { 'macos.agent.drop_reason': 'rejected' }, value: 20 });
    expect(agent.logsMatching('dropping export data: the collector rejected them')).toHaveLength(1);
    expect(agent.logsMatching('20 points were dropped (rejected) in this episode')).toHaveLength(1);
  });

  it('drops a batch the collector refuses as INVALID_ARGUMENT instead of retrying it forever', async () => {
    const receiver = await OtlpReceiver.start({
      answer: (n) => (n < 2 ? { kind: 'error', code: status.INVALID_ARGUMENT, message: 'bad data' } : { kind: 'ok' }),
    });
    cleanups.push(() => receiver.kill());
    const { agent, cleanup } = startAgent(`http://127.0.0.1:${receiver.port}`);
    cleanups.push(cleanup);
    await until(() => receiver.accepted().length >= 3, 15_000, 'three accepted exports');
    expect((await agent.stop()).code).toBe(0);

    const refusedPoints = receiver.requests.slice(0, 2).reduce((n, r) => n + pointsOf(r.request).length, 0);
    const dropped = pointsNamed(receiver.points(), 'macos.agent.export.dropped_points');
    expect(dropped.at(-1)!.value).toBe(refusedPoints);
    const refused = new Set(receiver.requests.slice(0, 2).flatMap((r) => pointsNamed(pointsOf(r.request), 'process.memory.usage').map((p) => p.timeUnixNano)));
    expect(pointsNamed(receiver.points(), 'process.memory.usage').filter((p) => refused.has(p.timeUnixNano))).toEqual([]);
    expect(agent.logsMatching('collector refused a batch as invalid')).toHaveLength(1);
  });
});
