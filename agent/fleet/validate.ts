import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { runFile } from '../sources/child-process.js';

/** The Collector distribution whose `validate` command checks a generated config. */
export const VALIDATOR = 'otelcol-contrib';

export type ValidationResult =
  | { readonly kind: 'valid'; readonly binary: string; readonly output: string }
  | { readonly kind: 'invalid'; readonly binary: string; readonly output: string }
  | { readonly kind: 'unavailable' };

/** The first executable otelcol-contrib on PATH, or undefined. */
export function findValidator(path: string = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, VALIDATOR);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder; try the next.
    }
  }
  return undefined;
}

/** Runs `otelcol-contrib validate --config=FILE` when the binary is on PATH. */
export async function validateConfigFile(file: string, path?: string): Promise<ValidationResult> {
  const binary = findValidator(path);
  if (binary === undefined) return { kind: 'unavailable' };
  const result = await runFile(binary, ['validate', `--config=${file}`], { timeoutMs: 60_000 });
  const output = [result.stdout.trim(), result.stderr.trim()].filter((text) => text !== '').join('\n');
  return result.exitCode === 0 && !result.timedOut
    ? { kind: 'valid', binary, output }
    : { kind: 'invalid', binary, output: result.timedOut ? `timed out after 60 s\n${output}` : output };
}
