import { closeSync, constants, fstatSync, lstatSync, openSync, writeSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

const SERVICE = 'macos-agent';

/**
 * Where the agent's log lines go: a file descriptor (stdout, stderr) or a file it opens itself.
 * A write that fails (a full disk, a file-size limit, a closed pipe) never stops the agent: the
 * line is counted as lost, and the first line that gets through again is preceded by one that
 * says how many were lost and why. A log file is opened for appending, never through a symlink,
 * and `reopen()` opens it again under its name (what newsyslog-style rotation wants after it
 * renamed the old file); `rotated()` tells when that is due.
 */
export class LogDestination {
  readonly file: string | undefined;
  #fd: number;
  #lostLines = 0;
  #failure: string | undefined;
  /** A write failed after part of a line was written: the next write starts a new line. */
  #midLine = false;

  constructor(target: { fd: number } | { file: string }) {
    if ('file' in target) {
      this.file = target.file;
      this.#fd = openLogFile(target.file);
    } else {
      this.file = undefined;
      this.#fd = target.fd;
    }
  }

  /** Lines that could not be written since the log last worked. */
  get lostLines(): number {
    return this.#lostLines;
  }

  write(line: string): void {
    if (this.#lostLines > 0) {
      const notice = `${this.#midLine ? '\n' : ''}${JSON.stringify({
        level: 'warn', time: new Date().toISOString(), service: SERVICE, lost_lines: this.#lostLines, error: this.#failure,
        msg: `the log could not be written (${this.#failure}); ${this.#lostLines} line(s) were lost meanwhile, collection and export went on`,
      })}\n`;
      if (!this.#writeWhole(notice)) {
        this.#lostLines++;
        return;
      }
      this.#lostLines = 0;
      this.#failure = undefined;
    }
    if (!this.#writeWhole(line)) this.#lostLines++;
  }

  /** Opens the log file again under its name; a no-op for a file descriptor. Throws when it cannot. */
  reopen(): void {
    if (this.file === undefined) return;
    const fd = openLogFile(this.file);
    const old = this.#fd;
    this.#fd = fd;
    this.#midLine = false;
    closeSync(old);
  }

  /**
   * Whether the name no longer leads to the file being written: a rotation renamed or removed it.
   * False for a file descriptor.
   */
  rotated(): boolean {
    if (this.file === undefined) return false;
    const named = lstatSync(this.file, { throwIfNoEntry: false });
    if (named === undefined) return true;
    const open = fstatSync(this.#fd);
    return named.ino !== open.ino || named.dev !== open.dev;
  }

  #writeWhole(text: string): boolean {
    const bytes = Buffer.from(text);
    let offset = 0;
    let busyRetries = 0;
    while (offset < bytes.length) {
      try {
        offset += writeSync(this.#fd, bytes, offset);
        this.#midLine = offset < bytes.length;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        // A non-blocking pipe that is full for a moment: wait a little, a bounded number of times.
        if (code === 'EAGAIN' && busyRetries++ < MAX_BUSY_RETRIES) {
          Atomics.wait(SLEEPER, 0, 0, 1);
          continue;
        }
        this.#failure = code;
        this.#midLine ||= offset > 0;
        return false;
      }
    }
    return true;
  }
}

const MAX_BUSY_RETRIES = 100;
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

function openLogFile(file: string): number {
  return openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o640);
}

/**
 * The agent's logger: JSON, one line per event. The daemon logs to stdout (launchd sends it to a
 * file) or to `log_file`; commands that print results log to stderr so their stdout stays clean.
 */
export function createLogger(level: LogLevel, destination: 'stdout' | 'stderr' | LogDestination = 'stdout'): Logger {
  const target = destination instanceof LogDestination ? destination : new LogDestination({ fd: destination === 'stdout' ? 1 : 2 });
  return pino(
    {
      level,
      base: { service: SERVICE },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['headers', '*.headers', 'authorization', '*.authorization'], censor: '[redacted]' },
    },
    target,
  );
}
