import { runFile } from '../sources/child-process.js';
import { parseLaunchctlPrint, type LaunchdJobState } from './launchctl-print.js';

export interface LaunchctlResult {
  readonly args: readonly string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class LaunchctlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LaunchctlError';
  }
}

/** `launchctl print` exits 113 ("Could not find service") for a job that is not loaded. */
export const EXIT_NOT_LOADED = 113;

/**
 * Runs `launchctl ARGS` (found on PATH, as /bin/launchctl on macOS; argument array, no shell) and
 * returns its exit code and output; a missing launchctl is an error that says where this runs.
 */
export async function launchctl(args: readonly string[]): Promise<LaunchctlResult> {
  const result = await runFile('launchctl', args, { timeoutMs: 60_000 });
  if (result.notFound) {
    throw new LaunchctlError('launchctl not found on PATH: `macos-agent service` manages a launchd service and works only on macOS');
  }
  if (result.timedOut) throw new LaunchctlError(`launchctl ${args.join(' ')} did not finish within 60 s and was killed`);
  if (result.startError !== undefined) throw new LaunchctlError(`launchctl could not be started: ${result.startError.message}`);
  return { args, code: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs launchctl and throws, naming the command, its exit code and first line of output, when it fails. */
export async function launchctlOrThrow(args: readonly string[], hint: string): Promise<LaunchctlResult> {
  const result = await launchctl(args);
  if (result.code !== 0) {
    const said = (result.stderr.trim() || result.stdout.trim()).split('\n')[0] ?? '';
    throw new LaunchctlError(`launchctl ${args.join(' ')} failed (exit ${result.code})${said ? `: "${said}"` : ''} — ${hint}`);
  }
  return result;
}

export interface LoadedJob {
  readonly loaded: boolean;
  readonly job: LaunchdJobState | undefined;
}

/** `launchctl print <target>`: whether the job is loaded, and its state when it is. */
export async function printJob(serviceTarget: string): Promise<LoadedJob> {
  const result = await launchctl(['print', serviceTarget]);
  if (result.code !== 0) return { loaded: false, job: undefined };
  return { loaded: true, job: parseLaunchctlPrint(result.stdout) };
}
