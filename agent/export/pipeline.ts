import type { Logger } from 'pino';
import type { AgentTelemetry } from '../telemetry.js';
import { restoreBatch, storeBatch, type ExportBatch } from './batch.js';
import type { OtlpSender, SendResult } from './exporter.js';
import type { DropReason, ExportQueue, QueuedBatch } from './queue.js';

export interface ExportPipelineOptions {
  readonly sender: OtlpSender;
  readonly queue: ExportQueue;
  readonly telemetry: AgentTelemetry;
  readonly log: Logger;
  /** For log lines: where the batches go and where they wait. */
  readonly endpoint: string;
  readonly spoolDir: string;
  /** First wait after a failed send; doubles per failure up to maxBackoffMs. */
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  /**
   * The exporter's timeout. A collector that answered too late may still have taken the batch, and
   * may still be busy with it: after a timeout the wait starts at twice this long and doubles up to
   * 8 times it (or maxBackoffMs, if longer), so a slow collector is not sent the batch again while
   * it is still working on the last copy, and gets fewer copies the longer it stays slow.
   */
  readonly timeoutMs: number;
  readonly now?: () => number;
}

interface Outage {
  readonly since: number;
  failures: number;
  status: string;
}

interface InFlight {
  readonly seq: number;
  readonly createdAt: number;
  readonly batch: ExportBatch;
  /** A fresh batch is not in the queue while its first send is under way. */
  readonly queued: QueuedBatch | undefined;
  /** Set when shutdown spooled a fresh batch whose send had not finished. */
  spooled?: boolean;
}

const DROP_CAUSES: Record<DropReason, string> = {
  queue_full: 'the export queue reached exporter.queue.max_bytes — the oldest batches go first; raise exporter.queue.max_bytes to keep a longer outage',
  expired: 'queued batches grew older than exporter.queue.max_age',
  rejected: 'the collector rejected them',
  unreadable: 'a spooled batch could not be read back from disk',
};

/**
 * Sends each cycle's batch to the collector, one request at a time and in order. A fresh batch
 * goes straight out when nothing is waiting; otherwise, and whenever a send fails, it waits in the
 * queue (spooled to disk) and is re-sent after a backoff, oldest first. A batch leaves the queue
 * only once the collector accepted it, so a crash between the answer and the removal can send it
 * twice (at-least-once delivery). `submit` never waits for the network: a slow or absent
 * collector never holds up collection.
 */
export class ExportPipeline {
  readonly #o: ExportPipelineOptions;
  readonly #now: () => number;
  #seq = 0;
  #inFlight: InFlight | undefined;
  #pumping: Promise<void> | undefined;
  #backoffTimer: NodeJS.Timeout | undefined;
  #backoffMs: number;
  #outage: Outage | undefined;
  #resent = { batches: 0, points: 0 };
  readonly #drops = new Map<DropReason, number>();
  #spoolFailing = false;
  readonly #refusalsLogged = new Set<string>();
  #closed = false;

  constructor(opts: ExportPipelineOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.#backoffMs = opts.minBackoffMs;
  }

  /** Sequence numbers continue after the batches a previous run spooled, so those go first. */
  resumeAfter(seq: number): void {
    this.#seq = Math.max(this.#seq, seq);
  }

  /** What the queue reports as dropped; logged once when an episode starts and once when it ends. */
  recordDrop(reason: DropReason, points: number): void {
    this.#o.telemetry.recordDroppedPoints(reason, points);
    const before = this.#drops.get(reason);
    this.#drops.set(reason, (before ?? 0) + points);
    if (before === undefined) {
      this.#o.log.warn({ reason, points }, `dropping export data: ${DROP_CAUSES[reason]}; counted in macos.agent.export.dropped_points`);
    }
  }

  recordSpoolError(error: Error): void {
    if (this.#spoolFailing) return;
    this.#spoolFailing = true;
    this.#o.log.error({ dir: this.#o.spoolDir, err: error.message },
      `cannot write the export spool in ${this.#o.spoolDir}: ${error.message} — queued batches stay in memory only (a smaller bound, lost on restart); make state_dir writable by the agent`);
  }

