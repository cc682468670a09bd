import type { SourceName } from '../metrics/catalog.js';
import type { SourceContext } from './source.js';

/** How many distinct messages a source logs before it only counts: a bound on log volume. */
const MAX_DISTINCT_MESSAGES = 100;

/**
 * Input a source could not use (a malformed line, a rejected value, a dropped document): every
 * one is counted in the agent's telemetry, and each distinct message is logged once, so a fault
 * that repeats every cycle never floods the log.
 */
export class RejectedInput {
  readonly #ctx: Pick<SourceContext, 'log' | 'onParseError'>;
  readonly #source: SourceName;
  readonly #logged = new Set<string>();

  constructor(ctx: Pick<SourceContext, 'log' | 'onParseError'>, source: SourceName) {
    this.#ctx = ctx;
    this.#source = source;
  }

  /** Counts one rejected input; `logKey` groups messages that differ only in detail. */
  report(error: Error | string, logKey?: string): void {
    const e = typeof error === 'string' ? new Error(error) : error;
    this.#ctx.onParseError?.(this.#source, e);
    this.warnOnce(e.message, logKey);
  }

  /** Logs a warning the first time its key is seen. */
  warnOnce(message: string, key: string = message): void {
    if (this.#logged.has(key) || this.#logged.size >= MAX_DISTINCT_MESSAGES) return;
    this.#logged.add(key);
    this.#ctx.log.warn({ source: this.#source }, message);
  }
}
