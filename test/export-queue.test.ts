import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { AggregationTemporality, DataPointType, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ValueType } from '@opentelemetry/api';
import { restoreBatch, type ExportBatch } from '../agent/export/batch.js';
import type { OtlpSender, SendResult } from '../agent/export/exporter.js';
import { ExportPipeline } from '../agent/export/pipeline.js';
import { ExportQueue, type DropReason } from '../agent/export/queue.js';
import { Spool } from '../agent/export/spool.js';
import { AgentTelemetry } from '../agent/telemetry.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'macos-agent-queue-'));
  dirs.push(d);
  return d;
}

/** A payload that gzip cannot shrink much, so byte bounds are predictable. */
function payload(seed: number, size = 2000): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

interface Harness {
  queue: ExportQueue;
  drops: [DropReason, number][];
  spoolErrors: Error[];
  clock: { now: number };
}

function makeQueue(dir: string, opts: { maxBytes?: number; maxAgeMs?: number; maxMemoryBytes?: number } = {}): Harness {
  const drops: [DropReason, number][] = [];
  const spoolErrors: Error[] = [];
  const clock = { now: 1_000_000 };
  const queue = new ExportQueue({
    spool: new Spool(dir),
    maxBytes: opts.maxBytes ?? 1e9,
    maxAgeMs: opts.maxAgeMs ?? 3_600_000,
    maxMemoryBytes: opts.maxMemoryBytes ?? 1e9,
    onDrop: (reason, points) => drops.push([reason, points]),
    onSpoolError: (e) => spoolErrors.push(e),
    onChange: () => undefined,
    now: () => clock.now,
  });
  return { queue, drops, spoolErrors, clock };
}

describe('ExportQueue', () => {
  it('spools every batch and gives them back in order, byte for byte, to the next run', async () => {
    const dir = stateDir();
    const { queue } = makeQueue(dir);
    for (const seq of [1, 2, 3]) queue.push(seq, 1_000_000 + seq, 10 * seq, payload(seq));
    await queue.settled();
    expect(readdirSync(join(dir, 'spool')).sort()).toEqual([
      '0000000000000001-1000001-10.json.gz', '0000000000000002-1000002-20.json.gz', '0000000000000003-1000003-30.json.gz',
    ]);
    expect(statSync(join(dir, 'spool')).mode & 0o777).toBe(0o700);

    const next = makeQueue(dir).queue;
    const loaded = await next.load();
    expect(loaded).toMatchObject({ batches: 3, points: 60, lastSeq: 3 });
    for (const seq of [1, 2, 3]) {
      const head = next.head()!;
      expect(head.seq).toBe(seq);
      expect(await next.payloadOf(head)).toEqual(Buffer.from(payload(seq)));
      next.remove(head);
    }
    await next.settled();
    expect(readdirSync(join(dir, 'spool'))).toEqual([]);
  });

  it('drops the oldest batches first when the byte bound is reached, and counts their points', async () => {
    const { queue, drops } = makeQueue(stateDir(), { maxBytes: 5 * 2100 });
    for (let seq = 1; seq <= 8; seq++) queue.push(seq, 1_000_000, 7, payload(seq));
    await queue.settled();
    expect(queue.size).toBe(5);
    expect(queue.head()!.seq).toBe(4);
    expect(drops).toEqual([['queue_full', 7], ['queue_full', 7], ['queue_full', 7]]);
  });

  it('never drops the batch being sent', () => {
    const { queue, drops } = makeQueue(stateDir(), { maxBytes: 2 * 2100 });
    queue.push(1, 1_000_000, 1, payload(1));
    queue.beginSend(queue.head()!);
    queue.push(2, 1_000_000, 2, payload(2));
    queue.push(3, 1_000_000, 3, payload(3));
    expect(queue.head()!.seq).toBe(1);
    expect(drops).toEqual([['queue_full', 2]]);
  });

  it('drops batches older than the age bound', () => {
    const { queue, drops, clock } = makeQueue(stateDir(), { maxAgeMs: 60_000 });
    queue.push(1, clock.now, 4, payload(1));
    clock.now += 30_000;
    queue.push(2, clock.now, 5, payload(2));
    clock.now += 40_000;
    expect(queue.head()!.seq).toBe(2);
    expect(drops).toEqual([['expired', 4]]);
  });

  it('keeps batches in memory, under its own bound, when the spool cannot be written', async () => {
    const dir = stateDir();
    writeFileSync(join(dir, 'spool'), 'a file where the spool folder should be');
    const { queue, drops, spoolErrors } = makeQueue(dir, { maxMemoryBytes: 3 * 2100 });
    for (let seq = 1; seq <= 5; seq++) {
      queue.push(seq, 1_000_000, 1, payload(seq));
      await queue.settled();
    }
    expect(spoolErrors.length).toBeGreaterThan(0);
    expect(queue.size).toBe(3);
    expect(drops).toEqual([['queue_full', 1], ['queue_full', 1]]);
    expect(await queue.payloadOf(queue.head()!)).toEqual(Buffer.from(payload(3)));
  });

  it('removes the temporary file of a write a crash interrupted, and leaves unknown files alone', async () => {
    const dir = stateDir();
    const spool = new Spool(dir);
    await spool.write({ seq: 5, createdAt: 1, points: 2 }, Spool.compress(payload(5)));
    writeFileSync(join(spool.dir, '0000000000000006-2-3.json.gz.tmp'), 'half');
    writeFileSync(join(spool.dir, 'notes.txt'), 'mine');
    const { entries, ignored } = await spool.load();
    expect(entries.map((e) => e.seq)).toEqual([5]);
    expect(ignored).toEqual(['notes.txt']);
    expect(readdirSync(spool.dir).sort()).toEqual(['0000000000000005-1-2.json.gz', 'notes.txt']);
  });
});

