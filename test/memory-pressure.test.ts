// Memory pressure: the parsers against real `memory_pressure` and `sysctl` captures, and the
// memory_pressure source through the real addon code (native/memory_pressure_darwin.cc +
// native/binding_kernel.cc compiled against a simulated sysctlbyname), with the fallback to
// running sysctl and memory_pressure when the addon cannot answer.
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../agent/config.js';
import { memoryPressureFromHost, parseMemoryPressure, pressureLevelFromSysctl } from '../agent/parsers/memory-pressure.js';
import { parseSysctl } from '../agent/parsers/sysctl.js';
import { createMemoryPressureSource, memoryPressurePoints } from '../agent/sources/memory-pressure.js';
import { SourceError, type Source } from '../agent/sources/source.js';
import { catScript } from './helpers/fake-bin.js';
import { useAddonHarness } from './native/addon-harness.js';
import { useSysctlSimulation } from './native/simulated-sysctl.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const read = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');
const MAC_MINI = 'memory_pressure/applesilicon-macmini-32gb-2026-openclaw-report.txt';
const M1_PRO = 'memory_pressure/m1pro-mbp18_1-16gb-macos15.7.5-agenttranscript.txt';
/** `sysctl` of a Mac16,1 under pressure: kern.memorystatus_vm_pressure_level 2, kern.memorystatus_level 38. */
const SAMPLE_A = 'memorystatus/applesilicon-mac16_1-24gb-macos26.5-sysctl-memorystatus-sampleA-indexid69173928752.txt';
/** The same Mac, another minute: kern.memorystatus_level 37 beside memory_pressure's "37%". */
const SIDE_BY_SIDE = 'memorystatus/applesilicon-mac16_1-24gb-macos26.5-memorystatus-and-memory_pressure-indexid69100271312.txt';
const FORBIDDEN = '#!/bin/sh\necho "must not run" >&2\nexit 1\n';
const { work, simulatedAddon, unsupportedAddon, putOnPath } = useAddonHarness('memory-pressure', 'SIMULATED_SYSCTL');

describe('parsing', () => {
  it('reads the free percentage of real memory_pressure output: 90% on a 32 GB Mac mini, 38% on a 16 GB M1 Pro', () => {
    expect(parseMemoryPressure(read(MAC_MINI))).toEqual({ freeRatio: 0.9, rejected: [] });
    expect(parseMemoryPressure(read(M1_PRO))).toEqual({ freeRatio: 0.38, rejected: [] });
  });

  it('reads the level sysctl prints: 2 (warning) on the Mac16,1', () => {
    expect(pressureLevelFromSysctl(parseSysctl(read(SAMPLE_A)))).toEqual({ level: 2, rejected: [] });
  });

  it('kern.memorystatus_level is the number memory_pressure prints (the Mac16,1 printed both at once)', () => {
    const text = read(SIDE_BY_SIDE);
    const sysctl = parseSysctl(text.split('\n').filter((l) => l.startsWith('kern.')).join('\n'));
    const fromKernel = memoryPressureFromHost({ vmPressureLevel: 2, memorystatusLevel: Number(sysctl.get('kern.memorystatus_level')) });
    expect(fromKernel.freeRatio).toBe(parseMemoryPressure(text).freeRatio);
    expect(fromKernel).toEqual({ level: 2, freeRatio: 0.37, rejected: [] });
  });

  it('has no value when the line or the sysctl is absent; says why when one is not a level or a percentage (handmade)', () => {
    expect(parseMemoryPressure('The system has 17179869184 (1048576 pages with a page size of 16384).\n')).toEqual({ rejected: [] });
    expect(pressureLevelFromSysctl(parseSysctl('hw.memsize: 8589934592\n'))).toEqual({ rejected: [] });
    expect(parseMemoryPressure('System-wide memory free percentage: 140%\n').rejected).toEqual(['memory free percentage "140%" is not a whole percentage from 0 to 100']);
    expect(pressureLevelFromSysctl(parseSysctl('kern.memorystatus_vm_pressure_level: 3\n')).rejected)
      .toEqual(['kern.memorystatus_vm_pressure_level "3" is not a pressure level (expected 1 normal, 2 warning or 4 critical)']);
    expect(memoryPressureFromHost({ vmPressureLevel: 0, memorystatusLevel: -1 })).toEqual({ rejected: [
      'kern.memorystatus_vm_pressure_level 0 is not a pressure level (expected 1 normal, 2 warning or 4 critical)',
      'memory free percentage -1 is not a whole percentage from 0 to 100',
    ] });
  });

  it('makes one point per value, named in the catalog', () => {
    expect(memoryPressurePoints({ level: 4, freeRatio: 0.05, rejected: [] })).toEqual([
      { metric: 'memoryPressureLevel', value: 4, attributes: {} },
      { metric: 'memoryPressureFree', value: 0.05, attributes: {} },
    ]);
  });
});

