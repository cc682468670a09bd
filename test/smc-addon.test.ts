// The macOS glue (native/smc_iokit.cc + native/binding.cc), compiled on Linux against a
// simulated AppleSMC that answers from real SMC dumps: struct layout, FourCC encoding, the call
// sequence, the key walk by index, not-found and error results, through the real addon code path.
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../agent/config.js';
import { parseSmcDump, type SmcDump } from '../agent/parsers/smc-dump.js';
import { openNativeSmc, SMC_ONLY_ON_MACOS } from '../agent/smc/addon.js';
import { readFullDump } from '../agent/smc/dump.js';
import { createSmcSource } from '../agent/sources/smc.js';
import { SourceError } from '../agent/sources/source.js';
import { buildTestAddon, useSimulation, writeSimulationTable, type SimulationFaults } from './native/simulated-smc.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'smc');
const dump = (name: string): SmcDump => parseSmcDump(readFileSync(join(FIXTURES, name), 'utf8'));
const MBP16_1 = dump('intel-MacBookPro16_1-smcread-dump-virtualsmc.txt');
const IMAC19_1 = dump('intel-iMac19_1-smcread-dump-virtualsmc.txt');

let simulatedAddon: string;
let unsupportedAddon: string;
const work = mkdtempSync(join(tmpdir(), 'macos-agent-smc-sim-'));

function simulate(source: SmcDump, faults: SimulationFaults = {}): { calls: () => string[] } {
  const dir = mkdtempSync(join(work, 'run-'));
  return useSimulation(dir, writeSimulationTable(dir, source.entries, faults));
}

interface RawConnection {
  service: string;
  keyCount(): number;
  keyAtIndex(i: number): string | undefined;
  keyInfo(key: string): { type: string; size: number; attributes: number } | undefined;
  read(key: string, size: number): Buffer | undefined;
  close(): void;
}

function rawConnection(): RawConnection {
  const addon = createRequire(import.meta.url)(simulatedAddon) as { SmcConnection: new () => RawConnection };
  return new addon.SmcConnection();
}

beforeAll(async () => {
  [simulatedAddon, unsupportedAddon] = await Promise.all([buildTestAddon('simulated-iokit'), buildTestAddon('unsupported')]);
});

describe('opening the SMC', () => {
  it('tries AppleSMCKeysEndpoint, then AppleSMC, opens it for its own task and releases the service', () => {
    const sim = simulate(MBP16_1, { service: 'AppleSMC' });
    const conn = rawConnection();
    expect(conn.service).toBe('AppleSMC');
    conn.close();
    expect(sim.calls()).toEqual([
      'IOServiceMatching AppleSMCKeysEndpoint',
      'IOServiceGetMatchingService AppleSMCKeysEndpoint -> none',
      'IOServiceMatching AppleSMC',
      'IOServiceGetMatchingService AppleSMC -> found',
      'IOServiceOpen task=self type=0 -> 0x00000000',
      'IOObjectRelease service',
      'IOServiceClose ok',
    ]);
  });

  it('opens AppleSMCKeysEndpoint first where it exists (Apple Silicon)', () => {
    const sim = simulate(MBP16_1, { service: 'AppleSMCKeysEndpoint' });
    const smc = openNativeSmc({ addonPath: simulatedAddon });
    expect(smc.description).toBe('IOKit service AppleSMCKeysEndpoint');
    smc.close();
    expect(sim.calls().filter((c) => c.startsWith('IOServiceMatching'))).toEqual(['IOServiceMatching AppleSMCKeysEndpoint']);
  });

  it('reports an IOServiceOpen failure with its kern_return_t', () => {
    simulate(MBP16_1, { openFailure: 0xe00002c1 });
    expect(() => openNativeSmc({ addonPath: simulatedAddon })).toThrow(SourceError);
    expect(() => openNativeSmc({ addonPath: simulatedAddon })).toThrow(/cannot open the SMC: IOKit returned 0xE00002C1/);
  });

  it('says there is no SMC when neither service exists', () => {
    simulate(MBP16_1, { service: 'IOPlatformExpertDevice' });
    expect(() => openNativeSmc({ addonPath: simulatedAddon })).toThrow(/no AppleSMCKeysEndpoint or AppleSMC service/);
  });

  it('the non-macOS build says the SMC is only available on macOS', () => {
    let error: unknown;
    try {
      openNativeSmc({ addonPath: unsupportedAddon });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).kind).toBe('missing');
    expect((error as SourceError).message).toBe(SMC_ONLY_ON_MACOS);
  });
});

