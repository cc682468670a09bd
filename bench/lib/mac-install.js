// The agent installed as on a Mac, for the daemon benchmark: a copy of the compiled agent whose
// build/Release/smc.node is the real glue (native/smc_iokit.cc, native/host_mach.cc, binding.cc)
// compiled against the tests' simulated AppleSMC, Mach host, sysctlbyname, interface MIB, notifyd
// and I/O Registry, answering from real captures (the bundle's SMC dump, the counters of its vm_stat
// capture, its sysctl values, its netstat and notifyutil output, a full `ioreg -l`). The daemon
// then reads the SMC, the memory counters, installed memory and swap, memory pressure, the
// interfaces, disks, GPU and battery through the addon, as it does on a Mac, and starts no process
// per cycle. What a simulation cannot show is the kernel calls' own cost (an IOKit, Mach or sysctl
// call each).
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildTestAddon, writeSimulationTable } from '../../test/native/simulated-smc.ts';
import { hostStatisticsOf, writeHostTable } from '../../test/native/simulated-host.ts';
import { hostSysctlsOf, writeSysctlTable } from '../../test/native/simulated-sysctl.ts';
import { writeIfmibTable } from '../../test/native/simulated-ifmib.ts';
import { writeNotifyTable } from '../../test/native/simulated-notify.ts';
import { agxSuperclasses, writeRegistryTable } from '../../test/native/simulated-ioregistry.ts';
import { requireFixture } from './fixtures.js';
import { DIST, REPO } from './paths.js';

/**
 * The I/O Registry the disk, GPU and battery sources read: the one full `ioreg -l` capture, an M1
 * MacBook Air's (a laptop: the battery source has a battery to read). Only the subtrees those
 * sources match go into the simulator's table: the simulator keeps its table in the agent's
 * process, and all 3.8 MB of the registry would weigh in its memory, not the agent's own.
 */
const IOREGISTRY_CAPTURE = join(REPO, 'test', 'fixtures', 'ioreg', 'm1-mba10_1-macos11.0.1-20B29-ioreg-l-full-ThomasKaiser.txt.gz');

/** The bench bundle's sysctl capture has no memorystatus sysctls: these come from a Mac16,1's `sysctl`. */
const MEMORYSTATUS_CAPTURE = 'applesilicon-mac16_1-24gb-macos26.5-sysctl-memorystatus-sampleA-indexid69173928752.txt';

/**
 * The entries of these classes (or of a subclass, as agxSuperclasses says), each with its children.
 * @param {readonly import('../../agent/parsers/ioreg.js').IoregEntry[]} roots
 * @param {readonly string[]} classes
 */
function subtreesMatching(roots, classes) {
  const found = [];
  const walk = (entry) => {
    if ([entry.className, ...agxSuperclasses(entry)].some((c) => classes.includes(c))) found.push(entry);
    else for (const child of entry.children) walk(child);
  };
  for (const entry of roots) walk(entry);
  return found;
}

/**
 * A build of the agent installed in `root` as on a Mac: its dist/ folder (this checkout's, or
 * another build's), package.json, and the glue compiled against the simulated kernels as
 * build/Release/smc.node. The simulated kernels' tables are what makeMacInstall's env points at.
 * @param {string} root
 * @param {string} [dist] a built dist/ folder
 */
export async function installBuild(root, dist = join(REPO, 'dist')) {
  cpSync(dist, join(root, 'dist'), { recursive: true });
  copyFileSync(join(REPO, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  mkdirSync(join(root, 'build', 'Release'), { recursive: true });
  copyFileSync(await buildTestAddon('simulated-iokit'), join(root, 'build', 'Release', 'smc.node'));
}

/**
 * @param {{ dir: string }} bundle the benchmark bundle (smc.txt and vm_stat.txt in it)
 * @returns {Promise<{ cli: string, compiledCli: string, env: Record<string, string>, cleanup: () => void }>}
 *   cli: the bundle the installed command and the service run; compiledCli: dist/agent/cli.js, the
 *   files the bundle is built from, for comparison
 */
export async function makeMacInstall(bundle) {
  const root = mkdtempSync(join(tmpdir(), 'macos-agent-bench-mac-'));
  await installBuild(root);

  const { parseSmcDump } = await import(pathToFileURL(join(DIST, 'parsers', 'smc-dump.js')).href);
  const { parseVmStat } = await import(pathToFileURL(join(DIST, 'parsers', 'vm_stat.js')).href);
  const { parseSwapUsage, parseSysctl } = await import(pathToFileURL(join(DIST, 'parsers', 'sysctl.js')).href);
  const smcTable = writeSimulationTable(root, parseSmcDump(readFileSync(join(bundle.dir, 'smc.txt'), 'utf8')).entries);
  const hostTable = writeHostTable(root, hostStatisticsOf(parseVmStat(readFileSync(join(bundle.dir, 'vm_stat.txt'), 'utf8'))));
  const memorystatus = parseSysctl(readFileSync(requireFixture(MEMORYSTATUS_CAPTURE), 'utf8'));
  const sysctlTable = writeSysctlTable(root, {
    ...hostSysctlsOf(parseSysctl(readFileSync(join(bundle.dir, 'sysctl.txt'), 'utf8')), parseSwapUsage),
    memorystatus: { vmPressureLevel: Number(memorystatus.get('kern.memorystatus_vm_pressure_level')), level: Number(memorystatus.get('kern.memorystatus_level')) },
  });
  const { parseNetstat } = await import(pathToFileURL(join(DIST, 'parsers', 'netstat.js')).href);
  const { parseNotifyutilThermalPressure } = await import(pathToFileURL(join(DIST, 'parsers', 'thermal-pressure.js')).href);
  const ifmibTable = writeIfmibTable(root, parseNetstat(readFileSync(join(bundle.dir, 'netstat.txt'), 'utf8')).interfaces);
  const { parseIoreg } = await import(pathToFileURL(join(DIST, 'parsers', 'ioreg.js')).href);
  const registry = parseIoreg(gunzipSync(readFileSync(IOREGISTRY_CAPTURE)).toString('latin1')).roots;
  // The classes the disk, GPU and battery sources match, as the sources declare them.
  const queries = await Promise.all(['disk', 'gpu', 'battery'].map((s) => import(pathToFileURL(join(DIST, 'sources', `${s}.js`)).href)));
  const classes = [queries[0].DISK_QUERY, queries[1].GPU_QUERY, queries[2].BATTERY_QUERY].map((q) => q.className);
  const registryTable = writeRegistryTable(root, subtreesMatching(registry, classes), { superclasses: agxSuperclasses });
  const notifyTable = writeNotifyTable(root, parseNotifyutilThermalPressure(readFileSync(join(bundle.dir, 'notifyutil.txt'), 'utf8')).level);
  return {
    cli: join(root, 'dist', 'macos-agent.js'),
    compiledCli: join(root, 'dist', 'agent', 'cli.js'),
    env: {
      SIMULATED_SMC_TABLE: smcTable, SIMULATED_HOST_VM: hostTable, SIMULATED_SYSCTL: sysctlTable,
      SIMULATED_IFMIB: ifmibTable, SIMULATED_NOTIFY: notifyTable, SIMULATED_IOREGISTRY: registryTable,
    },
    // The addon build stays in the tests' build cache (test/native/simulated-smc.ts).
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
