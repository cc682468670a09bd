import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface FakeBin {
  /** The folder holding the fake executables. */
  readonly dir: string;
  /** A PATH with the fakes first, then the system folders (no other fakes, no node_modules/.bin). */
  readonly path: string;
  cleanup(): void;
}

/** Where the real commands live on this machine; the fakes shadow them by coming first on PATH. */
const SYSTEM_PATH = ['/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);

/**
 * Writes fake executables (name -> full file text, shebang included) into a fresh folder. Tests
 * put it first on PATH so the agent spawns them by name, through its real spawn path.
 * A fake written as a Node script should start with `#!${process.execPath}` so it runs under the
 * test's own Node whatever PATH says.
 */
export function makeFakeBin(commands: Record<string, string>): FakeBin {
  const dir = mkdtempSync(join(tmpdir(), 'macos-agent-fakes-'));
  for (const [name, text] of Object.entries(commands)) {
    const file = join(dir, name);
    writeFileSync(file, text);
    chmodSync(file, 0o755);
  }
  return {
    dir,
    path: `${dir}${delimiter}${SYSTEM_PATH}`,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A fake that prints a file's bytes to stdout and exits 0: the common case of a one-shot command. */
export function catScript(file: string): string {
  return `#!/bin/sh\nexec cat '${file.replace(/'/g, `'\\''`)}'\n`;
}
