import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertSafeFile, readSafeFile, UnsafeFileError } from '../agent/file-safety.js';

const me = process.getuid!();

function file(mode: number): string {
  const path = join(mkdtempSync(join(tmpdir(), 'macos-agent-safety-')), 'f');
  writeFileSync(path, 'secret=1');
  chmodSync(path, mode);
  return path;
}

describe('assertSafeFile', () => {
  it('accepts a file owned by the expected user and writable only by it', () => {
    expect(readSafeFile(file(0o600), { what: 'headers file', secret: true, enforce: true, ownerUid: me }).toString()).toBe('secret=1');
  });

  it('refuses a file owned by someone else, saying how to fix it', () => {
    expect(() => assertSafeFile(file(0o600), { what: 'config file', enforce: true, ownerUid: me + 1 }))
      .toThrow(new RegExp(`config file .* is owned by uid ${me}, not root.*sudo chown root:wheel`));
  });

  it('refuses a group- or world-writable file', () => {
    expect(() => assertSafeFile(file(0o664), { what: 'config file', enforce: true, ownerUid: me }))
      .toThrow(/writable by group or others \(mode 664\).*chmod go-w/);
  });

  it('refuses a world-readable secret but not a world-readable config', () => {
    expect(() => assertSafeFile(file(0o644), { what: 'TLS key', secret: true, enforce: true, ownerUid: me }))
      .toThrow(UnsafeFileError);
    expect(() => assertSafeFile(file(0o644), { what: 'config file', enforce: true, ownerUid: me })).not.toThrow();
  });

  it('does not check when not enforcing (an unprivileged agent reads its own files)', () => {
    expect(() => assertSafeFile(file(0o666), { what: 'config file', enforce: false })).not.toThrow();
  });
});
