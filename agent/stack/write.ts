import { chmod, mkdir, mkdtemp, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigError } from '../config.js';
import type { StackFile } from './stack.js';

/**
 * Writes every file into a fresh folder beside `out`, then renames it into place, so `out` is
 * either the whole stack or untouched. `out` must not exist or be empty.
 */
export async function writeStack(out: string, files: readonly StackFile[]): Promise<void> {
  let existing: string[] | undefined;
  try {
    existing = await readdir(out);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new ConfigError(`--out ${out} is a file: give a folder that does not exist yet, or is empty`);
    if (code !== 'ENOENT') throw new ConfigError(`--out ${out} cannot be read (${code ?? 'error'}): give a folder you can write`);
  }
  if (existing !== undefined && existing.length > 0) throw new ConfigError(`--out ${out} is not empty: give a new or empty folder (remove the old stack first, or write beside it)`);
  let staging: string;
  try {
    staging = await mkdtemp(join(dirname(out), `.${basename(out)}.partial-`));
  } catch (error) {
    throw new ConfigError(`--out ${out}: its parent folder cannot be written (${(error as NodeJS.ErrnoException).code ?? 'error'}): create it, or choose another folder`);
  }
  try {
    for (const file of files) {
      const path = join(staging, file.path);
      await mkdir(dirname(path), { recursive: true });
      // flag 'wx': a fresh file, never through an existing name or symlink.
      await writeFile(path, file.text, { mode: file.mode, flag: 'wx' });
    }
    await chmod(staging, 0o755);
    if (existing !== undefined) await rmdir(out);
    await rename(staging, out);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
