// The supervisor of a long-lived child (powermetrics, iostat, any streaming source): it starts the
// child, keeps the start of its stderr, ends it when it falls silent, replaces it on schedule, and
// restarts it with backoff when it ends. The source keeps only "bytes → parser → points": it
// hands the supervisor its command, reads the bytes, tells it when the stream made progress, and
// decides from each end (exit code, signal, stderr) what follows. In a source:
//
//   const child = new SupervisedChild({
//     command: () => ({ file: 'iostat', args: ['-w', '1'] }),
//     timing: { restartDelayMs: 1000, maxRestartDelayMs: 60_000, killGraceMs: 1000, silenceMs: 3000 },
//     onStdout: (chunk) => parser.push(chunk),         // call child.noteHealthy() per good sample
//     onEnd: (end) => (end.exit.notFound ? 'give-up' : 'backoff'),
//   });
//   child.start(); … await child.stop();
//
// A one-shot command goes through runCommand (run-command.ts) instead.
//
// Every stop is SIGTERM, then SIGKILL after the kill grace, to the child's whole process group
// (child-process.ts), so a command run through `sudo` hears the SIGTERM relayed.

import { spawnChild, type ChildExit, type LiveChild } from './child-process.js';

/** A command as an executable and an argument array (no shell); the executable is looked up on PATH unless it is a path. */
export interface ChildCommand {
  readonly file: string;
  readonly args: readonly string[];
}

export interface SupervisorTiming {
  /** The restart delay after the first failure; it doubles per consecutive failure, up to maxRestartDelayMs. */
  readonly restartDelayMs: number;
  readonly maxRestartDelayMs: number;
  /** Between SIGTERM and SIGKILL. */
  readonly killGraceMs: number;
  /** No progress (noteProgress) for this long: the child is hung, ended and handed to onEnd. */
  readonly silenceMs: number;
  /** Added to silenceMs until the child's first progress: the time it may take to start (sudo, a loaded Mac). Absent: 0. */
  readonly startGraceMs?: number;
  /** The child is replaced after running this long. Absent: never. */
  readonly recycleAfterMs?: number;
}

/** How a child ended, as onEnd hears it. */
export interface ChildEnd {
  /** `exited`: it ended by itself (or never started); `silent`: the watchdog ended it. */
  readonly cause: 'exited' | 'silent';
  readonly exit: ChildExit;
  /** The start of what it printed on stderr (up to STDERR_LIMIT characters). */
  readonly stderr: string;
  /** How long it had made no progress when the watchdog ended it (`silent`). */
  readonly silentForMs: number;
  /** The delay a `backoff` restart after this end waits. */
  readonly backoffMs: number;
  /** Consecutive failures, this one included, when it is restarted with backoff. */
  readonly failures: number;
}

/**
 * What follows an end: `backoff` restarts after the backoff delay (a failure); `continue` starts
 * the next command at once (the child did its part, e.g. a one-sample child); `retryAfterMs` tries
 * again after a fixed delay (a refusal no quick retry will change); `give-up` stops supervising.
 */
export type NextStep = 'backoff' | 'continue' | 'give-up' | { readonly retryAfterMs: number };

export interface SupervisedChildOptions {
  /** Asked at every start, so one child may differ from the next. */
  readonly command: () => ChildCommand;
  readonly timing: SupervisorTiming;
  /** A fresh child starts: forget what was read from the last one. */
  readonly onStart?: () => void;
  readonly onStdout: (chunk: Buffer) => void;
  /** The child ended by itself or by the watchdog (not by a recycle or stop); says what follows. */
  readonly onEnd: (end: ChildEnd) => NextStep;
  /** The scheduled recycle replaced the child. */
  readonly onRecycle?: () => void;
  /** A new child replaced one that ended (every start after the first, except after `continue`). */
  readonly onRestart?: () => void;
}

/** How much of a child's stderr is kept: its first lines say why it failed. */
export const STDERR_LIMIT = 4096;

/** Restart delay for the n-th consecutive failure: doubling from the first delay, capped. */
export function backoffDelay(timing: Pick<SupervisorTiming, 'restartDelayMs' | 'maxRestartDelayMs'>, failures: number): number {
  return Math.min(timing.restartDelayMs * 2 ** Math.max(0, failures - 1), timing.maxRestartDelayMs);
}

