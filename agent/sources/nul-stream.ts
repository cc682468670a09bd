// powermetrics writes each sample as a plist document followed by a NUL byte. This splits its
// stdout into documents as the bytes arrive, holding at most one document's worth of bytes.

export interface NulDocumentSplitterOptions {
  /** A document longer than this is dropped, and bytes are skipped until the next NUL. */
  readonly maxDocumentBytes: number;
  /** Called with each complete document (UTF-8 text, blank separators skipped). */
  readonly onDocument: (text: string) => void;
  /** Called once per dropped document, as soon as it is known to be too long. */
  readonly onOversize: (bytesSeen: number) => void;
}

export class NulDocumentSplitter {
  readonly #opts: NulDocumentSplitterOptions;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Inside an oversize document: bytes are skipped up to the next NUL. */
  #discarding = false;

  constructor(opts: NulDocumentSplitterOptions) {
    this.#opts = opts;
  }

  /** Bytes held for the document in progress. */
  get bufferedBytes(): number {
    return this.#pendingBytes;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nul = chunk.indexOf(0, start);
      const end = nul === -1 ? chunk.length : nul;
      if (nul !== -1 && this.#pendingBytes === 0 && !this.#discarding && end - start <= this.#opts.maxDocumentBytes) {
        // A whole document in one chunk (a pipe read is up to 64 KiB): decoded in place, not copied first.
        this.#emit(chunk.toString('utf8', start, end));
      } else {
        this.#take(chunk.subarray(start, end));
        if (nul === -1) return;
        this.#finishDocument();
      }
      start = nul + 1;
    }
  }

  /**
   * The stream ended: what is left is a last document without its NUL (files saved without the
   * final NUL), or the cut-off start of one; either way the parser decides.
   */
  end(): void {
    this.#finishDocument();
  }

  /** Forgets a partial document, e.g. when the child writing it was replaced. */
  reset(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#discarding = false;
  }

  #take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.#discarding) return;
    if (this.#pendingBytes + bytes.length > this.#opts.maxDocumentBytes) {
      const seen = this.#pendingBytes + bytes.length;
      this.#discarding = true;
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#opts.onOversize(seen);
      return;
    }
    // The chunk's memory belongs to the stream; copy only what is kept past this call.
    this.#pending.push(Buffer.from(bytes));
    this.#pendingBytes += bytes.length;
  }

  #finishDocument(): void {
    if (this.#discarding) {
      this.#discarding = false;
      return;
    }
    if (this.#pendingBytes === 0) return;
    const bytes = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#emit(bytes.toString('utf8'));
  }

  #emit(text: string): void {
    if (text.trim() !== '') this.#opts.onDocument(text);
  }
}

/** Splits a whole NUL-separated stream (a replay file) into its documents. */
export function splitNulDocuments(data: Buffer | string, maxDocumentBytes: number, onOversize: (bytesSeen: number) => void): string[] {
  const documents: string[] = [];
  const splitter = new NulDocumentSplitter({ maxDocumentBytes, onDocument: (d) => documents.push(d), onOversize });
  splitter.push(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  splitter.end();
  return documents;
}
