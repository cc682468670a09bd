import { constants } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, type AgentConfig } from '../config.js';
import { runCommand } from '../sources/run-command.js';
import { SOURCE_MODULES } from '../sources/registry.js';

export interface CaptureOptions {
  readonly config: AgentConfig;
  readonly dir: string;
  readonly log: Logger;
  readonly write: (text: string) => void;
}

/** What identifies the machine in a bundle, beside each source's own file. */
const MACHINE_FILES = [
  { file: 'sw_vers.txt', command: 'sw_vers', args: [] as string[] },
  { file: 'hw.txt', command: 'sysctl', args: ['hw.model', 'machdep.cpu.brand_string'] },
];

/**
 * `macos-agent capture DIR`: runs each source's command once, exactly as the source runs it, and
 * saves the raw output under the name `--replay` reads. Returns 0 when every file was written.
 * DIR must not exist: the bundle goes into a folder this run creates, so no file in it can be a
 * link planted beforehand (capture often runs as root). Throws ConfigError when DIR exists.
 */
export async function runCapture(opts: CaptureOptions): Promise<number> {
  await mkdir(dirname(opts.dir), { recursive: true });
  try {
    await mkdir(opts.dir, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new ConfigError(`capture folder ${opts.dir} exists already: capture writes only into a new folder it creates — name one that does not exist yet (e.g. ${opts.dir}-${new Date().toISOString().slice(0, 10)})`);
  }
  const ctx = { config: opts.config, mode: 'once' as const, log: opts.log };
  let failures = 0;
  const record = async (file: string, produce: () => Promise<string>): Promise<void> => {
    try {
      const text = await produce();
      await writeFile(join(opts.dir, file), text, { flag: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode: 0o644 });
      opts.write(`wrote ${join(opts.dir, file)} (${Buffer.byteLength(text)} bytes)\n`);
    } catch (error) {
      failures++;
      opts.write(`skipped ${file}: ${(error as Error).message}\n`);
    }
  };
  for (const m of SOURCE_MODULES) {
    await record(m.replayFile, () => m.capture(ctx));
    for (const also of m.alsoCaptured ?? []) await record(also.file, () => also.capture(ctx));
  }
  for (const f of MACHINE_FILES) {
    await record(f.file, () => runCommand({ source: 'sysctl', command: f.command, args: f.args, timeoutMs: 5000, replayFile: f.file }));
  }
  opts.write(failures === 0
    ? `capture complete: attach ${opts.dir} to your issue, or replay it with macos-agent --once --replay ${opts.dir}\n`
    : `capture finished with ${failures} file(s) skipped; the rest replays with macos-agent --once --replay ${opts.dir}\n`);
  return failures === 0 ? 0 : 1;
}
