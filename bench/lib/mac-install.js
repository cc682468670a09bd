// The agent installed as on a Mac, for the daemon benchmark: a copy of the compiled agent whose
// build/Release/smc.node is the real glue (native/smc_iokit.cc, native/host_mach.cc, binding.cc)
// compiled against the tests' simulated AppleSMC, Mach host and sysctlbyname, answering from real
// captures (the bundle's SMC dump, the counters of its vm_stat capture and its sysctl values). The
// daemon then reads the SMC, the memory counters and installed memory and swap through the addon,
// as it does on a Mac, and starts no process per cycle. What a simulation cannot show is the
// kernel calls' own cost (an IOKit, Mach or sysctl call each).
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildTestAddon, writeSimulationTable } from '../../test/native/simulated-smc.ts';
import { hostStatisticsOf, writeHostTable } from '../../test/native/simulated-host.ts';
import { hostSysctlsOf, writeSysctlTable } from '../../test/native/simulated-sysctl.ts';
import { DIST, REPO } from './paths.js';

/**
 * @param {{ dir: string }} bundle the benchmark bundle (smc.txt and vm_stat.txt in it)
 * @returns {Promise<{ cli: string, compiledCli: string, env: Record<string, string>, cleanup: () => void }>}
 *   cli: the bundle the installed command and the service run; compiledCli: dist/agent/cli.js, the
 *   files the bundle is built from, for comparison
 */
export async function makeMacInstall(bundle) {
  const root = mkdtempSync(join(tmpdir(), 'macos-agent-bench-mac-'));
  cpSync(join(REPO, 'dist'), join(root, 'dist'), { recursive: true });
  copyFileSync(join(REPO, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  mkdirSync(join(root, 'build', 'Release'), { recursive: true });
  const addon = await buildTestAddon('simulated-iokit');
  copyFileSync(addon, join(root, 'build', 'Release', 'smc.node'));

  const { parseSmcDump } = await import(pathToFileURL(join(DIST, 'parsers', 'smc-dump.js')).href);
  const { parseVmStat } = await import(pathToFileURL(join(DIST, 'parsers', 'vm_stat.js')).href);
  const { parseSwapUsage, parseSysctl } = await import(pathToFileURL(join(DIST, 'parsers', 'sysctl.js')).href);
  const smcTable = writeSimulationTable(root, parseSmcDump(readFileSync(join(bundle.dir, 'smc.txt'), 'utf8')).entries);
  const hostTable = writeHostTable(root, hostStatisticsOf(parseVmStat(readFileSync(join(bundle.dir, 'vm_stat.txt'), 'utf8'))));
  const sysctlTable = writeSysctlTable(root, hostSysctlsOf(parseSysctl(readFileSync(join(bundle.dir, 'sysctl.txt'), 'utf8')), parseSwapUsage));
  return {
    cli: join(root, 'dist', 'macos-agent.js'),
    compiledCli: join(root, 'dist', 'agent', 'cli.js'),
    env: { SIMULATED_SMC_TABLE: smcTable, SIMULATED_HOST_VM: hostTable, SIMULATED_SYSCTL: sysctlTable },
    cleanup: () => {
      rmSync(root, { recursive: true, force: true });
      rmSync(join(addon, '..'), { recursive: true, force: true });
    },
  };
}
