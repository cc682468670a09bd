import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSmcDump } from '../agent/parsers/smc-dump.js';
import { discoverKeys } from '../agent/smc/keys.js';
import { isCandidateKey, planSmcReadings, readSmcCycle } from '../agent/smc/readings.js';
import { RecordedSmc } from '../agent/smc/recorded.js';
import { classifyTemperature, implausibility } from '../agent/smc/sensors.js';
import type { Point } from '../agent/metrics/catalog.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'smc');
const DEFAULT_WINDOW = { min: 15, max: 130 };

function recorded(file: string): RecordedSmc {
  return new RecordedSmc(parseSmcDump(readFileSync(join(FIXTURES, file), 'utf8')), file);
}

function cycle(file: string, window = DEFAULT_WINDOW, fanCount?: number) {
  const smc = recorded(file);
  const plan = planSmcReadings(discoverKeys(smc, isCandidateKey).keys, fanCount);
  return { plan, ...readSmcCycle(smc, plan, window) };
}

const find = (points: readonly Point[], metric: string, attrs: Record<string, string>) =>
  points.find((p) => p.metric === metric && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));

describe('classifying temperature keys', () => {
  it('groups and names the sensors of a real Intel key list (MacBookPro16,1)', () => {
    const { plan } = cycle('intel-MacBookPro16_1-smcread-dump-virtualsmc.txt');
    const byKey = new Map(plan.temperatures.map((t) => [t.info.key, t.sensor]));
    expect(byKey.get('TC0P')).toEqual({ key: 'TC0P', group: 'cpu', name: 'CPU proximity', location: 'proximity' });
    expect(byKey.get('TC3C')).toEqual({ key: 'TC3C', group: 'cpu', name: 'CPU core 3', location: 'die' });
    expect(byKey.get('TG0P')).toEqual({ key: 'TG0P', group: 'gpu', name: 'GPU 0 proximity', location: 'proximity' });
    expect(byKey.get('TM0P')?.group).toBe('memory');
    expect(byKey.get('TB1T')).toEqual({ key: 'TB1T', group: 'battery', name: 'battery 1' });
    expect(byKey.get('TH0a')?.group).toBe('storage');
    expect(byKey.get('TaLC')?.group).toBe('airflow');
    expect(byKey.get('Ts0P')).toEqual({ key: 'Ts0P', group: 'other', name: 'palm rest 0', location: 'palm rest' });
    const groups: Record<string, number> = {};
    for (const t of plan.temperatures) groups[t.sensor.group] = (groups[t.sensor.group] ?? 0) + 1;
    // 50 sp78 T keys: 16 TC, 8 TG, 1 TM, 3 TB, 6 TH, TA0V/TaLC/TaRC, and 13 others (TF0S, TPCD, TT*, TW0P, Th*, Tm0P, Ts*)
    expect(groups).toEqual({ cpu: 16, gpu: 8, memory: 1, battery: 3, storage: 6, airflow: 3, other: 13 });
  });

  it('takes only T keys of a temperature type (the Intel dumps hold T keys typed ui8, ui16, hex_)', () => {
    const infos = [
      { key: 'TCFC', type: 'ui16', size: 2, attributes: 0xc0 },
      { key: 'TH0o', type: 'hex_', size: 2, attributes: 0xc0 },
      { key: 'TG0s', type: 'ui8 ', size: 1, attributes: 0x80 },
      { key: 'PSTR', type: 'flt ', size: 4, attributes: 0xc4 },
    ];
    expect(infos.map(classifyTemperature)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('finds no temperature among the flt keys of the M1 fragments (uu*, vo*, x* are not T keys)', () => {
    const keys = ['applesilicon-m1-smc-l-head-FRAGMENT-stats181.txt', 'applesilicon-m1-smc-l-tail-FRAGMENT-stats181.txt']
      .flatMap((f) => discoverKeys(recorded(f)).keys);
    expect(keys.length).toBe(32);
    expect(keys.filter((k) => k.type === 'flt ').length).toBe(15);
    expect(keys.map(classifyTemperature).filter((s) => s !== undefined)).toEqual([]);
  });

  it('names Apple Silicon keys (flt) by block: Tp/Te CPU, Tg GPU, Tm memory, TB battery, TS/TH storage, Ta airflow', () => {
    const flt = (key: string) => classifyTemperature({ key, type: 'flt ', size: 4, attributes: 0 });
    expect(flt('Tp01')).toEqual({ key: 'Tp01', group: 'cpu', name: 'CPU core sensor 01', location: 'die' });
    expect(flt('Te05')).toEqual({ key: 'Te05', group: 'cpu', name: 'CPU efficiency core sensor 05', location: 'die' });
    expect(flt('Tg0f')?.group).toBe('gpu');
    expect(flt('Tm02')?.group).toBe('memory');
    expect(flt('TB1T')?.group).toBe('battery');
    expect(flt('TS0P')?.group).toBe('storage');
    expect(flt('TH0x')?.group).toBe('storage');
    expect(flt('Ta0P')?.group).toBe('airflow');
    expect(flt('TW0P')).toEqual({ key: 'TW0P', group: 'other', name: 'SMC sensor TW0P' });
  });
});

describe('plausibility', () => {
  it('drops the idle sentinels and the -127 °C "no sensor" readings of a real iMac, counted by key and reason', () => {
    const { points, dropped } = cycle('intel-iMac19_1-smcread-dump-virtualsmc.txt');
    expect(find(points, 'temperature', { 'hw.id': 'TA0P' })).toBeUndefined();
    expect(dropped.find((d) => d.key === 'TA0P')).toMatchObject({ hwId: 'TA0P', reason: 'below_min', detail: '8.5 outside 15..130' });
    expect(dropped.find((d) => d.key === 'TH0A')).toMatchObject({ reason: 'below_min', detail: '-127 outside 15..130' });
    expect(points.every((p) => p.metric !== 'temperature' || (p.value >= 15 && p.value <= 130))).toBe(true);
  });

  it('follows the configured window', () => {
    const wide = cycle('intel-iMac19_1-smcread-dump-virtualsmc.txt', { min: 5, max: 130 });
    expect(find(wide.points, 'temperature', { 'hw.id': 'TA0P' })?.value).toBe(8.5);
    const vm = cycle('intel-VMware8_5-smcread-dump-virtualsmc.txt', { min: 15, max: 100 });
    expect(vm.dropped.find((d) => d.key === 'TCPG')).toMatchObject({ reason: 'above_max', detail: '103 outside 15..100' });
    expect(find(vm.points, 'temperature', { 'hw.id': 'TC0G' })?.value).toBe(99);
  });

  it('a negative ioft reading is dropped as below_min, not above_max (the MacBookPro16,3 dump with TDFR set to c4 4e ea ff ff ff ff ff, handmade)', () => {
    const file = 'intel-MacBookPro16_3-smcread-dump-virtualsmc.txt';
    const dump = parseSmcDump(readFileSync(join(FIXTURES, file), 'utf8'));
    const negative = Uint8Array.from([0xc4, 0x4e, 0xea, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const smc = new RecordedSmc({ ...dump, entries: dump.entries.map((e) => (e.key === 'TDFR' ? { ...e, bytes: negative } : e)) }, file);
    const { dropped, points } = readSmcCycle(smc, planSmcReadings(discoverKeys(smc, isCandidateKey).keys, undefined), DEFAULT_WINDOW);
    expect(dropped.find((d) => d.key === 'TDFR')).toMatchObject({ reason: 'below_min', detail: expect.stringMatching(/^-21\.69\d* outside 15\.\.130$/) });
    expect(find(points, 'temperature', { 'hw.id': 'TDFR' })).toBeUndefined();
  });

  it('never exports a non-number', () => {
    expect(implausibility(Number.NaN, DEFAULT_WINDOW)).toBe('not_a_number');
    expect(implausibility(Number.POSITIVE_INFINITY, DEFAULT_WINDOW)).toBe('not_a_number');
    expect(implausibility(40, DEFAULT_WINDOW)).toBeUndefined();
  });
});

describe('fans, system power and group summaries', () => {
  it('reads both fans of a MacBookPro16,1 (flt) with their limits, and PSTR', () => {
    const { points, plan } = cycle('intel-MacBookPro16_1-smcread-dump-virtualsmc.txt', DEFAULT_WINDOW, 2);
    expect(plan.fans.map((f) => f.id)).toEqual(['fan0', 'fan1']);
    expect(find(points, 'fanSpeed', { 'hw.id': 'fan0' })?.value).toBeCloseTo(1849.882, 3);
    expect(find(points, 'fanSpeed', { 'hw.id': 'fan1' })?.value).toBeCloseTo(1702.095, 3);
    expect(find(points, 'fanSpeedLimit', { 'hw.id': 'fan1', 'hw.limit_type': 'min' })?.value).toBe(1700);
    expect(find(points, 'fanSpeedLimit', { 'hw.id': 'fan1', 'hw.limit_type': 'max' })?.value).toBe(4905);
    expect(find(points, 'hostPower', { 'hw.id': 'system' })?.value).toBeCloseTo(6.9511, 4);
  });

  it('reads fpe2 fans and sp78 PSTR of an older Mac (MacBookPro11,1), finding the fans without FNum', () => {
    const { points } = cycle('intel-MacBookPro11_1-smcread-dump-virtualsmc.txt');
    expect(points.filter((p) => p.metric === 'fanSpeed' || p.metric === 'fanSpeedLimit' || p.metric === 'hostPower')).toEqual([
      { metric: 'fanSpeed', value: 1298, attributes: { 'hw.id': 'fan0' } },
      { metric: 'fanSpeedLimit', value: 1299, attributes: { 'hw.id': 'fan0', 'hw.limit_type': 'min' } },
      { metric: 'fanSpeedLimit', value: 6199, attributes: { 'hw.id': 'fan0', 'hw.limit_type': 'max' } },
      { metric: 'hostPower', value: 13.90625, attributes: { 'hw.id': 'system' } },
    ]);
  });

  it('exports a stopped fan (0 rpm is a reading, not a missing value)', () => {
    const { points } = cycle('intel-MacBookPro16_3-smcread-dump-virtualsmc.txt', DEFAULT_WINDOW, 1);
    expect(find(points, 'fanSpeed', { 'hw.id': 'fan0' })?.value).toBe(0);
  });

  it('summarises each group as max and mean of its plausible sensors', () => {
    const { points } = cycle('intel-MacBookPro16_1-smcread-dump-virtualsmc.txt');
    const cpu = points.filter((p) => p.metric === 'temperature' && String(p.attributes['hw.id']).startsWith('TC'));
    // 16 TC keys, less TC0T (0.24 °C), TC7C and TC8C (-127 °C: cores this CPU does not have)
    expect(cpu.length).toBe(13);
    expect(find(points, 'temperatureMax', { 'macos.sensor.group': 'cpu' })?.value).toBe(49);
    expect(find(points, 'temperatureMean', { 'macos.sensor.group': 'cpu' })?.value).toBeCloseTo(cpu.reduce((a, p) => a + p.value, 0) / cpu.length, 10);
    expect(points.some((p) => p.attributes['macos.sensor.group'] === 'other')).toBe(false);
  });
});
