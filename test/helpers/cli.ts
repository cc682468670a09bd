import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');
/**
 * The CLI as it ships: the bundle the installed command and the launchd job run (`npm test` builds
 * it first, in its pretest script: tsc, then scripts/bundle.mjs).
 */
export const CLI = join(REPO, 'dist', 'macos-agent.js');

/**
 * Environment every spawned agent gets in the tests: a V8 compile cache shared by the suite's runs
 * (Node 22.1+), so each of its ~300 starts skips compiling the 2.2 MB bundle again (~30 ms of CPU
 * each). The service never uses one: it runs only code from root-owned trees.
 */
export const TEST_NODE_ENV: NodeJS.ProcessEnv = {
  NODE_COMPILE_CACHE: join(REPO, 'node_modules', '.cache', 'macos-agent-test-compile-cache'),
};

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `macos-agent ARGS` as a user would, under this test's Node, with the given environment
 * (pass a PATH from makeFakeBin to put fake commands first). MACOS_AGENT_CONFIG points nowhere by
 * default so a config file on the machine never leaks into a test.
 */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000, cli = CLI): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], {
      env: { PATH: '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', MACOS_AGENT_STATE_DIR: '/tmp/macos-agent-test-state', ...TEST_NODE_ENV, ...env },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
