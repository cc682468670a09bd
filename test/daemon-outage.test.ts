import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep, until } from './otlp/agent-process.js';
import { cyclesByRun, duplicates, largestGapMs, pointsNamed, startAgent } from './otlp/daemon.js';
import { OtlpReceiver, pointsOf, type ReceivedRequest } from './otlp/receiver.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const ms = (t: bigint): number => Number(t / 1_000_000n);

/**
 * The outage lasts MACOS_AGENT_TEST_OUTAGE_MS: a few seconds in `npm test`, the full minute in
 * `npm run check`. The agent restarts halfway through.
 */
function outageMs(value = process.env['MACOS_AGENT_TEST_OUTAGE_MS']): number {
  if (value === undefined) return 6000;
  if (!/^[0-9]+$/.test(value) || Number(value) < 2000) throw new Error(`MACOS_AGENT_TEST_OUTAGE_MS=${value}: give the outage length in milliseconds, at least 2000`);
  return Number(value);
}

const OUTAGE_MS = outageMs();
/** The interval startAgent() collects and exports at. */
const CYCLE_MS = 200;

describe(`a ${OUTAGE_MS / 1000}-second collector outage with an agent restart in the middle`, () => {
  it('loses no point and sends none twice', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'macos-agent-state-'));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const requests: ReceivedRequest[] = [];
    const first = await OtlpReceiver.start({}, requests);
    const port = first.port;
    const endpoint = `http://127.0.0.1:${port}`;

    const run1 = startAgent(endpoint, { stateDir });
    cleanups.push(run1.cleanup);
    await until(() => requests.length >= 3, 15_000, 'the first exports');
    first.kill();
    const outageStart = Date.now();
    await sleep(OUTAGE_MS / 2);
    const sigterm = Date.now();
    const stopped = await run1.agent.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(5000);
    const spooledLine = await run1.agent.waitForLog('undelivered batches are spooled for the next start');
    // At least two thirds of the cycles of the first half of the outage.
    expect(spooledLine['queued_batches']).toBeGreaterThan((OUTAGE_MS / 2 / CYCLE_MS) * 2 / 3);

    const run2 = startAgent(endpoint, { stateDir });
    cleanups.push(run2.cleanup);
    const resumed = await run2.agent.waitForLog('spooled by a previous run');
    expect(resumed['batches']).toBe(spooledLine['queued_batches']);
    await sleep(Math.max(0, outageStart + OUTAGE_MS - Date.now()));
    const second = await OtlpReceiver.start({ port }, requests);
    cleanups.push(() => second.kill());
    await run2.agent.waitForLog('export queue drained', 20_000);
    await sleep(400);
    expect((await run2.agent.stop()).code).toBe(0);

    const points = requests.filter((r) => !r.cancelled && r.answer.kind === 'ok').flatMap((r) => pointsOf(r.request));
    const runs = [...cyclesByRun(points).entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, cycles]) => cycles);
    expect(runs).toHaveLength(2);
    const [cycles1, cycles2] = runs as [bigint[], bigint[]];
    const all = [...cycles1, ...cycles2];
    expect(duplicates(all)).toEqual([]);
    // Every cycle of each run arrived: a lost batch would leave a gap of at least two intervals.
    expect(largestGapMs(cycles1)).toBeLessThan(1000);
    expect(largestGapMs(cycles2)).toBeLessThan(1000);
    // Run 1 delivered up to its last collection, taken at SIGTERM, halfway through the outage.
    expect(ms(cycles1.at(-1)!)).toBeGreaterThan(sigterm - 500);
    expect(ms(cycles1[0]!)).toBeLessThan(outageStart);
    expect(ms(cycles2.at(-1)!)).toBeGreaterThan(outageStart + OUTAGE_MS);
    // The spooled batches of run 1 went out before any of run 2, each run's in order.
    const arrival = requests.filter((r) => r.answer.kind === 'ok' && !r.cancelled)
      .flatMap((r) => pointsNamed(pointsOf(r.request), 'process.memory.usage').map((p) => p.timeUnixNano));
    expect(arrival).toEqual(all);
    expect(pointsNamed(points, 'macos.agent.export.dropped_points')).toEqual([]);
  }, OUTAGE_MS + 40_000);
});
