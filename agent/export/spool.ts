import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

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
      const { size } = await stat(join(this.dir, name));
      entries.push({ seq: Number(m[1]), createdAt: Number(m[2]), points: Number(m[3]), bytes: size });
    }
    entries.sort((a, b) => a.seq - b.seq);
    return { entries, ignored };
  }

  /** Compresses a batch as it will be stored; its length is what the queue's byte bound counts. */
  static compress(payload: Uint8Array): Buffer {
    return gzipSync(payload, { level: 6 });
  }

  static decompress(compressed: Uint8Array): Buffer {
    return gunzipSync(compressed);
  }

  /** Writes atomically (temporary file, then rename), readable by the agent's user only. */
  async write(entry: Pick<SpoolEntry, 'seq' | 'createdAt' | 'points'>, compressed: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, fileName(entry));
    await writeFile(`${path}.tmp`, compressed, { mode: 0o600 });
    await rename(`${path}.tmp`, path);
  }

  async read(entry: SpoolEntry): Promise<Uint8Array> {
    return gunzipSync(await readFile(join(this.dir, fileName(entry))));
  }

  async remove(entry: Pick<SpoolEntry, 'seq' | 'createdAt' | 'points'>): Promise<void> {
    await rm(join(this.dir, fileName(entry)), { force: true });
  }
}