describe('reading keys through the real glue', () => {
  it('walks #KEY keys by index, in the SMC order, and stops at #KEY (hidden keys are not listed)', () => {
    simulate(MBP16_1);
    const conn = rawConnection();
    expect(conn.keyCount()).toBe(897);
    const walked = Array.from({ length: conn.keyCount() }, (_, i) => conn.keyAtIndex(i));
    expect(walked).toEqual(MBP16_1.entries.slice(0, 897).map((e) => e.key));
    expect(() => conn.keyAtIndex(897)).toThrow('cannot read the key at index 897: SMC result 0xB8');
    conn.close();
  });

  it('returns every key info and every readable value of a real dump exactly (layout and FourCC encoding)', () => {
    simulate(IMAC19_1);
    const smc = openNativeSmc({ addonPath: simulatedAddon });
    const full = readFullDump(smc);
    smc.close();
    const publicKeys = IMAC19_1.entries.slice(0, 789);
    expect(full.rows.map((r) => r.info.key)).toEqual(publicKeys.map((e) => e.key));
    expect(full.rows.map((r) => [r.info.type, r.info.size, r.info.attributes])).toEqual(publicKeys.map((e) => [e.type, e.size, e.attributes]));
    const readable = publicKeys.filter((e) => e.bytes !== undefined);
    expect(readable.length).toBeGreaterThan(700);
    for (const e of readable) {
      expect(Buffer.from(full.rows.find((r) => r.info.key === e.key)!.bytes!).toString('hex'), e.key).toBe(Buffer.from(e.bytes!).toString('hex'));
    }
  });

  it('keeps type codes with a NUL byte (smcread shows ui8?) as they are', () => {
    simulate(dump('intel-MacBookPro11_1-smcread-dump-virtualsmc.txt'));
    const conn = rawConnection();
    expect(conn.keyInfo('zCRS')).toEqual({ type: 'ui8\0', size: 1, attributes: 0x11 });
    conn.close();
  });

  it('sends one 80-byte command per primitive: info (9) then read (5) with the size', () => {
    const sim = simulate(MBP16_1);
    const conn = rawConnection();
    const info = conn.keyInfo('TC0P')!;
    expect(info).toEqual({ type: 'sp78', size: 2, attributes: 0xc0 });
    expect([...conn.read('TC0P', info.size)!]).toEqual([0x26, 0x30]);
    conn.close();
    expect(sim.calls().filter((c) => c.startsWith('call'))).toEqual([
      'call command=9 key=TC0P size=0 index=0 -> kr=0x00000000 result=0x00',
      'call command=5 key=TC0P size=2 index=0 -> kr=0x00000000 result=0x00',
    ]);
  });

  it('answers undefined for a key the SMC does not know (result 0x84)', () => {
    simulate(MBP16_1);
    const conn = rawConnection();
    expect(conn.keyInfo('ZZZZ')).toBeUndefined();
    expect(conn.read('ZZZZ', 2)).toBeUndefined();
    conn.close();
  });

  it('reports a key that vanished between discovery and read', () => {
    simulate(MBP16_1, { vanish: ['TC1C'] });
    const smc = openNativeSmc({ addonPath: simulatedAddon });
    const info = smc.keyInfo('TC1C')!;
    expect(info.size).toBe(2);
    expect(smc.read(info)).toEqual({ ok: false, reason: 'vanished', message: 'key TC1C is no longer known to the SMC' });
    smc.close();
  });

  it('reports a wrong size as the SMC result, and refuses a size one read cannot return without calling the SMC', () => {
    const sim = simulate(MBP16_1);
    const conn = rawConnection();
    expect(() => conn.read('TC0P', 4)).toThrow('cannot read key TC0P: SMC result 0x87');
    const before = sim.calls().length;
    expect(() => conn.read('ACKG', 118)).toThrow(RangeError);
    expect(() => conn.read('TC0', 2)).toThrow(TypeError);
    expect(sim.calls().length).toBe(before);
    conn.close();
    simulate(MBP16_1);
    const smc = openNativeSmc({ addonPath: simulatedAddon });
    expect(smc.read({ key: 'TC0P', type: 'sp78', size: 4, attributes: 0 }))
      .toEqual({ ok: false, reason: 'failed', message: 'cannot read key TC0P: SMC result 0x87 (key size mismatch)' });
    smc.close();
  });

  it('reports a failed IOKit call and a key that is not readable', () => {
    simulate(MBP16_1, { fail: { TC2C: 0xe00002c2 } });
    const smc = openNativeSmc({ addonPath: simulatedAddon });
    expect(smc.read(smc.keyInfo('TC2C')!)).toEqual({ ok: false, reason: 'failed', message: 'cannot read key TC2C: IOKit returned 0xE00002C2' });
    expect(smc.read(smc.keyInfo('AC-E')!)).toEqual({ ok: false, reason: 'failed', message: 'cannot read key AC-E: SMC result 0x85 (key not readable)' });
    smc.close();
  });

  it('refuses calls after close', () => {
    simulate(MBP16_1);
    const conn = rawConnection();
    conn.close();
    expect(() => conn.keyCount()).toThrow('the SMC connection is closed');
  });
});

