// The disk, gpu and battery sources on the real M1 MacBook Air captures of the shipped bundle
// (cut from a full `ioreg -l`, see fixtures/SOURCES.md): the decoders, the points, the CLI with
// --replay, `capture` with fake ioreg and pmset on PATH, and a machine without them.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildAlertRules } from '../agent/fleet/alerts.js';
import { buildDashboard, type DashboardPanel } from '../agent/fleet/dashboard.js';
import { loadConfig } from '../agent/config.js';
import { acceleratorSampleOf } from '../agent/parsers/ioreg-accelerator.js';
import { batterySampleOf, findBattery } from '../agent/parsers/ioreg-battery.js';
import { storageSampleOf } from '../agent/parsers/ioreg-storage.js';
import { parseIoreg } from '../agent/parsers/ioreg.js';
import { parsePmsetBatt } from '../agent/parsers/pmset-batt.js';
import { createBatterySource } from '../agent/sources/battery.js';
import { SourceError } from '../agent/sources/source.js';
import { USER_MODE_ARGS } from '../agent/service/launchd-plist.js';
import { makeFakeBin, type FakeBin } from './helpers/fake-bin.js';
import { REPO, runCli } from './helpers/cli.js';

const BUNDLE = join(REPO, 'test', 'fixtures', 'bundles', 'm1-macbookair');
const bundleFile = (name: string): string => join(BUNDLE, name);
const roots = (name: string) => parseIoreg(readFileSync(bundleFile(name), 'utf8')).roots;
const ONLY_REGISTRY = ['powermetrics', 'iostat', 'vm_stat', 'sysctl', 'smc', 'memory_pressure', 'network', 'thermal_pressure'].flatMap((s) => ['--set', `sources.${s}.enabled=false`]);

interface OnceJson {
  metrics: { name: string; unit: string; type: string; monotonic?: boolean; points: { attributes: Record<string, string | number>; value: number }[] }[];
  sources: { name: string; ok: boolean; error?: string }[];
}

function values(report: OnceJson): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of report.metrics) {
    if (m.name.startsWith('macos.agent.') || m.name.startsWith('process.')) continue;
    for (const p of m.points) out[`${m.name}{${Object.values(p.attributes).join(',')}}`] = p.value;
  }
  return out;
}

/** Every point the bundle's three ioreg files hold, as --once --replay prints them. */
const BUNDLE_POINTS = {
  'system.disk.io{disk0,read}': 14160125952,
  'system.disk.io{disk0,write}': 3637972992,
  'system.disk.operations{disk0,read}': 615801,
  'system.disk.operations{disk0,write}': 201498,
  'system.disk.operation_time{disk0,read}': 186.691814685,
  'system.disk.operation_time{disk0,write}': 17.152832587,
  'macos.disk.errors{disk0,read}': 0,
  'macos.disk.errors{disk0,write}': 0,
  'macos.disk.retries{disk0,read}': 0,
  'macos.disk.retries{disk0,write}': 0,
  'hw.gpu.utilization{gpu0,Apple M1}': 0,
  'macos.gpu.engine.utilization{gpu0,Apple M1,renderer}': 0,
  'macos.gpu.engine.utilization{gpu0,Apple M1,tiler}': 0,
  'hw.gpu.memory.usage{gpu0,Apple M1}': 6373376,
  'macos.gpu.memory.allocated{gpu0,Apple M1}': 2411806720,
  'hw.battery.charge{InternalBattery-0}': 1,
  'macos.battery.state{InternalBattery-0,charging}': 0,
  'macos.battery.state{InternalBattery-0,discharging}': 0,
  'macos.battery.state{InternalBattery-0,full}': 1,
  'macos.battery.state{InternalBattery-0,not_charging}': 0,
  'macos.battery.capacity{InternalBattery-0,current}': 4349,
  'macos.battery.capacity{InternalBattery-0,full_charge}': 4349,
  'macos.battery.capacity{InternalBattery-0,design}': 4382,
  'macos.battery.health{InternalBattery-0}': 4349 / 4382,
  'macos.battery.cycles{InternalBattery-0}': 1,
  'macos.battery.voltage{InternalBattery-0}': 12.963,
  'macos.battery.current{InternalBattery-0}': 0,
  'macos.battery.temperature{InternalBattery-0}': 29.64,
};

