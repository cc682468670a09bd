import { chmod, chown, lstat, mkdir } from 'node:fs/promises';
import { parse } from 'yaml';
import { runFile } from '../sources/child-process.js';

// What the collector's unprivileged account needs before launchd starts it: to exist, and to own
// the folders its config keeps persistent queues in.

export interface AccountIds {
  readonly uid: number;
  readonly gid: number;
}

/** uid and primary gid of an account, from /usr/bin/id; undefined when there is no such account. */
export async function accountIds(user: string): Promise<AccountIds | undefined> {
  const id = async (flag: string): Promise<number | undefined> => {
    const result = await runFile('/usr/bin/id', [flag, user], { timeoutMs: 10_000 });
    const value = result.stdout.trim();
    return result.exitCode === 0 && /^[0-9]+$/.test(value) ? Number(value) : undefined;
  };
  const uid = await id('-u');
  const gid = await id('-g');
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}

/** The folders of the config's `file_storage` extensions (where persistent queues live). */
export function storageDirectories(configText: string): string[] {
  const config = parse(configText) as { extensions?: Record<string, { directory?: unknown } | null> } | null;
  const dirs: string[] = [];
  for (const [id, settings] of Object.entries(config?.extensions ?? {})) {
    if (id.split('/')[0] === 'file_storage' && typeof settings?.directory === 'string') dirs.push(settings.directory);
  }
  return dirs;
}

/**
 * Creates each folder (parents 0755) and hands it to the account, 0700. A folder that is a
 * symlink is refused: the chown would follow it.
 */
export async function prepareStorageDirectories(dirs: readonly string[], owner: AccountIds): Promise<void> {
  for (const dir of dirs) {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const stats = await lstat(dir);
    if (!stats.isDirectory()) throw new Error(`the queue folder ${dir} in the collector's config is not a folder (a symlink or a file): remove it, or point file_storage.directory elsewhere`);
    await chown(dir, owner.uid, owner.gid);
    await chmod(dir, 0o700);
  }
}
