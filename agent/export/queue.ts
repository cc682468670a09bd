import { Spool, type SpoolEntry } from './spool.js';

export type DropReason = 'queue_full' | 'expired' | 'rejected' | 'unreadable';

export interface QueuedBatch extends SpoolEntry {
  /** The gzipped payload while it is not (yet) safely on disk. */
  compressed: Buffer | undefined;
  onDisk: boolean;
}

export interface ExportQueueOptions {
  readonly spool: Spool;
  /** Bound on the queued batches' stored (gzipped) size, memory and disk together. */
  readonly maxBytes: number;
  /** Batches older than this are dropped. */
  readonly maxAgeMs: number;
  /** Bound on payloads held in memory, for batches the spool could not take. */
  readonly maxMemoryBytes: number;
  readonly onDrop: (reason: DropReason, points: number) => void;
  readonly onSpoolError: (error: Error) => void;
  readonly onChange: () => void;
  readonly now?: () => number;
}

/**
 * Export batches waiting to be (re-)sent, oldest first. Every batch is written to the spool as it
 * arrives and its payload is then released from memory, so the queue's memory is its index only;
 * if the spool cannot be written, payloads stay in memory under a smaller bound. When a bound is
 * reached the oldest batches go first (never the one being sent), and every dropped point is
 * reported through onDrop.
 */
export class ExportQueue {
  readonly #o: ExportQueueOptions;
  readonly #now: () => number;
  readonly #batches: QueuedBatch[] = [];
  #bytes = 0;
  #memoryBytes = 0;
  #sending: number | undefined;
  /** Disk operations run one after another, so a file is never removed before it is written. */
  #disk: Promise<void> = Promise.resolve();

  constructor(opts: ExportQueueOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.#batches.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get points(): number {
    return this.#batches.reduce((n, b) => n + b.points, 0);
  }

  /** Takes back what a previous run spooled; returns the highest sequence number seen. */
  async load(): Promise<{ batches: number; points: number; lastSeq: number; ignored: string[] }> {
    const { entries, ignored } = await this.#o.spool.load();
    for (const e of entries) this.#insert({ ...e, compressed: undefined, onDisk: true });
    this.#enforceBounds();
    this.#o.onChange();
    return { batches: this.size, points: this.points, lastSeq: entries.at(-1)?.seq ?? 0, ignored };
  }

  /** Queues a batch (in sequence order) and spools it. */
  push(seq: number, createdAt: number, points: number, payload: Uint8Array): void {
    const compressed = Spool.compress(payload);
    const batch: QueuedBatch = { seq, createdAt, points, bytes: compressed.length, compressed, onDisk: false };
    this.#insert(batch);
    this.#memoryBytes += batch.bytes;
    this.#enforceBounds();
    this.#o.onChange();
    this.#onDisk(async () => {
      if (!this.#batches.includes(batch)) return;
      try {
        await this.#o.spool.write(batch, compressed);
        batch.onDisk = true;
        this.#release(batch);
      } catch (error) {
        this.#o.onSpoolError(error as Error);
        this.#enforceBounds();
      }
    });
  }

  head(): QueuedBatch | undefined {
    this.#expire();
    return this.#batches[0];
  }

  /** Marks the batch as being sent: bounds never drop it while the send is under way. */
  beginSend(batch: QueuedBatch): void {
    this.#sending = batch.seq;
  }

  endSend(): void {
    this.#sending = undefined;
  }

  async payloadOf(batch: QueuedBatch): Promise<Uint8Array> {
    if (batch.compressed !== undefined) return Spool.decompress(batch.compressed);
    return this.#o.spool.read(batch);
  }

  /** Removes a batch that was delivered (or rejected for good). */
  remove(batch: QueuedBatch): void {
    const i = this.#batches.indexOf(batch);
    if (i < 0) return;
    this.#batches.splice(i, 1);
    this.#forget(batch);
    this.#o.onChange();
  }

  /** Drops a batch the collector refused for good, counting its points. */
  reject(batch: QueuedBatch): void {
    this.remove(batch);
    this.#o.onDrop('rejected', batch.points);
  }

  /** Resolves once every pending spool write and removal is done. */
  async settled(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.#disk;
      await current;
    } while (current !== this.#disk);
  }

  #onDisk(op: () => Promise<void>): void {
    this.#disk = this.#disk.then(op, op);
  }

  #insert(batch: QueuedBatch): void {
    let i = this.#batches.length;
    while (i > 0 && this.#batches[i - 1]!.seq > batch.seq) i--;
    this.#batches.splice(i, 0, batch);
    this.#bytes += batch.bytes;
  }

  #release(batch: QueuedBatch): void {
    if (batch.compressed === undefined) return;
    this.#memoryBytes -= batch.bytes;
    batch.compressed = undefined;
  }

  #forget(batch: QueuedBatch): void {
    this.#bytes -= batch.bytes;
    this.#release(batch);
    this.#onDisk(async () => {
      await this.#o.spool.remove(batch).catch((error: unknown) => this.#o.onSpoolError(error as Error));
    });
  }

  #dropOldest(reason: DropReason, shouldDrop: (b: QueuedBatch) => boolean): void {
    for (let i = 0; i < this.#batches.length;) {
      const b = this.#batches[i]!;
      if (b.seq === this.#sending || !shouldDrop(b)) {
        i++;
        continue;
      }
      this.#batches.splice(i, 1);
      this.#forget(b);
      this.#o.onDrop(reason, b.points);
    }
  }

  #expire(): void {
    const oldest = this.#now() - this.#o.maxAgeMs;
    const before = this.size;
    this.#dropOldest('expired', (b) => b.createdAt < oldest);
    if (this.size !== before) this.#o.onChange();
  }

  #enforceBounds(): void {
    this.#expire();
    this.#dropOldest('queue_full', () => this.#bytes > this.#o.maxBytes);
    this.#dropOldest('queue_full', (b) => b.compressed !== undefined && !b.onDisk && this.#memoryBytes > this.#o.maxMemoryBytes);
  }
}
