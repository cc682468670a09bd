import { join } from 'node:path';
import type { SourceName } from '../metrics/catalog.js';
import { describeExit, RUN_FILE_MAX_BUFFER_BYTES, runFile, type RunFileResult } from './child-process.js';
import { SourceError } from './source.js';
import { readRegularFile, UnreadableFileError } from '../file-safety.js';

/**
 * A command that ran and failed (non-zero exit, or a signal): the result says how, so a source
 * can tell a known refusal apart by what the command printed, not by re-reading this message.
 */
export class CommandFailedError extends SourceError {
  readonly result: RunFileResult;

  constructor(source: SourceName, message: string, result: RunFileResult) {
    super(source, 'failed', message);
    this.name = 'CommandFailedError';
    this.result = result;
  }
}

export interface RunCommandOptions {
  readonly source: SourceName;
  readonly command: string;
  readonly args: readonly string[];
  /** Give up after this long; the child is killed (SIGTERM, then SIGKILL after killGraceMs). */
  readonly timeoutMs: number;
  /** Between SIGTERM and SIGKILL. Default: runFile's. */
  readonly killGraceMs?: number;
  /** With `--replay DIR`: read DIR/<replayFile> instead of running the command. */
  readonly replayDir?: string | undefined;
  readonly replayFile: string;
}

/**
 * Runs a command once (argument array, no shell) and returns its stdout, or reads the recorded
 * output in replay mode. Failures become SourceErrors that say what to do.
 */
export async function runCommand(opts: RunCommandOptions): Promise<string> {
  if (opts.replayDir !== undefined) {
    return readReplayFile(opts.source, opts.replayDir, opts.replayFile);
  }
  const result = await runFile(opts.command, opts.args, {
    timeoutMs: opts.timeoutMs,
    ...(opts.killGraceMs !== undefined ? { killGraceMs: opts.killGraceMs } : {}),
  });
  const line = `${opts.command} ${opts.args.join(' ')}`.trim();
  if (result.notFound) {
    throw new SourceError(opts.source, 'missing',
      `${opts.command} not found on PATH — ${opts.source} metrics need macOS (${opts.command} ships with it); disable the ${opts.source} source to silence this`);
  }
  if (result.timedOut) {
    throw new SourceError(opts.source, 'timeout', `${line} did not finish within ${opts.timeoutMs} ms and was killed`);
  }
  if (result.startError !== undefined) {
    throw new SourceError(opts.source, 'failed', `${line} could not be started: ${result.startError.message}`, { cause: result.startError });
  }
  if (result.outputTooLarge) {
    throw new SourceError(opts.source, 'failed', `${line} printed more than ${RUN_FILE_MAX_BUFFER_BYTES / (1024 * 1024)} MiB on one stream and was killed`);
  }
  if (result.exitCode !== 0) {
    const stderr = result.stderr.trim().split('\n')[0] ?? '';
    throw new CommandFailedError(opts.source, `${line} ${describeExit(result)}${stderr ? `: "${stderr}"` : ''}`, result);
  }
  return result.stdout;
}

/** A recorded output is held to the bound a live command's output has. */
export const MAX_REPLAY_FILE_BYTES = RUN_FILE_MAX_BUFFER_BYTES;

/** Reads DIR/file of a capture bundle: a regular file (never a FIFO, a device or a link) of bounded size. */
export async function readReplayFile(source: SourceName, dir: string, file: string): Promise<string> {
  const path = join(dir, file);
  try {
    return (await readRegularFile(path, { what: 'replay file', maxBytes: MAX_REPLAY_FILE_BYTES })).toString('utf8');
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new SourceError(source, 'failed', `${error.message}; ${source} is not replayed`, { cause: error });
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SourceError(source, 'missing', `replay bundle has no ${file} (${path}): ${source} is not replayed`);
    }
    throw new SourceError(source, 'failed', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}