describe('the smc source on the simulated SMC', () => {
  const ctx = () => ({ config: loadConfig({ env: {} }).config, mode: 'daemon' as const, log: pino({ level: 'silent' }) });

  it('discovers once, then reads only the chosen keys each cycle, and counts what it drops', async () => {
    const sim = simulate(MBP16_1, { vanish: ['TC1C'] });
    const source = createSmcSource(ctx(), { addonPath: simulatedAddon });
    const first = await source.collect();
    const afterFirst = sim.calls().length;
    const second = await source.collect();
    await source.stop();

    const value = (metric: string, id: string) => second.find((p) => p.metric === metric && p.attributes['hw.id'] === id)?.value;
    expect(value('temperature', 'TC0P')).toBe(38.1875);
    expect(value('temperature', 'TC1C')).toBeUndefined();
    expect(value('fanSpeed', 'fan0')).toBeCloseTo(1849.88, 2);
    expect(value('hostPower', 'system')).toBeCloseTo(6.951, 3);
    expect(second.find((p) => p.metric === 'smcDroppedReadings' && p.attributes['hw.id'] === 'TC1C'))
      .toEqual({ metric: 'smcDroppedReadings', value: 2, attributes: { 'hw.id': 'TC1C', 'macos.agent.drop_reason': 'unreadable' } });
    expect(first.filter((p) => p.metric === 'temperature').length).toBe(second.filter((p) => p.metric === 'temperature').length);

    const secondCycle = sim.calls().slice(afterFirst, -1);
    expect(secondCycle.every((c) => c.startsWith('call command=5 '))).toBe(true);
    const temperatureKeys = MBP16_1.entries.slice(0, 897).filter((e) => e.key.startsWith('T') && /^(sp..|flt |ioft)$/.test(e.type));
    // temperatures + fan0/fan1 actual, min, max + PSTR
    expect(secondCycle.length).toBe(temperatureKeys.length + 6 + 1);
    expect(sim.calls().at(-1)).toBe('IOServiceClose ok');
  });
});