describe('decoding the registry entries of the M1 MacBook Air', () => {
  it('IOBlockStorageDriver: disk0\'s reads and writes apart, time in ns', () => {
    expect(storageSampleOf(roots('ioreg-storage.txt'))).toEqual({
      disks: [{
        device: 'disk0',
        read: { bytes: 14160125952, operations: 615801, timeNs: 186691814685, errors: 0, retries: 0 },
        write: { bytes: 3637972992, operations: 201498, timeNs: 17152832587, errors: 0, retries: 0 },
      }],
      rejected: [],
    });
  });

  it('IOBlockStorageDriver without -l (no IOMedia properties): left out, saying why, never named by guess (handmade)', () => {
    const text = readFileSync(bundleFile('ioreg-storage.txt'), 'utf8').replace('"BSD Name" = "disk0"', '"Leaf" = No');
    expect(storageSampleOf(parseIoreg(text).roots)).toEqual({
      disks: [],
      rejected: ['an IOBlockStorageDriver has no IOMedia child with a "BSD Name" (ioreg needs -l to print it): its statistics are left out'],
    });
  });

  it('IOAccelerator: utilisation as a fraction, memory in bytes', () => {
    expect(acceleratorSampleOf(roots('ioreg-accelerator.txt'))).toEqual({
      gpus: [{ id: 'gpu0', name: 'Apple M1', deviceUtilization: 0, rendererUtilization: 0, tilerUtilization: 0, memoryInUseBytes: 6373376, memoryAllocatedBytes: 2411806720 }],
      rejected: [],
    });
  });

  it('a utilisation over 100 % or a negative count is rejected by name (handmade)', () => {
    const text = readFileSync(bundleFile('ioreg-accelerator.txt'), 'utf8').replace('"Device Utilization %"=0', '"Device Utilization %"=250');
    const sample = acceleratorSampleOf(parseIoreg(text).roots);
    expect(sample.gpus[0]).not.toHaveProperty('deviceUtilization');
    expect(sample.rejected).toEqual(['gpu0 PerformanceStatistics "Device Utilization %" = 250 is not a percentage']);
  });

  it('AppleSmartBattery on macOS 11: percentages in CurrentCapacity/MaxCapacity, mAh in the AppleRaw ones', () => {
    expect(batterySampleOf(findBattery(roots('ioreg-battery.txt'))!)).toEqual({
      charge: 1, currentCapacityMah: 4349, fullChargeCapacityMah: 4349, designCapacityMah: 4382, cycleCount: 1,
      voltageV: 12.963, currentA: 0, temperatureCelsius: 29.64, state: 'full', rejected: [],
    });
  });

  it('a discharging battery: Amperage as the signed 64 bits ioreg prints unsigned, time left from AvgTimeToEmpty (handmade)', () => {
    const text = readFileSync(bundleFile('ioreg-battery.txt'), 'utf8')
      .replace('"Amperage" = 0', '"Amperage" = 18446744073709550616')
      .replace('"ExternalConnected" = Yes', '"ExternalConnected" = No')
      .replace('"AvgTimeToEmpty" = 65535', '"AvgTimeToEmpty" = 317');
    expect(batterySampleOf(findBattery(parseIoreg(text).roots)!)).toMatchObject({ currentA: -1, state: 'discharging', timeLeftSeconds: 317 * 60 });
  });

  it('an Intel laptop before macOS 11 (real `ioreg -l | egrep` lines in a hand-made entry): MaxCapacity is mAh; what is missing is said', () => {
    const lines = readFileSync(join(REPO, 'test', 'fixtures', 'ioreg', 'intel-osx10.9-era-ioreg-l-egrep-capacity-macmonpl.txt'), 'utf8');
    const sample = batterySampleOf(findBattery(parseIoreg(`+-o AppleSmartBattery  <class AppleSmartBattery>\n    | | {\n${lines}    | | }\n`).roots)!);
    expect(sample).toEqual({
      charge: 1, currentCapacityMah: 3555, fullChargeCapacityMah: 3555, designCapacityMah: 5770, cycleCount: 340,
      rejected: ['AppleSmartBattery has no "Voltage"', 'AppleSmartBattery has no "Amperage"', 'AppleSmartBattery has no "Temperature"'],
    });
  });

  it('`pmset -g batt` (the same model, discharging): charge, state and time left', () => {
    expect(parsePmsetBatt(readFileSync(bundleFile('pmset-batt.txt'), 'utf8'))).toEqual({
      drawingFrom: 'Battery Power',
      batteries: [{ name: 'InternalBattery-0', charge: 1, state: 'discharging', timeLeftSeconds: (18 * 60 + 37) * 60 }],
      malformed: [],
    });
  });

  it('`pmset -g batt` on a desktop lists no battery (handmade)', () => {
    expect(parsePmsetBatt("Now drawing from 'AC Power'\n")).toEqual({ drawingFrom: 'AC Power', batteries: [], malformed: [] });
  });
});

