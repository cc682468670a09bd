// The agent's child processes, on node:child_process (argument arrays, never a shell). Every child
// is registered while it lives and killed (SIGKILL) when the agent's process exits, so no command
// outlives the agent. Children run with LC_ALL=C (numbers and messages in the C locale) and the
// rest of the agent's environment.

import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

/** How a child ended. */
export interface ChildExit {
  /** The exit code; null when a signal ended it or it never started. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The command is not on PATH (ENOENT): it never started. */
  readonly notFound: boolean;
  /** Why the child could not be started (ENOENT included), if it never ran. */
  readonly startError: Error | undefined;
}

export interface SpawnChildOptions {
  /** Between SIGTERM and SIGKILL when the child is terminated. Default 2000 ms. */
  readonly killGraceMs?: number;
  /** Added to the inherited environment (after LC_ALL=C, so it may override it). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A running child with stdin ignored and stdout/stderr piped. */
export interface LiveChild {
  readonly pid: number | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves (never rejects) once the child has exited and its output is read. */
  readonly exited: Promise<ChildExit>;
  /** SIGTERM now, SIGKILL after the kill grace if it is still running. */
  terminate(): void;
  /** SIGKILL now. */
  kill(): void;
}

const DEFAULT_KILL_GRACE_MS = 2000;
/**
 * After the child exits, how long its pipes may stay open before they are closed: a grandchild
 * that inherited them would otherwise hold `exited` until it ends too.
 */
const PIPE_DRAIN_MS = 200;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killLiveChildren(): void {
  for (const child of live) child.kill('SIGKILL');
}

function register(child: ChildProcess): void {
  if (!exitHookInstalled) {
    process.on('exit', killLiveChildren);
    exitHookInstalled = true;
  }
  live.add(child);
}

/** How many children are running (for tests and diagnostics). */
export function liveChildCount(): number {
  return live.size;
}

/** Starts `command args` (found on PATH) as a child that dies with the agent. */
export function spawnChild(command: string, args: readonly string[], opts: SpawnChildOptions = {}): LiveChild {
  const killGraceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C', ...opts.env },
  });
  const stdout = child.stdout!;
  const stderr = child.stderr!;
  let running = child.pid !== undefined;
  if (running) register(child);
  let forceKill: NodeJS.Timeout | undefined;

  const exited = new Promise<ChildExit>((resolve) => {
    let startError: Error | undefined;
    // Also where a failed kill() would be reported; a child that started has no start error.
    child.on('error', (e) => {
      if (child.pid === undefined) startError ??= e;
    });
    let drain: NodeJS.Timeout | undefined;
    child.on('exit', () => {
      running = false;
      live.delete(child);
      clearTimeout(forceKill);
      drain = setTimeout(() => {
        stdout.destroy();
        stderr.destroy();
      }, PIPE_DRAIN_MS);
      drain.unref();
    });
    child.on('close', (exitCode: number | null, signal: NodeJS.Signals | null) => {
      running = false;
      live.delete(child);
      clearTimeout(forceKill);
      clearTimeout(drain);
      const notFound = (startError as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
      resolve({ exitCode: startError === undefined ? exitCode : null, signal, notFound, startError });
    });
  });

  return {
    pid: child.pid,
    stdout,
    stderr,
    exited,
    terminate: () => {
      if (!running) return;
      child.kill('SIGTERM');
      if (forceKill === undefined) {
        forceKill = setTimeout(() => {
          if (running) child.kill('SIGKILL');
        }, killGraceMs);
        forceKill.unref();
      }
    },
    kill: () => {
      if (running) child.kill('SIGKILL');
    },
  };
}

export interface RunFileOptions extends SpawnChildOptions {
  /** After this long the child is terminated (SIGTERM, then SIGKILL after the kill grace). */
  readonly timeoutMs: number;
  /** Output kept per stream; past it the child is terminated. Default RUN_FILE_MAX_BUFFER_BYTES. */
  readonly maxBufferBytes?: number;
}

export interface RunFileResult extends ChildExit {
  readonly stdout: string;
  readonly stderr: string;
  /** The timeout ended it. */
  readonly timedOut: boolean;
  /** It printed more than maxBufferBytes on a stream and was terminated; the output is cut there. */
  readonly outputTooLarge: boolean;
}

/** A one-shot powermetrics plist can be about 1 MB; this leaves room for much larger machines. */
export const RUN_FILE_MAX_BUFFER_BYTES = 16 * 1024 * 1024;

/**
 * Runs `command args` once and returns what it printed and how it ended. A non-zero exit, a
 * signal, a timeout or a missing command is reported in the result, never thrown.
 */
export function runFile(command: string, args: readonly string[], opts: RunFileOptions): Promise<RunFileResult> {
  const maxBufferBytes = opts.maxBufferBytes ?? RUN_FILE_MAX_BUFFER_BYTES;
  const child = spawnChild(command, args, opts);
  let timedOut = false;
  let outputTooLarge = false;
  const collect = (stream: Readable): Buffer[] => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      if (bytes + chunk.length > maxBufferBytes) {
        if (!outputTooLarge) {
          outputTooLarge = true;
          chunks.push(chunk.subarray(0, maxBufferBytes - bytes));
          bytes = maxBufferBytes;
          child.terminate();
        }
        return;
      }
      bytes += chunk.length;
      chunks.push(chunk);
    });
    return chunks;
  };
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const timer = setTimeout(() => {
    timedOut = true;
    child.terminate();
  }, opts.timeoutMs);
  return child.exited.then((exit) => {
    clearTimeout(timer);
    return {
      ...exit,
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
      timedOut,
      outputTooLarge,
    };
  });
}
