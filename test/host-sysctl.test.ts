// Installed memory and swap use read with sysctlbyname instead of a sysctl process: the pure
// decoder against sysctl's text, and the sysctl source through the real addon code
// (native/sysctl_darwin.cc + native/binding.cc compiled against a simulated sysctlbyname), with
// the fallback to running sysctl when the addon cannot answer.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../agent/config.js';
import { sysctlSampleFromHost } from '../agent/parsers/host-sysctl.js';
import { parseSwapUsage, parseSysctl } from '../agent/parsers/sysctl.js';
import { createSysctlSource, hostSysctlPoints, sysctlPoints } from '../agent/sources/sysctl.js';
import { SourceError, type Source } from '../agent/sources/source.js';
import { catScript } from './helpers/fake-bin.js';
import { useAddonHarness } from './native/addon-harness.js';
import { hostSysctlsOf, useSysctlSimulation } from './native/simulated-sysctl.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'sysctl');
const INTEL = join(FIXTURES, 'intel-osx10.14.6-sysctl-a-jc.txt');
const read = (file: string): Map<string, string> => parseSysctl(readFileSync(file, 'latin1'));
const intel = read(INTEL);
// `sysctl hw` and `sysctl vm` of one M1 MacBook Air, each under its command line.
const m1 = new Map([...read(join(FIXTURES, 'm1-mba10_1-8gb-sysctl-hw-asitopgo.txt')), ...read(join(FIXTURES, 'm1-mba10_1-8gb-sysctl-vm-asitopgo.txt'))]);
const { work, simulatedAddon, unsupportedAddon, putOnPath } = useAddonHarness('host-sysctl', 'SIMULATED_SYSCTL');
/** A sysctl that fails the collection if run: the addon path must not spawn it. */
const FORBIDDEN_SYSCTL = '#!/bin/sh\necho "sysctl must not run" >&2\nexit 1\n';

describe('sysctlSampleFromHost', () => {
  it.each([['Intel macOS 10.14.6 `sysctl -a`', intel], ['M1 MacBook Air `sysctl hw` + `sysctl vm`', m1]])(
    '%s: the values and points sysctl prints for the same kernel numbers', (_name, values) => {
      const sample = sysctlSampleFromHost(hostSysctlsOf(values, parseSwapUsage));
      expect(sample).toEqual({ memsize: Number(values.get('hw.memsize')), swap: parseSwapUsage(values.get('vm.swapusage')!), malformed: [] });
      expect(hostSysctlPoints(sample)).toEqual(sysctlPoints(values));
    });

  it('the Intel capture in numbers: 16 GiB installed, 2513.50 MiB of swap used and 558.50 MiB free, encrypted', () => {
    expect(sysctlSampleFromHost(hostSysctlsOf(intel, parseSwapUsage))).toEqual({
      memsize: 17179869184, swap: { totalBytes: 3221225472, usedBytes: 2635595776, freeBytes: 585629696, encrypted: true }, malformed: [],
    });
  });

  it('keeps the kernel bytes that sysctl rounds to 0.01 MiB (handmade: one page more than the Intel capture shows)', () => {
    const kernel = hostSysctlsOf(intel, parseSwapUsage);
    const sample = sysctlSampleFromHost({ ...kernel, swap: { ...kernel.swap, used: 2635595776 + 4096, avail: 585629696 - 4096 } });
    expect(hostSysctlPoints(sample).points.filter((p) => p.metric === 'pagingUsage').map((p) => p.value)).toEqual([2635599872, 585625600]);
  });

  it('leaves out and reports a missing, negative, fractional or unsafe count; never fills it in (handmade)', () => {
    const kernel = hostSysctlsOf(intel, parseSwapUsage);
    expect(sysctlSampleFromHost({ memsize: 2 ** 60, swap: { ...kernel.swap, used: -1, avail: 1.5, total: undefined } })).toEqual({
      memsize: undefined,
      swap: undefined,
      malformed: [
        { line: `hw.memsize ${2 ** 60}`, reason: 'not a count of bytes' },
        { line: 'vm.swapusage xsu_total undefined', reason: 'missing from sysctlbyname' },
        { line: 'vm.swapusage xsu_avail 1.5', reason: 'not a count of bytes' },
        { line: 'vm.swapusage xsu_used -1', reason: 'not a count of bytes' },
      ],
    });
    expect(sysctlSampleFromHost({ memsize: 8589934592, swap: { ...kernel.swap, encrypted: 1 } })).toEqual({
      memsize: 8589934592, swap: undefined, malformed: [{ line: 'vm.swapusage xsu_encrypted 1', reason: 'not a boolean' }],
    });
    expect(sysctlSampleFromHost({}).malformed.map((m) => m.line)).toEqual(['hw.memsize undefined', 'vm.swapusage undefined']);
  });

  it('an absurd but well-formed hw.memsize is rejected by the same rule as the text (handmade)', () => {
    expect(hostSysctlPoints(sysctlSampleFromHost({ ...hostSysctlsOf(intel, parseSwapUsage), memsize: 12 }))).toEqual({
      points: sysctlPoints(intel).points.filter((p) => p.metric !== 'memoryLimit'),
      rejected: ['absurd hw.memsize 12 (expected bytes between 256 MiB and 1 PiB)'],
    });
  });
});

