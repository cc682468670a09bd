import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { Collection } from '../agent/collection.js';
import { point, type SourceName } from '../agent/metrics/catalog.js';
import { PointStore } from '../agent/metrics/instruments.js';
import { SourceError, type Source } from '../agent/sources/source.js';
import { AgentTelemetry } from '../agent/telemetry.js';

function countingSource(name: Exclude<SourceName, 'agent'>, fail = false): Source & { calls: number } {
  const s = {
    name,
    calls: 0,
    async collect() {
      s.calls++;
      if (fail) throw new SourceError(name, 'missing', `${name} not found on PATH`);
      return [point('memoryLimit', s.calls)];
    },
    async stop() {},
  };
  return s;
}

function logLines(): { log: Logger; lines: { msg: string }[] } {
  const lines: { msg: string }[] = [];
  const log: Logger = pino({ level: 'info' }, { write: (l: string) => { lines.push(JSON.parse(l) as { msg: string }); } });
  return { log, lines };
}

describe('Collection', () => {
  it('collects each source on the cycles its own interval makes due, and exports nothing for it in between', async () => {
    const vm = countingSource('vm_stat');
    const sysctl = countingSource('sysctl');
    const store = new PointStore();
    const { log } = logLines();
    const c = new Collection([vm, sysctl], store, new AgentTelemetry(), log, {
      cycleMs: 100,
      intervalOf: (n) => (n === 'sysctl' ? 300 : 100),
    });
    const collected: string[][] = [];
    for (const now of [0, 101, 199, 302, 400, 498, 601]) {
      const statuses = await c.collectAll(now);
      collected.push(statuses.map((s) => s.name));
      expect(store.count('sysctl'), `sysctl points at ${now}`).toBe(statuses.some((s) => s.name === 'sysctl') ? 1 : 0);
    }
    expect(collected).toEqual([
      ['vm_stat', 'sysctl'], ['vm_stat'], ['vm_stat'], ['vm_stat', 'sysctl'], ['vm_stat'], ['vm_stat'], ['vm_stat', 'sysctl'],
    ]);
    expect(vm.calls).toBe(7);
    expect(sysctl.calls).toBe(3);
  });

  it('collects everything on every call without a schedule (--once)', async () => {
    const vm = countingSource('vm_stat');
    const c = new Collection([vm], new PointStore(), new AgentTelemetry(), logLines().log);
    await c.collectAll(0);
    await c.collectAll(1);
    expect(vm.calls).toBe(2);
  });

  it('keeps collecting the others when one fails, and logs a persistent fault once', async () => {
    const broken = countingSource('iostat', true);
    const vm = countingSource('vm_stat');
    const store = new PointStore();
    const telemetry = new AgentTelemetry();
    const { log, lines } = logLines();
    const c = new Collection([broken, vm], store, telemetry, log);
    for (let i = 0; i < 3; i++) {
      const statuses = await c.collectAll(i);
      expect(statuses).toEqual([
        { name: 'iostat', ok: false, points: 0, error: 'iostat not found on PATH', errorKind: 'missing' },
        { name: 'vm_stat', ok: true, points: 1 },
      ]);
    }
    expect(lines.filter((l) => l.msg === 'iostat not found on PATH')).toHaveLength(1);
    expect(telemetry.errorCount('iostat', 'missing')).toBe(3);
    expect(store.count('vm_stat')).toBe(1);
  });

  it('with a schedule, a source slower than the cycle delays neither the others nor the cycle, is not started twice, and its points come with the next cycle', async () => {
    let release: ((points: ReturnType<typeof point>[]) => void) | undefined;
    let slowCalls = 0;
    const slow: Source = {
      name: 'vm_stat',
      collect: () => {
        slowCalls++;
        return new Promise((resolve) => { release = resolve; });
      },
      async stop() {},
    };
    const fast = countingSource('sysctl');
    const store = new PointStore();
    const { log, lines } = logLines();
    const c = new Collection([slow, fast], store, new AgentTelemetry(), log, { cycleMs: 100, intervalOf: () => 100, waitMs: 30 });

    const t0 = performance.now();
    const first = await c.collectAll(0);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(first.map((s) => [s.name, s.ok, s.errorKind])).toEqual([['vm_stat', false, 'timeout'], ['sysctl', true, undefined]]);
    expect(first[0]!.error).toMatch(/^vm_stat is still collecting after \d+ ms; its points are exported with the first cycle after it finishes$/);
    expect([store.count('vm_stat'), store.count('sysctl')]).toEqual([0, 1]);

    const second = await c.collectAll(100);
    expect(second.map((s) => [s.name, s.ok])).toEqual([['vm_stat', false], ['sysctl', true]]);
    expect(slowCalls).toBe(1);
    expect(fast.calls).toBe(2);

    release!([point('memoryLimit', 42)]);
    await new Promise((r) => setImmediate(r));
    // Landed between cycles: the next export carries it once, and it is collected again.
    const third = await c.collectAll(200);
    expect(slowCalls).toBe(2);
    expect(third.map((s) => [s.name, s.ok])).toEqual([['vm_stat', false], ['sysctl', true]]);
    expect(lines.filter((l) => l.msg === 'vm_stat is slower than the cycle; the other sources and the export do not wait for it')).toHaveLength(1);
  });

  it('exports late points on the cycle after they land when the source is not due again', async () => {
    let release: ((points: ReturnType<typeof point>[]) => void) | undefined;
    const slow: Source = { name: 'sysctl', collect: () => new Promise((resolve) => { release = resolve; }), async stop() {} };
    const store = new PointStore();
    const c = new Collection([slow], store, new AgentTelemetry(), logLines().log, { cycleMs: 100, intervalOf: () => 1000, waitMs: 10 });
    await c.collectAll(0);
    release!([point('memoryLimit', 7)]);
    await new Promise((r) => setImmediate(r));
    expect(store.count('sysctl')).toBe(1);
    expect(await c.collectAll(100)).toEqual([]);
    expect(store.count('sysctl'), 'exported with the cycle after it landed').toBe(1);
    await c.collectAll(200);
    expect(store.count('sysctl'), 'and never repeated').toBe(0);
  });
});
