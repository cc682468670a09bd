import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { effectiveUid, readRegularFile, writeFileNoFollow } from '../file-safety.js';

// One file per export batch, under STATE_DIR/spool, named so that a directory listing alone
// gives back the queue: `<sequence>-<created ms>-<points>.json.gz`. The sequence orders the
// batches; the creation time enforces the age bound; the point count is what a dropped batch
// counts as. The content is the batch's ResourceMetrics as JSON (export/batch.ts: storeBatch),
// which OTLPMetricExporter sends again once restored, gzipped (metric batches compress about
// tenfold, so the byte bound holds ten times more history).

export interface SpoolEntry {
  readonly seq: number;
  readonly createdAt: number;
  readonly points: number;
  /** Size on disk (gzipped). */
  readonly bytes: number;
}

const NAME = /^(\d{16})-(\d+)-(\d+)\.json\.gz$/;

/**
 * Bounds on one spooled batch, on disk and decompressed: far above a cycle's batch (kilobytes),
 * far below what would hurt the daemon. A file beyond them (a gzip bomb) is moved aside.
 */
export const MAX_SPOOL_FILE_BYTES = 64 * 1024 * 1024;
export const MAX_BATCH_BYTES = 64 * 1024 * 1024;

/** A spool file the agent will not read (a link, another account's file, too large, not gzip): it was renamed to `*.bad`. */
export class BadSpoolFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BadSpoolFileError';
  }
}

function fileName(e: Pick<SpoolEntry, 'seq' | 'createdAt' | 'points'>): string {
  return `${String(e.seq).padStart(16, '0')}-${e.createdAt}-${e.points}.json.gz`;
}

export class Spool {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'spool');
  }

  /** The batches a previous run left behind, oldest first, and files that are not batches. */
  async load(): Promise<{ entries: SpoolEntry[]; ignored: string[] }> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], ignored: [] };
      throw error;
    }
    const entries: SpoolEntry[] = [];
    const ignored: string[] = [];
    for (const name of names) {
      const m = NAME.exec(name);
      if (!m) {
        // A `.tmp` file is a write that a crash interrupted: never renamed, never a batch.
        if (name.endsWith('.tmp')) await rm(join(this.dir, name), { force: true });
        else ignored.push(name);
        continue;
      }
      const st = await lstat(join(this.dir, name));
      if (!st.isFile() || st.uid !== effectiveUid()) {
        // Never read, and out of the listing for good: a link or a planted file is not a batch.
        await this.#moveAside(name);
        ignored.push(`${name}.bad (${st.isFile() ? `owned by uid ${st.uid}` : 'not a regular file'})`);
        continue;
      }
      entries.push({ seq: Number(m[1]), createdAt: Number(m[2]), points: Number(m[3]), bytes: st.size });
    }
    entries.sort((a, b) => a.seq - b.seq);
    return { entries, ignored };
  }

  /** Compresses a batch as it will be stored; its length is what the queue's byte bound counts. */
  static compress(payload: Uint8Array): Buffer {
    return gzipSync(payload, { level: 6 });
  }

  /** Throws (RangeError) when the batch would decompress beyond MAX_BATCH_BYTES. */
  static decompress(compressed: Uint8Array): Buffer {
    return gunzipSync(compressed, { maxOutputLength: MAX_BATCH_BYTES });
  }

  /**
   * Writes atomically and never through a link (an exclusive, no-follow temporary file, then
   * rename), readable by the agent's user only.
   */
  async write(entry: Pick<SpoolEntry, 'seq' | 'createdAt' | 'points'>, compressed: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileNoFollow(join(this.dir, fileName(entry)), compressed, 0o600);
  }

  /**
   * Reads a batch back: a regular file of the agent's own, of bounded size, decompressed to a
   * bounded size. A file that fails any of that is renamed to `*.bad` once and a
   * BadSpoolFileError thrown, so it is never tried again.
   */
  async read(entry: SpoolEntry): Promise<Uint8Array> {
    const name = fileName(entry);
    try {
      const compressed = await readRegularFile(join(this.dir, name), { what: 'spool file', maxBytes: MAX_SPOOL_FILE_BYTES, ownerUid: effectiveUid() });
      return Spool.decompress(compressed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
      await this.#moveAside(name);
      throw new BadSpoolFileError(`spool file ${join(this.dir, name)} is unusable (${(error as Error).message}); moved aside to ${name}.bad`, { cause: error });
    }
  }

  async #moveAside(name: string): Promise<void> {
    await rename(join(this.dir, name), join(this.dir, `${name}.bad`));
  }

  async remove(entry: Pick<SpoolEntry, 'seq' | 'createdAt' | 'points'>): Promise<void> {
    await rm(join(this.dir, fileName(entry)), { force: true });
  }
}
