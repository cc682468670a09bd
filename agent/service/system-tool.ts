import { runFile } from '../sources/child-process.js';

/** A macOS administration tool (dscl, visudo) that could not be run or failed. */
export class SystemToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SystemToolError';
  }
}

export interface SystemToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tool ARGS` (found on PATH; argument array, no shell) within 60 s and returns what it said. */
export async function runSystemTool(tool: string, args: readonly string[]): Promise<SystemToolResult> {
  const result = await runFile(tool, args, { timeoutMs: 60_000 });
  if (result.notFound) throw new SystemToolError(`${tool} not found on PATH: the system service is set up with macOS's own tools (/usr/bin/dscl, /usr/sbin/visudo) and only on macOS`);
  if (result.timedOut) throw new SystemToolError(`${tool} ${args.join(' ')} did not finish within 60 s and was killed`);
  if (result.startError !== undefined) throw new SystemToolError(`${tool} could not be started: ${result.startError.message}`);
  return { code: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the tool and throws, naming the command line, its exit code and its first line of output, when it fails. */
export async function runSystemToolOrThrow(tool: string, args: readonly string[]): Promise<SystemToolResult> {
  const result = await runSystemTool(tool, args);
  if (result.code !== 0) {
    const said = (result.stderr.trim() || result.stdout.trim()).split('\n')[0] ?? '';
    throw new SystemToolError(`${tool} ${args.join(' ')} failed (exit ${result.code})${said ? `: "${said}"` : ''}`);
  }
  return result;
}
