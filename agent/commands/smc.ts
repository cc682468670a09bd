import { dumpJson, formatDumpText, readFullDump } from '../smc/dump.js';
import { openSmc } from '../sources/smc.js';
import { SourceError } from '../sources/source.js';
import { EXIT_NO_DATA, EXIT_OK } from '../exit-codes.js';

export interface SmcDumpOptions {
  /** Read DIR/smc.txt instead of the live SMC. */
  readonly replayDir?: string | undefined;
  readonly json: boolean;
  readonly write: (text: string) => void;
  readonly writeError: (text: string) => void;
  /** The addon to load instead of build/Release/smc.node (tests). */
  readonly addonPath?: string | undefined;
}

/**
 * `macos-agent smc dump [--json]`: every key the SMC lists, with type, size, raw bytes and
 * decoded value. Exit 0, or 3 when there is no SMC to read (as `--once` with no data).
 */
export async function runSmcDump(opts: SmcDumpOptions): Promise<number> {
  let backend;
  try {
    backend = await openSmc({ replayDir: opts.replayDir }, { addonPath: opts.addonPath });
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    opts.writeError(`macos-agent smc dump: ${error.message}\n`);
    return EXIT_NO_DATA;
  }
  try {
    const dump = readFullDump(backend);
    opts.write(opts.json ? `${JSON.stringify(dumpJson(dump), null, 2)}\n` : formatDumpText(dump));
    return EXIT_OK;
  } finally {
    backend.close();
  }
}
