import { rename, rm, stat } from 'node:fs/promises';
import { LOG_ROTATION } from './launchd-plist.js';

// Rotation of the supervised collector's logs: file -> file.0 -> file.1 ... keeping
// LOG_ROTATION.keep files, once a file passes LOG_ROTATION.sizeKiB.

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** Rotates each file over the size limit; returns the ones rotated (the caller restarts the writer). */
export async function rotateLogs(files: readonly string[]): Promise<string[]> {
  const rotated: string[] = [];
  for (const file of files) {
    const size = await sizeOf(file);
    if (size === undefined || size <= LOG_ROTATION.sizeKiB * 1024) continue;
    await rm(`${file}.${LOG_ROTATION.keep - 1}`, { force: true });
    for (let i = LOG_ROTATION.keep - 2; i >= 0; i--) {
      if ((await sizeOf(`${file}.${i}`)) !== undefined) await rename(`${file}.${i}`, `${file}.${i + 1}`);
    }
    await rename(file, `${file}.0`);
    rotated.push(file);
  }
  return rotated;
}
