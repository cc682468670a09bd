// The disk, gpu and battery sources through the real addon glue (native/ioregistry_iokit.cc and
// native/ioregistry_binding.cc compiled against a simulated I/O Registry that answers from the
// real full `ioreg -l` of an M1 MacBook Air), against the ioreg text path on the bundle files cut
// from the same capture: both give the same typed samples and the same points.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../agent/config.js';
import { registryEntriesOf } from '../agent/native/ioregistry.js';
import { acceleratorSampleOf } from '../agent/parsers/ioreg-accelerator.js';
import { batterySampleOf, findBattery } from '../agent/parsers/ioreg-battery.js';
import { storageSampleOf } from '../agent/parsers/ioreg-storage.js';
import { parseIoreg, type IoregEntry } from '../agent/parsers/ioreg.js';
import { BATTERY_QUERY, createBatterySource } from '../agent/sources/battery.js';
import { createDiskSource, DISK_QUERY } from '../agent/sources/disk.js';
import { createGpuSource, GPU_QUERY } from '../agent/sources/gpu.js';
import type { RegistryQuery } from '../agent/sources/io-registry.js';
import { SourceError, type Source, type SourceContext } from '../agent/sources/source.js';
import { catScript } from './helpers/fake-bin.js';
import { REPO } from './helpers/cli.js';
import { useAddonHarness } from './native/addon-harness.js';
import { agxSuperclasses, useRegistrySimulation, writeRegistryTable } from './native/simulated-ioregistry.js';

const CAPTURE = join(REPO, 'test', 'fixtures', 'ioreg', 'm1-mba10_1-macos11.0.1-20B29-ioreg-l-full-ThomasKaiser.txt.gz');
const BUNDLE = join(REPO, 'test', 'fixtures', 'bundles', 'm1-macbookair');
const full = parseIoreg(gunzipSync(readFileSync(CAPTURE)).toString('latin1')).roots;
const textRoots = (file: string): IoregEntry[] => parseIoreg(readFileSync(join(BUNDLE, file), 'utf8')).roots;
const superclasses = agxSuperclasses;
/** An ioreg that fails the collection if run: the addon path must not spawn it. */
const FORBIDDEN_IOREG = '#!/bin/sh\necho "ioreg must not run" >&2\nexit 1\n';

const { work, simulatedAddon, unsupportedAddon, putOnPath } = useAddonHarness('io-registry', 'SIMULATED_IOREGISTRY');
let fullTable = '';
beforeAll(() => {
  fullTable = writeRegistryTable(work, full, { superclasses });
});

interface RegistryAddon {
  readRegistry(className: string, keys: readonly string[], childKeys: readonly string[]): unknown;
}

function read(query: RegistryQuery): IoregEntry[] {
  const addon = createRequire(import.meta.url)(simulatedAddon()) as RegistryAddon;
  return registryEntriesOf(addon.readRegistry(query.className, query.keys, query.childKeys));
}

function context(logs?: object[], replayDir?: string): SourceContext {
  const log = logs === undefined ? pino({ level: 'silent' }) : pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as object) });
  return { config: loadConfig({ env: {} }).config, mode: 'once', log, ...(replayDir !== undefined && { replayDir }) };
}

type Create = (ctx: SourceContext, opts: { addonPath?: string }) => Source;
const SOURCES: [string, Create][] = [['disk', createDiskSource], ['gpu', createGpuSource], ['battery', createBatterySource]];

