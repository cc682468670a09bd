import type { Logger } from 'pino';
import type { Point, SourceName } from '../metrics/catalog.js';
import type { AgentConfig } from '../config.js';

/**
 * Why a source produced nothing. `missing`: the command or device is not on this machine;
 * `permission`: it needs root; `timeout`: no answer in time; `parse`: output we could not read;
 * `failed`: anything else (non-zero exit, crash).
 */
export type SourceErrorKind = 'missing' | 'permission' | 'timeout' | 'parse' | 'failed';

export class SourceError extends Error {
  readonly source: SourceName;
  readonly kind: SourceErrorKind;

  constructor(source: SourceName, kind: SourceErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceError';
    this.source = source;
    this.kind = kind;
  }
}

/** How a source is run: `daemon` keeps long-lived children; `once` takes one quick sample. */
export type RunMode = 'daemon' | 'once';

export interface SourceContext {
  readonly config: AgentConfig;
  readonly mode: RunMode;
  readonly log: Logger;
  /** Read recorded command output from this folder instead of running commands (`--replay`). */
  readonly replayDir?: string;
  /** Counts restarts of long-lived children, for the agent's own telemetry. */
  readonly onChildRestart?: (source: SourceName) => void;
  /** Counts input that was rejected without failing the whole collection (a malformed line, a bad document). */
  readonly onParseError?: (source: SourceName, error: Error) => void;
}

/**
 * One source of metrics: spawns or reads, hands text to its parser, and turns the typed sample
 * into points. `collect` returns the points of the latest sample, or throws a SourceError.
 */
export interface Source {
  readonly name: SourceName;
  /** Starts long-lived children; resolves once started (not once the first sample arrived). */
  start?(): Promise<void>;
  collect(): Promise<Point[]>;
  stop(): Promise<void>;
}

export type SourceFactory = (ctx: SourceContext) => Source;

/**
 * A source as the registry knows it: how to create it, which replay file stands for its command,
 * and how `macos-agent capture` records that file on a Mac (the same command and arguments the
 * source runs, so a bundle replays exactly what the source would have read).
 */
export interface SourceModule {
  readonly name: Exclude<SourceName, 'agent'>;
  readonly create: SourceFactory;
  readonly replayFile: string;
  readonly capture: (ctx: SourceContext) => Promise<string>;
  /** Other commands the source may fall back on, recorded beside replayFile under their own names. */
  readonly alsoCaptured?: readonly { readonly file: string; readonly capture: (ctx: SourceContext) => Promise<string> }[];
}