/** A sender whose answers the test controls, one pending send at a time. */
class ScriptedSender implements OtlpSender {
  readonly sent: number[] = [];
  pending: { batch: ExportBatch; resolve: (r: SendResult) => void }[] = [];

  send(batch: ExportBatch): Promise<SendResult> {
    this.sent.push(batchNumber(batch));
    return new Promise((resolve) => this.pending.push({ batch, resolve }));
  }

  answer(result: SendResult): void {
    this.pending.shift()!.resolve(result);
  }

  async shutdown(): Promise<void> {}
}

const OK: SendResult = { ok: true, rejectedPoints: 0 };
const DOWN: SendResult = { ok: false, message: 'connection refused', status: 'UNAVAILABLE', retryable: true };
const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until the pipeline has a send waiting for its answer. */
async function sendPending(sender: ScriptedSender): Promise<void> {
  for (let i = 0; sender.pending.length === 0; i++) {
    if (i > 500) throw new Error('no send started within 5 s');
    await tick(10);
  }
}

function makePipeline(dir: string): { pipeline: ExportPipeline; sender: ScriptedSender; queue: ExportQueue; telemetry: AgentTelemetry } {
  const sender = new ScriptedSender();
  const telemetry = new AgentTelemetry();
  let pipeline: ExportPipeline | undefined;
  const queue = new ExportQueue({
    spool: new Spool(dir), maxBytes: 1e9, maxAgeMs: 3_600_000, maxMemoryBytes: 1e9,
    onDrop: (r, n) => pipeline?.recordDrop(r, n), onSpoolError: () => undefined, onChange: () => undefined,
  });
  pipeline = new ExportPipeline({
    sender, queue, telemetry, log: pino({ level: 'silent' }), endpoint: 'http://collector:4317', spoolDir: dir,
    minBackoffMs: 20, maxBackoffMs: 40, timeoutMs: 100,
  });
  return { pipeline, sender, queue, telemetry };
}