describe('sysctl source on sysctlbyname (the addon compiled against a simulated sysctlbyname)', () => {
  function source(addonPath: string, logs?: object[], parseErrors?: string[]): Source {
    const log = pino({ level: 'debug' }, { write: (line: string) => logs?.push(JSON.parse(line) as object) });
    return createSysctlSource({
      config: loadConfig({ env: {} }).config, mode: 'daemon', log, onParseError: (_s, e) => parseErrors?.push(e.message),
    }, { addonPath });
  }

  async function collectError(s: Source): Promise<SourceError> {
    const error = await s.collect().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }

  it('reads hw.memsize and vm.swapusage and runs no sysctl: the same points as sysctl printing the same numbers', async () => {
    useSysctlSimulation(mkdtempSync(join(work, 'run-')), hostSysctlsOf(intel, parseSwapUsage));
    putOnPath({ sysctl: FORBIDDEN_SYSCTL });
    const logs: object[] = [];
    const points = await source(simulatedAddon(), logs).collect();
    expect(points).toEqual(sysctlPoints(intel).points);
    expect(points).toHaveLength(3);
    expect(logs).toContainEqual(expect.objectContaining({ level: 20, msg: 'reading installed memory and swap use with sysctlbyname (no sysctl process per collection)' }));
  });

  it('follows swap use from one collection to the next', async () => {
    const dir = mkdtempSync(join(work, 'run-'));
    const kernel = hostSysctlsOf(m1, parseSwapUsage);
    useSysctlSimulation(dir, kernel);
    putOnPath({ sysctl: FORBIDDEN_SYSCTL });
    const s = source(simulatedAddon());
    const used = async (): Promise<number | undefined> =>
      (await s.collect()).find((p) => p.metric === 'pagingUsage' && p.attributes?.['system.paging.state'] === 'used')?.value;
    expect(await used()).toBe(3151096709);
    useSysctlSimulation(dir, { ...kernel, swap: { ...kernel.swap!, used: 3221225472, avail: 1073741824 } });
    expect(await used()).toBe(3221225472);
  });

  it('an absurd hw.memsize from the kernel is counted and left out; the swap points remain (handmade)', async () => {
    useSysctlSimulation(mkdtempSync(join(work, 'run-')), { ...hostSysctlsOf(intel, parseSwapUsage), memsize: 12 });
    const parseErrors: string[] = [];
    expect(await source(simulatedAddon(), undefined, parseErrors).collect()).toHaveLength(2);
    expect(parseErrors).toEqual(['sysctl: absurd hw.memsize 12 (expected bytes between 256 MiB and 1 PiB); the point is left out']);
  });

  it('a failing sysctlbyname is a `failed` collection that names the sysctl and errno; it is not replaced by sysctl', async () => {
    useSysctlSimulation(mkdtempSync(join(work, 'run-')), hostSysctlsOf(intel, parseSwapUsage), { fail: { 'vm.swapusage': 12 } });
    putOnPath({ sysctl: catScript(INTEL) });
    const error = await collectError(source(simulatedAddon()));
    expect(error.kind).toBe('failed');
    expect(error.message).toMatch(/^sysctlbyname\("vm.swapusage"\) failed: errno 12 \(Cannot allocate memory\) — installed memory and swap use cannot be read/);
  });

  it('a value of the wrong size is a `failed` collection, not a misread number (handmade)', async () => {
    useSysctlSimulation(mkdtempSync(join(work, 'run-')), hostSysctlsOf(intel, parseSwapUsage), { size: { 'hw.memsize': 4 } });
    const error = await collectError(source(simulatedAddon()));
    expect(error.kind).toBe('failed');
    expect(error.message).toMatch(/^sysctlbyname\("hw.memsize"\) answered 4 bytes, not the size of its type/);
  });

  it('off macOS (the addon built without sysctlbyname) runs sysctl instead, and says so once', async () => {
    putOnPath({ sysctl: catScript(INTEL) });
    const logs: { msg?: string }[] = [];
    const s = source(unsupportedAddon(), logs);
    expect(await s.collect()).toEqual(sysctlPoints(intel).points);
    expect(await s.collect()).toHaveLength(3);
    const said = logs.filter((l) => l.msg?.startsWith('running sysctl every collection'));
    expect(said).toHaveLength(1);
    expect(said[0]?.msg).toBe('running sysctl every collection: the addon cannot use sysctlbyname (hw.memsize and vm.swapusage are only available on macOS)');
  });

  it('with an addon built before readSysctls existed (handmade stand-in), runs sysctl instead', async () => {
    const oldAddon = join(mkdtempSync(join(work, 'old-addon-')), 'smc.cjs');
    writeFileSync(oldAddon, 'module.exports = { readVmStatistics() { throw new Error("not called"); } };\n');
    putOnPath({ sysctl: catScript(INTEL) });
    const logs: { msg?: string }[] = [];
    expect(await source(oldAddon, logs).collect()).toEqual(sysctlPoints(intel).points);
    const said = logs.filter((l) => l.msg?.startsWith('running sysctl every collection'));
    expect(said).toHaveLength(1);
    expect(said[0]?.msg).toMatch(/^running sysctl every collection: the addon cannot use sysctlbyname \(.*readSysctls is not a function\)$/);
  });

  it('with --replay it reads sysctl.txt, not sysctlbyname', async () => {
    useSysctlSimulation(mkdtempSync(join(work, 'run-')), { ...hostSysctlsOf(intel, parseSwapUsage), memsize: 2 ** 30 });
    const dir = mkdtempSync(join(work, 'replay-'));
    copyFileSync(INTEL, join(dir, 'sysctl.txt'));
    const s = createSysctlSource({ config: loadConfig({ env: {} }).config, mode: 'once', log: pino({ level: 'silent' }), replayDir: dir }, { addonPath: simulatedAddon() });
    expect(await s.collect()).toEqual(sysctlPoints(intel).points);
  });
});