describe('memory_pressure source', () => {
  function source(addonPath: string, logs?: object[], replayDir?: string): Source {
    const log = pino({ level: 'debug' }, { write: (line: string) => logs?.push(JSON.parse(line) as object) });
    return createMemoryPressureSource({
      config: loadConfig({ env: {} }).config, mode: 'once', log, ...(replayDir !== undefined && { replayDir }),
    }, { addonPath });
  }

  it('reads both sysctls through the addon and runs no process: the Mac16,1\'s level 2 and 38 %', async () => {
    const values = parseSysctl(read(SAMPLE_A));
    useSysctlSimulation(mkdtempSync(join(work, 'run-')), {
      memorystatus: { vmPressureLevel: Number(values.get('kern.memorystatus_vm_pressure_level')), level: Number(values.get('kern.memorystatus_level')) },
    });
    putOnPath({ sysctl: FORBIDDEN, memory_pressure: FORBIDDEN });
    const logs: object[] = [];
    expect(await source(simulatedAddon(), logs).collect()).toEqual(memoryPressurePoints({ level: 2, freeRatio: 0.38, rejected: [] }));
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'reading memory pressure with sysctlbyname (no sysctl and memory_pressure process per collection)' }));
  });

  it('a kernel without the sysctls (ENOENT) makes it run sysctl and memory_pressure, said once', async () => {
    useSysctlSimulation(mkdtempSync(join(work, 'run-')), { memsize: 8589934592 });
    putOnPath({ sysctl: catScript(join(FIXTURES, SAMPLE_A)), memory_pressure: catScript(join(FIXTURES, M1_PRO)) });
    const logs: object[] = [];
    const s = source(simulatedAddon(), logs);
    expect(await s.collect()).toEqual(memoryPressurePoints({ level: 2, freeRatio: 0.38, rejected: [] }));
    expect(await s.collect()).toHaveLength(2);
    const fallbacks = logs.filter((l) => /running sysctl and memory_pressure every collection/.test((l as { msg: string }).msg));
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]).toMatchObject({ reason: expect.stringContaining('kern.memorystatus_vm_pressure_level failed: errno 2') });
  });

  it('off macOS with neither command, fails as missing, naming both', async () => {
    putOnPath({});
    const error = await source(unsupportedAddon()).collect().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'missing', message: expect.stringMatching(/sysctl not found on PATH.*memory_pressure not found on PATH/) });
  });

  it('keeps the value it has when the other command fails, and says so once', async () => {
    putOnPath({ sysctl: '#!/bin/sh\necho "sysctl: unknown oid" >&2\nexit 1\n', memory_pressure: catScript(join(FIXTURES, MAC_MINI)) });
    const logs: object[] = [];
    const s = source(unsupportedAddon(), logs);
    expect(await s.collect()).toEqual(memoryPressurePoints({ freeRatio: 0.9, rejected: [] }));
    await s.collect();
    expect(logs.filter((l) => /sysctl kern.memorystatus_vm_pressure_level exited \(code 1\)/.test((l as { msg: string }).msg))).toHaveLength(1);
  });

  it('replays the level from sysctl.txt and the percentage from memory_pressure.txt', async () => {
    const bundle = join(FIXTURES, 'bundles', 'pressure-network');
    expect(await source(unsupportedAddon(), undefined, bundle).collect()).toEqual(memoryPressurePoints({ level: 2, freeRatio: 0.37, rejected: [] }));
  });
});
