// The agent's child processes, all started by execa (argument arrays, never a shell). Each child
// runs in a process group of its own (execa's `killDescendants`), and every signal goes to the
// whole group, so what a command forks is stopped with it. A stop is SIGTERM first, SIGKILL after a
// grace period: a child run through `sudo` only hears about it through sudo, which relays SIGTERM
// to the command but cannot relay a SIGKILL. No child outlives the agent: when the agent exits, or
// dies of a signal it does not handle, execa's `cleanup` sends each live group SIGTERM, and the
// exit hook below (signal-exit, on which that cleanup is built) adds SIGKILL for what ignores it (a
// root command whose sudo is killed before relaying dies of SIGPIPE at its next write: its reader
// is gone).
// Children run with LC_ALL=C (numbers and messages in the C locale) and the rest of the agent's
// environment.

import type { Readable } from 'node:stream';
import { execa, type Options, type Result } from 'execa';
import { onExit } from 'signal-exit';

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

/** How a child ended, in the words every message uses: `exited (code 1)`, `was killed (SIGKILL)`, `could not be started (…)`. */
export function describeExit(exit: ChildExit): string {
  if (exit.startError !== undefined) return `could not be started (${exit.startError.message})`;
  return exit.exitCode !== null ? `exited (code ${exit.exitCode})` : `was killed (${exit.signal ?? 'unknown signal'})`;
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
  /** SIGTERM to its process group now, SIGKILL after the kill grace if any of it is still running. */
  terminate(): void;
  /** SIGKILL to its process group now. */
  kill(): void;
}

const DEFAULT_KILL_GRACE_MS = 2000;
/**
 * After the child exits, how long its pipes may stay open before they are closed: a process it
 * left running in the background would otherwise hold `exited` until that one ends too.
 */
const PIPE_DRAIN_MS = 200;

type Subprocess = ReturnType<typeof execa>;

const live = new Set<Subprocess>();
let exitHookInstalled = false;

function killLiveChildren(): void {
  for (const child of live) {
    child.kill('SIGTERM');
    child.kill('SIGKILL');
  }
}

function register(child: Subprocess): void {
  // Installed once and kept, so signal-exit's signal listeners stay in place (for execa's cleanup
  // too) instead of being added and removed around every one-shot command.
  if (!exitHookInstalled) {
    onExit(killLiveChildren);
    exitHookInstalled = true;
  }
  live.add(child);
}

/** How many children are running (for tests and diagnostics). */
export function liveChildCount(): number {
  return live.size;
}

function execaOptions(opts: SpawnChildOptions, extra: Options): Options {
  return {
    stdin: 'ignore',
    env: { LC_ALL: 'C', ...opts.env },
    killDescendants: true,
    cleanup: true,
    forceKillAfterDelay: opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    reject: false,
    stripFinalNewline: false,
    ...extra,
  };
}

/** How a child ended, from execa's structured result (never from its message text). */
function childExit(child: Subprocess, result: Result): ChildExit {
  const started = child.pid !== undefined;
  const startError = started ? undefined : (result.cause instanceof Error ? result.cause : new Error(result.shortMessage));
  return {
    exitCode: started ? result.exitCode ?? null : null,
    signal: started ? (result.signal as NodeJS.Signals | undefined) ?? null : null,
    notFound: !started && result.code === 'ENOENT',
    startError,
  };
}

/**
 * Starts `file args` under execa, registered while it lives; `settled` resolves once it has exited
 * and its output is read. A child that exits on its own leaves its group alone; one that was told
 * to stop (terminate, kill, timeout, too much output) has whatever is left of its group killed
 * once it is gone.
 */
function start(file: string, args: readonly string[], opts: SpawnChildOptions, extra: Options): { child: Subprocess; terminate: () => void; kill: () => void; settled: Promise<Result> } {
  const child = execa(file, args, execaOptions(opts, extra));
  if (child.pid !== undefined) register(child);
  let stopRequested = false;
  let running = child.pid !== undefined;
  child.nodeChildProcess.once('exit', () => {
    running = false;
    const drain = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, PIPE_DRAIN_MS);
    drain.unref();
  });
  const settled = Promise.resolve(child).then((result) => {
    live.delete(child);
    if (stopRequested || result.timedOut || result.isMaxBuffer) child.kill('SIGKILL');
    return result as Result;
  });
  return {
    child,
    settled,
    terminate: () => {
      if (!running || stopRequested) return;
      stopRequested = true;
      child.kill();
    },
    kill: () => {
      if (!running) return;
      stopRequested = true;
      child.kill('SIGKILL');
    },
  };
}

/** Starts `command args` (found on PATH) as a child that dies with the agent. */
export function spawnChild(command: string, args: readonly string[], opts: SpawnChildOptions = {}): LiveChild {
  const { child, settled, terminate, kill } = start(command, args, opts, { stdout: 'pipe', stderr: 'pipe', buffer: false });
  return {
    pid: child.pid,
    stdout: child.stdout!,
    stderr: child.stderr!,
    exited: settled.then((result) => childExit(child, result)),
    terminate,
    kill,
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

function text(output: unknown): string {
  return output instanceof Uint8Array ? Buffer.from(output.buffer, output.byteOffset, output.byteLength).toString('utf8') : '';
}

/**
 * Runs `command args` once and returns what it printed and how it ended. A non-zero exit, a
 * signal, a timeout or a missing command is reported in the result, never thrown.
 */
export async function runFile(command: string, args: readonly string[], opts: RunFileOptions): Promise<RunFileResult> {
  const { child, settled } = start(command, args, opts, {
    stdout: 'pipe',
    stderr: 'pipe',
    // Bytes, so maxBuffer bounds bytes and a UTF-8 character cut at the limit is decoded once.
    encoding: 'buffer',
    timeout: opts.timeoutMs,
    maxBuffer: opts.maxBufferBytes ?? RUN_FILE_MAX_BUFFER_BYTES,
  });
  const result = await settled;
  return {
    ...childExit(child, result),
    stdout: text(result.stdout),
    stderr: text(result.stderr),
    timedOut: result.timedOut,
    outputTooLarge: result.isMaxBuffer,
  };
}
