// The machine the benchmark pretends to watch: an M2 Ultra's powermetrics plist (the biggest
// document among the real captures), with the other commands' real captures from Apple Silicon
// Macs (no vm_stat, iostat or sysctl capture of an M2 Ultra exists). The same files serve as a
// replay bundle (`--replay DIR`) and behind the fake commands on PATH. The SMC is read through an
// addon, not a command, so only a replay reads its file: the largest real dump, of an Intel
// MacBook Pro (no complete Apple Silicon dump exists).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { catScript, iostatScript, makeFakeBin, powermetricsScript } from './fakes.js';
import { requireFixture } from './fixtures.js';
import { DIST } from './paths.js';

export const BUNDLE_CAPTURES = {
  'powermetrics.plist': 'm2ultra-mac14_14-macos14.4-pumas.plist',
  'vm_stat.txt': 'm1pro-ansible-fixture.txt',
  'iostat.txt': 'applesilicon-iostat-w1-c5-2disks-innopolis-lab8-whitespace-suspect.txt',
  'smc.txt': 'intel-MacBookPro16_1-smcread-dump-virtualsmc.txt',
  'memory_pressure.txt': 'm1pro-mbp18_1-16gb-macos15.7.5-agenttranscript.txt',
  'netstat.txt': 'applesilicon-mbp-macos26-netstat-ib-head-FRAGMENT-vorssaint398.txt',
  'notifyutil.txt': 'applesilicon-macbook-macos26-notifyutil-thermalpressurelevel-stanislasblog.txt',
};
/** `sysctl NAME...` prints only the names asked for: these lines are taken from real captures of one M1 MacBook Air. */
const SYSCTL_CAPTURES = ['m1-mba10_1-8gb-sysctl-hw-asitopgo.txt', 'm1-mba10_1-8gb-sysctl-vm-asitopgo.txt'];

async function sysctlAnswer() {
  const { SYSCTL_ARGS } = await import(pathToFileURL(join(DIST, 'sources', 'sysctl.js')).href);
  const lines = SYSCTL_CAPTURES.flatMap((f) => readFileSync(requireFixture(f), 'utf8').split('\n'));
  return SYSCTL_ARGS.flatMap((name) => lines.filter((l) => l.startsWith(`${name}: `)).slice(0, 1)).join('\n') + '\n';
}

/**
 * Writes the bundle into a fresh folder and the fakes that print it. Returns both, and `cleanup`.
 * @returns {Promise<{ dir: string, fakes: ReturnType<typeof makeFakeBin>, captures: Record<string, string>, cleanup: () => void }>}
 */
export async function makeBenchBundle() {
  const dir = mkdtempSync(join(tmpdir(), 'macos-agent-bench-bundle-'));
  for (const [file, capture] of Object.entries(BUNDLE_CAPTURES)) copyFileSync(requireFixture(capture), join(dir, file));
  writeFileSync(join(dir, 'sysctl.txt'), await sysctlAnswer());
  const fakes = makeFakeBin({
    powermetrics: powermetricsScript(join(dir, 'powermetrics.plist')),
    iostat: iostatScript(join(dir, 'iostat.txt')),
    vm_stat: catScript(join(dir, 'vm_stat.txt')),
    sysctl: catScript(join(dir, 'sysctl.txt')),
    memory_pressure: catScript(join(dir, 'memory_pressure.txt')),
    netstat: catScript(join(dir, 'netstat.txt')),
    notifyutil: catScript(join(dir, 'notifyutil.txt')),
  });
  return {
    dir,
    fakes,
    captures: { ...BUNDLE_CAPTURES, 'sysctl.txt': SYSCTL_CAPTURES.join(' + ') },
    cleanup: () => {
      fakes.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