export class SupervisedChild {
  readonly #opts: SupervisedChildOptions;
  #child: LiveChild | undefined;
  #exited: Promise<void> = Promise.resolve();
  #stderr = '';
  #lastProgressAt = 0;
  /** The running child has made progress at least once (its start grace is over). */
  #progressed = false;
  /** Why the supervisor is ending the current child, once it has decided to. */
  #ending: 'silent' | 'recycle' | 'stop' | undefined;
  #silentForMs = 0;
  #failures = 0;
  #stopping = false;
  #childTimers: NodeJS.Timeout[] = [];
  #restartTimer: NodeJS.Timeout | undefined;

  constructor(opts: SupervisedChildOptions) {
    this.#opts = opts;
  }

  /** The pid of the running child, if any. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** A child is running (it may not have printed anything yet). */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Starts the first child (again after a stop). */
  start(): void {
    this.#stopping = false;
    if (this.#child === undefined && this.#restartTimer === undefined) this.#spawn();
  }

  /** The stream moved (a whole document, a row): the silence watchdog starts counting again. */
  noteProgress(): void {
    this.#lastProgressAt = Date.now();
    this.#progressed = true;
  }

  /** A good sample arrived: the next failure restarts after the first delay again. */
  noteHealthy(): void {
    this.noteProgress();
    this.#failures = 0;
  }

  /** Ends the child (SIGTERM, then SIGKILL after the grace) and resolves once it is gone; no restart follows. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#end('stop');
    await this.#exited;
  }

  #spawn(): void {
    const { file, args } = this.#opts.command();
    this.#stderr = '';
    this.#ending = undefined;
    this.#lastProgressAt = Date.now();
    this.#progressed = false;
    this.#opts.onStart?.();
    const child = spawnChild(file, args, { killGraceMs: this.#opts.timing.killGraceMs });
    this.#child = child;
    child.stdout.on('data', (chunk: Buffer) => this.#opts.onStdout(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      if (this.#stderr.length < STDERR_LIMIT) this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(0, STDERR_LIMIT);
    });
    this.#exited = child.exited.then((exit) => this.#onExit(child, exit));

    const { silenceMs, startGraceMs = 0, recycleAfterMs } = this.#opts.timing;
    const watchdog = setInterval(() => {
      const silentFor = Date.now() - this.#lastProgressAt;
      if (silentFor < silenceMs + (this.#progressed ? 0 : startGraceMs)) return;
      this.#silentForMs = silentFor;
      this.#end('silent');
    }, Math.max(1, Math.round(silenceMs / 3)));
    watchdog.unref();
    this.#childTimers = [watchdog];
    if (recycleAfterMs !== undefined) {
      const recycle = setTimeout(() => this.#end('recycle'), recycleAfterMs);
      recycle.unref();
      this.#childTimers.push(recycle);
    }
  }

  #end(reason: 'silent' | 'recycle' | 'stop'): void {
    if (this.#child === undefined) return;
    // A stop overrides an end already under way (no restart follows), but never repeats one.
    if (this.#ending !== undefined && (reason !== 'stop' || this.#ending === 'stop')) return;
    const first = this.#ending === undefined;
    this.#ending = reason;
    this.#clearChildTimers();
    if (first) this.#child.terminate();
  }

  #clearChildTimers(): void {
    for (const timer of this.#childTimers) clearTimeout(timer);
    this.#childTimers = [];
  }

  #onExit(child: LiveChild, exit: ChildExit): void {
    if (this.#child !== child) return;
    this.#clearChildTimers();
    this.#child = undefined;
    const ending = this.#ending;
    if (this.#stopping || ending === 'stop') return;
    if (ending === 'recycle') {
      this.#opts.onRecycle?.();
      this.#restartAfter(0);
      return;
    }
    const failures = this.#failures + 1;
    const next = this.#opts.onEnd({
      cause: ending === 'silent' ? 'silent' : 'exited',
      exit,
      stderr: this.#stderr,
      silentForMs: ending === 'silent' ? this.#silentForMs : 0,
      backoffMs: backoffDelay(this.#opts.timing, failures),
      failures,
    });
    if (this.#stopping) return;
    if (next === 'give-up') return;
    if (next === 'continue') {
      this.#spawn();
      return;
    }
    if (next === 'backoff') {
      this.#failures = failures;
      this.#restartAfter(backoffDelay(this.#opts.timing, failures));
      return;
    }
    this.#restartAfter(next.retryAfterMs);
  }

  #restartAfter(delayMs: number): void {
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#stopping) return;
      this.#opts.onRestart?.();
      this.#spawn();
    }, delayMs);
    this.#restartTimer.unref();
  }
}
