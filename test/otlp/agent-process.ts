import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, TEST_NODE_ENV } from '../helpers/cli.js';

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/**
 * The daemon started as a user would (`node dist/agent/cli.js ARGS`), with its JSON log lines
 * collected so a test can wait for an event and check what was (not) logged.
 */
export class AgentProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  /** Raw stdout and stderr, for asserting what never appears (a secret). */
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  constructor(args: readonly string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', ...TEST_NODE_ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.output += chunk;
      pending += chunk;
      let i: number;
      while ((i = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, i);
        pending = pending.slice(i + 1);
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          continue;
        }
        this.lines.push(line);
        for (const w of [...this.#waiters]) {
          if (w.match(line)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { this.output += chunk; });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with the first log line (already seen or to come) whose message contains `text`. */
  waitForLog(text: string | RegExp, timeoutMs = 15_000): Promise<LogLine> {
    const match = (l: LogLine): boolean => (typeof text === 'string' ? l.msg.includes(text) : text.test(l.msg));
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line matching ${String(text)} within ${timeoutMs} ms; output:\n${this.output}`)), timeoutMs);
      this.#waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolve(l); } });
    });
  }

  logsMatching(text: string | RegExp): LogLine[] {
    return this.lines.filter((l) => (typeof text === 'string' ? l.msg.includes(text) : text.test(l.msg)));
  }

  /** SIGTERM, then the exit code and how long the agent took to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; ms: number }> {
    const t0 = Date.now();
    this.child.kill(signal);
    const { code } = await this.exited;
    return { code, ms: Date.now() - t0 };
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `check` returns true. */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}