describe('the battery source', () => {
  const config = loadConfig({ env: {} }).config;
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a bundle with only pmset-batt.txt: charge, state and time left from pmset', async () => {
    dir = mkdtempSync(join(tmpdir(), 'macos-agent-battery-'));
    copyFileSync(bundleFile('pmset-batt.txt'), join(dir, 'pmset-batt.txt'));
    const points = await createBatterySource({ config, mode: 'once', log: pino({ level: 'silent' }), replayDir: dir }).collect();
    expect(points).toEqual([
      { metric: 'batteryCharge', value: 1, attributes: { 'hw.id': 'InternalBattery-0' } },
      { metric: 'batteryState', value: 0, attributes: { 'hw.id': 'InternalBattery-0', 'hw.battery.state': 'charging' } },
      { metric: 'batteryState', value: 1, attributes: { 'hw.id': 'InternalBattery-0', 'hw.battery.state': 'discharging' } },
      { metric: 'batteryState', value: 0, attributes: { 'hw.id': 'InternalBattery-0', 'hw.battery.state': 'full' } },
      { metric: 'batteryState', value: 0, attributes: { 'hw.id': 'InternalBattery-0', 'hw.battery.state': 'not_charging' } },
      { metric: 'batteryTimeLeft', value: 67020, attributes: { 'hw.id': 'InternalBattery-0', 'hw.battery.state': 'discharging' } },
    ]);
  });

  it('a registry without AppleSmartBattery (a desktop): "no battery", as missing (hand-made ioreg output)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'macos-agent-battery-'));
    writeFileSync(join(dir, 'ioreg-battery.txt'), '');
    const source = createBatterySource({ config, mode: 'once', log: pino({ level: 'silent' }), replayDir: dir });
    const error = await source.collect().catch((e: unknown) => e) as SourceError;
    expect(error).toBeInstanceOf(SourceError);
    expect(error.kind).toBe('missing');
    expect(error.message).toBe('this Mac has no battery (no AppleSmartBattery in the I/O Registry): battery metrics are absent — disable the battery source (sources.battery.enabled=false) to silence this');
  });
});