describe('readRegistry on the simulated registry of the real capture', () => {
  it('IOBlockStorageDriver: the same sample as ioreg\'s text, the BSD name read from the IOMedia child', () => {
    useRegistrySimulation(work, fullTable);
    const fromAddon = storageSampleOf(read(DISK_QUERY));
    expect(fromAddon).toEqual(storageSampleOf(textRoots('ioreg-storage.txt')));
    expect(fromAddon.disks.map((d) => d.device)).toEqual(['disk0']);
  });

  it('IOAccelerator (matched through its subclass AGXAcceleratorG13G_B0): the same sample as ioreg\'s text', () => {
    useRegistrySimulation(work, fullTable);
    const fromAddon = acceleratorSampleOf(read(GPU_QUERY));
    expect(fromAddon).toEqual(acceleratorSampleOf(textRoots('ioreg-accelerator.txt')));
    expect(fromAddon.gpus[0]).toMatchObject({ name: 'Apple M1', memoryAllocatedBytes: 2411806720 });
  });

  it('AppleSmartBattery: the same sample as ioreg\'s text', () => {
    useRegistrySimulation(work, fullTable);
    const fromAddon = batterySampleOf(findBattery(read(BATTERY_QUERY))!);
    expect(fromAddon).toEqual(batterySampleOf(findBattery(textRoots('ioreg-battery.txt'))!));
    expect(fromAddon).toMatchObject({ designCapacityMah: 4382, voltageV: 12.963 });
  });

  it('hands out raw values: a count past 2^53 as the bigint ioreg prints, data as bytes, nested dictionaries and arrays', () => {
    useRegistrySimulation(work, fullTable);
    const [battery] = read({ ...BATTERY_QUERY, keys: ['AdapterDetails', 'ManufacturerData', 'ChargerData'] });
    const adapter = battery!.properties['AdapterDetails'] as Record<string, unknown>;
    expect(adapter['FamilyCode']).toBe(18446744073172697098n);
    expect((adapter['UsbHvcMenu'] as unknown[])[0]).toEqual({ Index: 0, MaxCurrent: 11637, MaxVoltage: 56908 });
    expect(Buffer.from(battery!.properties['ManufacturerData'] as Uint8Array).toString('hex')).toBe('00000000100200012735000003313731033030320341544c003c000000000000');
    expect((battery!.properties['ChargerData'] as Record<string, unknown>)['ChargerID']).toBe(18446744073709551615n);
  });

  it('releases every CoreFoundation object it creates', () => {
    const sim = useRegistrySimulation(work, fullTable);
    read(DISK_QUERY);
    read(GPU_QUERY);
    read(BATTERY_QUERY);
    const calls = sim.calls();
    const created = calls.filter((c) => c.startsWith('create ')).length;
    expect(created).toBe(2 * (1 + 1 + 2 + BATTERY_QUERY.keys.length));
    expect(calls.filter((c) => c === 'release')).toHaveLength(created);
  });
});

describe('the sources through the addon', () => {
  it.each(SOURCES)('%s: the same points as --replay of the bundle, and no ioreg process', async (_name, create) => {
    useRegistrySimulation(work, fullTable);
    putOnPath({ ioreg: FORBIDDEN_IOREG });
    const fromAddon = await create(context(), { addonPath: simulatedAddon() }).collect();
    const fromText = await create(context(undefined, BUNDLE), {}).collect();
    expect(fromAddon).toEqual(fromText);
    expect(fromAddon.length).toBeGreaterThan(4);
  });

  it('without the addon (built off macOS) runs ioreg instead, and says so once', async () => {
    putOnPath({ ioreg: catScript(join(BUNDLE, 'ioreg-storage.txt')) });
    const logs: object[] = [];
    const source = createDiskSource(context(logs), { addonPath: unsupportedAddon() });
    const first = await source.collect();
    expect(await source.collect()).toEqual(first);
    expect(first).toContainEqual({ metric: 'diskIo', value: 14160125952, attributes: { 'system.device': 'disk0', 'disk.io.direction': 'read' } });
    const fallbacks = logs.filter((l) => String((l as { msg?: string }).msg).startsWith('running ioreg every collection'));
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]).toMatchObject({ reason: 'the I/O Registry is only available on macOS' });
  });

  it('a failing IOServiceGetMatchingServices fails the collection with its kern_return_t; ioreg is not run instead', async () => {
    useRegistrySimulation(work, writeRegistryTable(work, full, { superclasses, failure: -536870199 }));
    putOnPath({ ioreg: FORBIDDEN_IOREG });
    const source = createGpuSource(context(), { addonPath: simulatedAddon() });
    const error = await source.collect().catch((e: unknown) => e) as SourceError;
    expect(error).toBeInstanceOf(SourceError);
    expect(error.message).toMatch(/^IOServiceGetMatchingServices\(IOAccelerator\) returned kern_return_t 0xE00002C9 — GPU statistics cannot be read/);
  });

  it('a registry without AppleSmartBattery (a desktop): the battery source says there is none', async () => {
    const desktop = full.map(function withoutBattery(e: IoregEntry): IoregEntry {
      return { ...e, children: e.children.filter((c) => c.className !== 'AppleSmartBattery').map(withoutBattery) };
    });
    useRegistrySimulation(work, writeRegistryTable(work, desktop, { superclasses }));
    putOnPath({ ioreg: FORBIDDEN_IOREG });
    const error = await createBatterySource(context(), { addonPath: simulatedAddon() }).collect().catch((e: unknown) => e) as SourceError;
    expect(error.kind).toBe('missing');
    expect(error.message).toMatch(/^this Mac has no battery \(no AppleSmartBattery in the I\/O Registry\)/);
  });
});
