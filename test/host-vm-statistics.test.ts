// The memory counters read from the Mach host (host_statistics64) instead of a vm_stat process:
// the pure decoder against vm_stat's arithmetic, and the vm_stat source through the real addon
// code (native/host_mach.cc + native/binding.cc compiled against a simulated host), with the
// fallback to running vm_stat when the addon cannot answer.
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../agent/config.js';
import { vmStatSampleFromHost, HostVmStatisticsError } from '../agent/parsers/host-vm-statistics.js';
import { parseVmStat } from '../agent/parsers/vm_stat.js';
import { createVmStatSource, vmStatPoints } from '../agent/sources/vm_stat.js';
import { SourceError, type Source } from '../agent/sources/source.js';
import { catScript } from './helpers/fake-bin.js';
import { useAddonHarness } from './native/addon-harness.js';
import { hostStatisticsOf, useHostSimulation } from './native/simulated-host.js';

const CAPTURE = join(import.meta.dirname, 'fixtures', 'vm_stat', 'm1pro-ansible-fixture.txt');
const captured = parseVmStat(readFileSync(CAPTURE, 'utf8'));
const { work, simulatedAddon, unsupportedAddon, putOnPath } = useAddonHarness('host-vm', 'SIMULATED_HOST_VM');

describe('vmStatSampleFromHost', () => {
  it('gives the fields vm_stat prints for the same kernel counters (derived from a real M1 Pro capture)', () => {
    const sample = vmStatSampleFromHost(hostStatisticsOf(captured));
    expect(sample.pageSize).toBe(16384);
    expect(sample.fields).toEqual(captured.fields);
    expect(sample.malformed).toEqual([]);
  });

  it('"Pages free" is free_count minus speculative_count, as vm_stat prints it', () => {
    const sample = vmStatSampleFromHost({ ...hostStatisticsOf(captured), free_count: 1000, speculative_count: 300 });
    expect(sample.fields.free).toBe(700);
    expect(sample.fields.speculative).toBe(300);
  });

  it('leaves out and reports a missing, negative, fractional or absurd count; never fills it in (handmade)', () => {
    const stats: Record<string, unknown> = { ...hostStatisticsOf(captured), faults: -1, pageins: 1.5, swapins: 2 ** 60 };
    delete stats['cow_faults'];
    const sample = vmStatSampleFromHost(stats);
    expect(sample.fields.translationFaults).toBeUndefined();
    expect(sample.fields.pageins).toBeUndefined();
    expect(sample.fields.swapins).toBeUndefined();
    expect(sample.fields.copyOnWrite).toBeUndefined();
    expect(sample.fields.pageouts).toBe(captured.fields.pageouts);
    expect(sample.malformed.map((m) => m.line).sort()).toEqual(['cow_faults undefined', 'faults -1', `pageins 1.5`, `swapins ${2 ** 60}`].sort());
    expect(sample.malformed.find((m) => m.line.startsWith('cow_faults'))?.reason).toBe('missing from host_statistics64');
  });

  it('fewer free pages than speculative ones is reported, not turned into a negative free (handmade)', () => {
    const sample = vmStatSampleFromHost({ ...hostStatisticsOf(captured), free_count: 10, speculative_count: 20 });
    expect(sample.fields.free).toBeUndefined();
    expect(sample.malformed).toEqual([{ line: 'free_count 10 speculative_count 20', reason: 'fewer free pages than speculative ones' }]);
  });

  it('a page size that is not a power of two from 4096 to 65536 is an error that names it', () => {
    expect(() => vmStatSampleFromHost({ ...hostStatisticsOf(captured), page_size: 3000 })).toThrow(HostVmStatisticsError);
    expect(() => vmStatSampleFromHost({ ...hostStatisticsOf(captured), page_size: undefined })).toThrow(/page size undefined/);
  });
});

describe('vm_stat source on the Mach host (the addon compiled against a simulated host)', () => {
  function source(addonPath: string, logs?: object[]): Source {
    const log = pino({ level: 'debug' }, { write: (line: string) => logs?.push(JSON.parse(line) as object) });
    return createVmStatSource({ config: loadConfig({ env: {} }).config, mode: 'daemon', log }, { addonPath });
  }

  it('reads host_statistics64 and runs no vm_stat: the same points as vm_stat printing the same counters', async () => {
    useHostSimulation(mkdtempSync(join(work, 'run-')), hostStatisticsOf(captured));
    // A vm_stat that fails if run: the addon path must not spawn it.
    putOnPath({ vm_stat: '#!/bin/sh\necho "vm_stat must not run" >&2\nexit 1\n' });
    const logs: object[] = [];
    const points = await source(simulatedAddon(), logs).collect();
    expect(points).toEqual(vmStatPoints(captured).points);
    expect(points).toHaveLength(22);
    expect(logs).toContainEqual(expect.objectContaining({ level: 20, msg: 'reading the memory counters with host_statistics64 (no vm_stat process per collection)' }));
  });

  it('follows the counters from one collection to the next', async () => {
    const dir = mkdtempSync(join(work, 'run-'));
    const stats = hostStatisticsOf(captured);
    useHostSimulation(dir, stats);
    const s = source(simulatedAddon());
    const faults = async (): Promise<number | undefined> =>
      (await s.collect()).find((p) => p.metric === 'memoryFaults' && p.attributes?.['macos.memory.fault.type'] === 'translation')?.value;
    expect(await faults()).toBe(2500287752);
    useHostSimulation(dir, { ...stats, faults: 2500290000 });
    expect(await faults()).toBe(2500290000);
  });

  it('a failing host_statistics64 is a `failed` collection that names the kern_return_t; it is not replaced by vm_stat', async () => {
    useHostSimulation(mkdtempSync(join(work, 'run-')), hostStatisticsOf(captured), 5);
    putOnPath({ vm_stat: catScript(CAPTURE) });
    const error = await source(simulatedAddon()).collect().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).kind).toBe('failed');
    expect((error as SourceError).message).toMatch(/host_statistics64\(HOST_VM_INFO64\) returned kern_return_t 5/);
  });

  it('off macOS (the addon built without the Mach host) runs vm_stat instead, and says so once', async () => {
    putOnPath({ vm_stat: catScript(CAPTURE) });
    const logs: { msg?: string }[] = [];
    const s = source(unsupportedAddon(), logs);
    expect(await s.collect()).toEqual(vmStatPoints(captured).points);
    expect(await s.collect()).toHaveLength(22);
    const said = logs.filter((l) => l.msg?.startsWith('running vm_stat every collection'));
    expect(said).toHaveLength(1);
    expect(said[0]?.msg).toBe('running vm_stat every collection: the addon cannot use host_statistics64 (host_statistics64 is only available on macOS)');
  });

  it('with --replay it reads vm_stat.txt, not the host', async () => {
    useHostSimulation(mkdtempSync(join(work, 'run-')), { ...hostStatisticsOf(captured), faults: 1 });
    const dir = mkdtempSync(join(work, 'replay-'));
    copyFileSync(CAPTURE, join(dir, 'vm_stat.txt'));
    const s = createVmStatSource({ config: loadConfig({ env: {} }).config, mode: 'once', log: pino({ level: 'silent' }), replayDir: dir }, { addonPath: simulatedAddon() });
    expect(await s.collect()).toEqual(vmStatPoints(captured).points);
  });
});
