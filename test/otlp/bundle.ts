import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';

const FIXTURES = join(REPO, 'test', 'fixtures');

/** The M1 Pro capture (MacBookPro18,1, macOS 14.4.1) as a replay bundle, with hand-made sw_vers and hw files. */
export const M1PRO_BUNDLE_FILES = {
  'vm_stat.txt': join(FIXTURES, 'vm_stat', 'm1pro-ansible-fixture.txt'),
  'sysctl.txt': join(FIXTURES, 'sysctl', 'm1pro-mbp18_1-macos14.4.1-sysctl-a-head-hw-machdep-FRAGMENT-ansible.txt'),
  'sw_vers.txt': join(FIXTURES, 'resource', 'handmade-sw_vers-macos14.4.1.txt'),
  'hw.txt': join(FIXTURES, 'resource', 'handmade-hw-mbp18_1.txt'),
} as const;

export const IOREG_FIXTURE = join(FIXTURES, 'resource', 'handmade-ioreg-platform-expert.txt');

export function makeBundle(): string {
  const dir = mkdtempSync(join(tmpdir(), 'macos-agent-bundle-'));
  for (const [name, file] of Object.entries(M1PRO_BUNDLE_FILES)) copyFileSync(file, join(dir, name));
  return dir;
}