describe('macos-agent with the I/O Registry sources', () => {
  let fakes: FakeBin | undefined;
  let tmp = '';
  afterEach(() => {
    fakes?.cleanup();
    fakes = undefined;
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
    tmp = '';
  });

  it('--once --replay on the shipped bundle shows every value the captures hold', async () => {
    const r = await runCli(['--once', '--json', '--replay', BUNDLE, ...ONLY_REGISTRY]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as OnceJson;
    expect(report.sources).toEqual([{ name: 'disk', ok: true }, { name: 'gpu', ok: true }, { name: 'battery', ok: true }]);
    const got = values(report);
    expect(Object.keys(got).sort()).toEqual(Object.keys(BUNDLE_POINTS).sort());
    for (const [key, value] of Object.entries(BUNDLE_POINTS)) expect(got[key], key).toBeCloseTo(value, 9);
    expect(report.metrics.find((m) => m.name === 'system.disk.io')).toMatchObject({ unit: 'By', type: 'sum', monotonic: true });
    expect(report.metrics.find((m) => m.name === 'hw.gpu.utilization')).toMatchObject({ unit: '1', type: 'gauge' });
  });

  it('`capture DIR` records ioreg (three queries) and pmset -g batt as the sources run them, and they replay', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'macos-agent-capture-'));
    const args = join(tmp, 'ioreg.args');
    fakes = makeFakeBin({
      ioreg: `#!/bin/sh\necho "$*" >> '${args}'\ncase "$*" in\n`
        + `  *IOBlockStorageDriver*) exec cat '${bundleFile('ioreg-storage.txt')}' ;;\n`
        + `  *IOAccelerator*) exec cat '${bundleFile('ioreg-accelerator.txt')}' ;;\n`
        + `  *AppleSmartBattery*) exec cat '${bundleFile('ioreg-battery.txt')}' ;;\n`
        + 'esac\n',
      pmset: `#!/bin/sh\nexec cat '${bundleFile('pmset-batt.txt')}'\n`,
    });
    const bundle = join(tmp, 'bundle');
    const captured = await runCli(['capture', bundle], { PATH: fakes.path });
    for (const file of ['ioreg-storage.txt', 'ioreg-accelerator.txt', 'ioreg-battery.txt', 'pmset-batt.txt']) {
      expect(captured.stdout).toContain(`wrote ${join(bundle, file)}`);
      expect(readFileSync(join(bundle, file), 'utf8')).toBe(readFileSync(bundleFile(file), 'utf8'));
    }
    expect(readFileSync(args, 'utf8').split('\n')).toEqual(expect.arrayContaining([
      '-r -c IOBlockStorageDriver -l -w0', '-r -d1 -c IOAccelerator -w0', '-r -n AppleSmartBattery -w0',
    ]));
    const r = await runCli(['--once', '--json', '--replay', bundle, ...ONLY_REGISTRY]);
    expect(values(JSON.parse(r.stdout) as OnceJson)).toMatchObject({ 'system.disk.io{disk0,read}': 14160125952, 'macos.battery.cycles{InternalBattery-0}': 1 });
  });

  it('on this Linux machine (no ioreg, no pmset) each says once why it is missing, and --once still exits 0 with other data', async () => {
    fakes = makeFakeBin({ vm_stat: `#!/bin/sh\nexec cat '${bundleFile('vm_stat.txt')}'\n` });
    const r = await runCli(['--once', '--json', '--set', 'sources.powermetrics.enabled=false', '--set', 'sources.iostat.enabled=false',
      '--set', 'sources.sysctl.enabled=false', '--set', 'sources.smc.enabled=false', '--set', 'sources.memory_pressure.enabled=false',
      '--set', 'sources.network.enabled=false', '--set', 'sources.thermal_pressure.enabled=false'], { PATH: fakes.path });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as OnceJson;
    expect(report.sources).toEqual([
      { name: 'vm_stat', ok: true },
      { name: 'disk', ok: false, error: 'ioreg not found on PATH — disk metrics need macOS (ioreg ships with it); disable the disk source to silence this' },
      { name: 'gpu', ok: false, error: 'ioreg not found on PATH — gpu metrics need macOS (ioreg ships with it); disable the gpu source to silence this' },
      { name: 'battery', ok: false, error: 'ioreg not found on PATH — battery metrics need macOS (ioreg ships with it); disable the battery source to silence this' },
    ]);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('not found on PATH'));
    expect(warnings).toHaveLength(3);
  });

  it('in the user (LaunchAgent) mode, without powermetrics, GPU utilisation still comes from the registry', async () => {
    const r = await runCli(['--once', '--json', '--replay', BUNDLE, ...USER_MODE_ARGS]);
    const report = JSON.parse(r.stdout) as OnceJson;
    expect(report.sources.find((s) => s.name === 'powermetrics')).toBeUndefined();
    expect(values(report)).toMatchObject({ 'hw.gpu.utilization{gpu0,Apple M1}': 0, 'hw.gpu.memory.usage{gpu0,Apple M1}': 6373376 });
    expect(report.metrics.map((m) => m.name)).not.toContain('macos.gpu.active_residency');
  });
});

describe('the fleet dashboard and alerts', () => {
  it('the Disk row splits reads from writes; the Battery row shows health, charge and cycles', () => {
    const panels = (buildDashboard()['panels'] as DashboardPanel[]);
    const exprs = (title: string): string[] => panels.find((p) => p.title === title)!.targets!.map((t) => t.expr);
    expect(exprs('Disk throughput')).toEqual(['rate(system_disk_io_bytes_total{host_name=~"$host"}[$__rate_interval])']);
    expect(panels.find((p) => p.title === 'Disk throughput')!.targets![0]!.legendFormat).toBe('{{host_name}} {{system_device}} {{disk_io_direction}}');
    expect(exprs('Disk latency')).toEqual(['rate(system_disk_operation_time_seconds_total{host_name=~"$host"}[$__rate_interval]) / rate(system_disk_operations_total{host_name=~"$host"}[$__rate_interval])']);
    expect(exprs('Battery health')).toEqual(['macos_battery_health_ratio{host_name=~"$host"}']);
    expect(exprs('Battery charge')).toEqual(['hw_battery_charge_ratio{host_name=~"$host"}']);
  });

  it('MacBatteryHealthLow fires after an hour below 80 % of design capacity (test/promtool/macos-agent-alerts.test.yaml shows it with promtool)', () => {
    const rule = buildAlertRules().groups.flatMap((g) => g.rules).find((r) => r.alert === 'MacBatteryHealthLow');
    expect(rule).toMatchObject({ expr: 'max by (host_name) (macos_battery_health_ratio) < 0.8', for: '60m', labels: { severity: 'warning' } });
  });
});