  submit(batch: ExportBatch): void {
    if (this.#closed) return;
    const seq = ++this.#seq;
    const createdAt = this.#now();
    if (this.#idle() && this.#o.queue.size === 0) {
      this.#start(() => this.#sendFresh({ seq, createdAt, batch, queued: undefined }));
      return;
    }
    this.#queue(seq, createdAt, batch);
    this.#kick();
  }

  /** Starts sending what the queue holds (the previous run's spool, at start). */
  kick(): void {
    this.#kick();
  }

  /**
   * At shutdown: sends what it can before the deadline (skipping any backoff), then makes sure
   * everything undelivered is on disk for the next start.
   */
  async flush(deadline: number): Promise<void> {
    this.#closed = true;
    this.#cancelBackoff();
    const work = (async () => {
      while (this.#now() < deadline) {
        if (this.#pumping) await this.#pumping;
        else if (this.#o.queue.size > 0 && this.#outage === undefined) this.#start(() => this.#pump());
        else break;
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([work, new Promise<void>((r) => { timer = setTimeout(r, Math.max(0, deadline - this.#now())); })]);
    clearTimeout(timer);
    this.#cancelBackoff();
    const pending = this.#inFlight;
    if (pending !== undefined && pending.queued === undefined) {
      pending.spooled = true;
      this.#queue(pending.seq, pending.createdAt, pending.batch);
    }
    await this.#o.queue.settled();
  }

  #queue(seq: number, createdAt: number, batch: ExportBatch): void {
    this.#o.queue.push(seq, createdAt, batch.points, storeBatch(batch.resourceMetrics));
  }

  #idle(): boolean {
    return this.#pumping === undefined && this.#backoffTimer === undefined;
  }

  #kick(): void {
    if (!this.#idle() || this.#closed || this.#o.queue.size === 0) return;
    this.#start(() => this.#pump());
  }

  /** Runs one sending task; when it ends, goes on with the queue or waits out a backoff after a failure. */
  #start(work: () => Promise<boolean>): void {
    const guarded = work().catch((error: unknown) => {
      this.#o.log.error({ err: (error as Error).message }, `export failed unexpectedly: ${(error as Error).message}; retrying after a backoff`);
      return false;
    });
    this.#pumping = guarded.then((ok) => {
      this.#pumping = undefined;
      if (this.#closed) return;
      if (ok) this.#kick();
      else this.#scheduleRetry();
    });
  }

  async #sendFresh(f: InFlight): Promise<boolean> {
    const ok = await this.#attempt(f);
    if (!ok && f.spooled !== true) this.#queue(f.seq, f.createdAt, f.batch);
    return ok;
  }

  /** Sends the queue, oldest first, until it is empty (true) or a send fails (false). */
  async #pump(): Promise<boolean> {
    let ok = true;
    for (;;) {
      const head = this.#o.queue.head();
      if (head === undefined) break;
      let batch: ExportBatch;
      try {
        batch = restoreBatch(await this.#o.queue.payloadOf(head));
      } catch (error) {
        this.#o.log.error({ seq: head.seq, err: (error as Error).message }, `spooled export batch ${head.seq} cannot be read back: ${(error as Error).message}; dropping it`);
        this.#o.queue.remove(head);
        this.recordDrop('unreadable', head.points);
        continue;
      }
      this.#o.queue.beginSend(head);
      ok = await this.#attempt({ seq: head.seq, createdAt: head.createdAt, batch, queued: head });
      this.#o.queue.endSend();
      if (!ok) break;
      this.#resent.batches++;
      this.#resent.points += head.points;
    }
    if (ok && this.#resent.batches > 0 && this.#o.queue.size === 0) this.#drained();
    return ok;
  }

  /** One send; returns whether the batch is done with (delivered, or rejected for good). */
  async #attempt(f: InFlight): Promise<boolean> {
    this.#inFlight = f;
    let result: SendResult;
    try {
      result = await this.#o.sender.send(f.batch);
    } catch (error) {
      result = { ok: false, status: 'ERROR', message: (error as Error).message, retryable: true };
    }
    this.#inFlight = undefined;
    if (result.ok) {
      this.#o.telemetry.recordExport('success');
      if (f.queued) this.#o.queue.remove(f.queued);
      this.#recovered();
      if (result.rejectedPoints > 0) {
        this.recordDrop('rejected', result.rejectedPoints);
        this.#o.log.debug({ rejected: result.rejectedPoints, message: result.rejectMessage }, 'collector accepted the batch in part');
      } else {
        this.#endDropEpisode('rejected');
      }
      return true;
    }
    if (!result.retryable) {
      this.#o.telemetry.recordExport('failure');
      this.#refused(result, f.batch.points);
      if (f.queued) this.#o.queue.reject(f.queued);
      else this.recordDrop('rejected', f.batch.points);
      return true;
    }
    this.#o.telemetry.recordExport('retry');
    this.#failed(result);
    return false;
  }

  /** A refusal no retry changes is a configuration error: logged once per status, with its fix. */
  #refused(result: Extract<SendResult, { ok: false }>, points: number): void {
    const level = this.#refusalsLogged.has(result.status) ? 'debug' : 'error';
    this.#refusalsLogged.add(result.status);
    this.#o.log[level]({ status: result.status, points },
      `collector refused a batch ${result.refusal?.as ?? 'for good'} (${result.status}): ${result.message}; its ${points} points are dropped, counted as rejected in macos.agent.export.dropped_points — ${result.refusal?.fix ?? 'see the collector\'s log'}`);
  }

  #failed(result: Extract<SendResult, { ok: false }>): void {
    const status = result.status;
    if (this.#outage === undefined) {
      this.#outage = { since: this.#now(), failures: 1, status };
      this.#o.log.warn({ endpoint: this.#o.endpoint, status },
        `export to ${this.#o.endpoint} failed (${status}): ${result.message} — batches are kept (spooled to ${this.#o.spoolDir}) and re-sent in order when the collector answers; logging again when it recovers`);
      return;
    }
    this.#outage.failures++;
    if (this.#outage.status !== status) {
      this.#outage.status = status;
      this.#o.log.debug({ status, message: result.message }, 'export still failing, with a different error');
    }
  }

  #recovered(): void {
    this.#backoffMs = this.#o.minBackoffMs;
    const outage = this.#outage;
    if (outage === undefined) return;
    this.#outage = undefined;
    this.#o.log.info({
      endpoint: this.#o.endpoint,
      failed_attempts: outage.failures,
      outage_seconds: Math.round((this.#now() - outage.since) / 100) / 10,
      queued_batches: this.#o.queue.size,
      queued_points: this.#o.queue.points,
    }, `export to ${this.#o.endpoint} recovered after ${outage.failures} failed attempts; re-sending the queued batches in order`);
  }

  #drained(): void {
    this.#o.log.info({ batches: this.#resent.batches, points: this.#resent.points }, 'export queue drained: every queued batch was delivered');
    this.#resent = { batches: 0, points: 0 };
    this.#endDropEpisode('queue_full');
    this.#endDropEpisode('expired');
  }

  #endDropEpisode(reason: DropReason): void {
    const points = this.#drops.get(reason);
    if (points === undefined) return;
    this.#drops.delete(reason);
    this.#o.log.info({ reason, points }, `${points} points were dropped (${reason}) in this episode`);
  }

  #scheduleRetry(): void {
    if (this.#closed) return;
    const timedOut = this.#outage?.status === 'DEADLINE_EXCEEDED';
    const wait = timedOut ? Math.max(this.#backoffMs, 2 * this.#o.timeoutMs) : this.#backoffMs;
    this.#backoffMs = Math.min(wait * 2, timedOut ? Math.max(this.#o.maxBackoffMs, 8 * this.#o.timeoutMs) : this.#o.maxBackoffMs);
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      this.#kick();
    }, wait);
  }

  #cancelBackoff(): void {
    clearTimeout(this.#backoffTimer);
    this.#backoffTimer = undefined;
  }
}