/** A one-point batch whose value is its number. */
function batch(n: number): ExportBatch {
  const resourceMetrics: ResourceMetrics = {
    resource: resourceFromAttributes({ 'service.name': 'macos-agent' }),
    scopeMetrics: [{
      scope: { name: 'macos-agent' },
      metrics: [{
        descriptor: { name: 'batch.number', unit: '1', description: '', valueType: ValueType.DOUBLE },
        dataPointType: DataPointType.GAUGE,
        aggregationTemporality: AggregationTemporality.DELTA,
        dataPoints: [{ startTime: [1, 0], endTime: [1, 0], attributes: {}, value: n }],
      }],
    }],
  };
  return { resourceMetrics, points: 1 };
}

function batchNumber(b: ExportBatch): number {
  return b.resourceMetrics.scopeMetrics[0]!.metrics[0]!.dataPoints[0]!.value as number;
}

describe('ExportPipeline', () => {
  it('never waits for a slow send: later batches queue behind it and go out in order', async () => {
    const { pipeline, sender, queue } = makePipeline(stateDir());
    pipeline.submit(batch(1));
    pipeline.submit(batch(2));
    pipeline.submit(batch(3));
    expect(sender.sent).toEqual([1]);
    expect(queue.size).toBe(2);
    for (let i = 0; i < 3; i++) {
      await sendPending(sender);
      sender.answer(OK);
    }
    await tick(5);
    expect(sender.sent).toEqual([1, 2, 3]);
    expect(queue.size).toBe(0);
  });

  it('re-sends a failed batch before the ones queued behind it, after a backoff', async () => {
    const { pipeline, sender, queue, telemetry } = makePipeline(stateDir());
    pipeline.submit(batch(1));
    pipeline.submit(batch(2));
    sender.answer(DOWN);
    await tick(5);
    expect(queue.size).toBe(2);
    expect(queue.head()!.seq).toBe(1);
    await sendPending(sender);
    expect(sender.sent).toEqual([1, 1]);
    sender.answer(OK);
    await sendPending(sender);
    sender.answer(OK);
    await tick(5);
    expect(sender.sent).toEqual([1, 1, 2]);
    const exports = telemetry.points().filter((p) => p.metric === 'exportRequests');
    expect(Object.fromEntries(exports.map((p) => [p.attributes['macos.agent.export.outcome'], p.value]))).toEqual({ retry: 1, success: 2 });
  });

  it('counts every dropped point and logs a drop episode once, however many batches it takes', () => {
    const lines: string[] = [];
    const telemetry = new AgentTelemetry();
    const pipeline = new ExportPipeline({
      sender: new ScriptedSender(), queue: makeQueue(stateDir()).queue, telemetry,
      log: pino({ level: 'info' }, { write: (line: string) => { lines.push(line); } }),
      endpoint: 'http://collector:4317', spoolDir: '/state/spool', minBackoffMs: 20, maxBackoffMs: 40, timeoutMs: 100,
    });
    for (let i = 0; i < 5; i++) pipeline.recordDrop('queue_full', 30);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('exporter.queue.max_bytes');
    const dropped = telemetry.points().filter((p) => p.metric === 'exportDroppedPoints');
    expect(dropped).toEqual([{ metric: 'exportDroppedPoints', value: 150, attributes: { 'macos.agent.drop_reason': 'queue_full' } }]);
  });

  it('at shutdown, spools the batch whose send has not finished, so the next run sends it', async () => {
    const dir = stateDir();
    const { pipeline, sender } = makePipeline(dir);
    pipeline.submit(batch(9));
    expect(sender.sent).toEqual([9]);
    await pipeline.flush(Date.now() + 50);
    const { entries } = await new Spool(dir).load();
    expect(entries.map((e) => e.seq)).toEqual([1]);
    expect(batchNumber(restoreBatch(await new Spool(dir).read(entries[0]!)))).toBe(9);
  });
});
