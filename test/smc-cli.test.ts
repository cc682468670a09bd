// The SMC as a user sees it: the compiled CLI, `--once --json --replay DIR` with a real dump as
// DIR/smc.txt, `smc dump`, and this Linux machine, which has no SMC.
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SMC_ONLY_ON_MACOS } from '../agent/smc/addon.js';
import { runCli } from './helpers/cli.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'smc');

function bundle(dump: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'macos-agent-smc-bundle-'));
  copyFileSync(join(FIXTURES, dump), join(dir, 'smc.txt'));
  return dir;
}

interface Report {
  metrics: { name: string; unit: string; points: { attributes: Record<string, string>; value: number }[] }[];
  sources: { name: string; ok: boolean; error?: string }[];
}

const pointOf = (r: Report, name: string, attrs: Record<string, string>) =>
  r.metrics.find((m) => m.name === name)?.points.find((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));

// Only the smc source: the other sources' replay files are not in these bundles.
const ONLY_SMC = ['--set', 'sources.powermetrics.enabled=false', '--set', 'sources.iostat.enabled=false',
  '--set', 'sources.vm_stat.enabled=false', '--set', 'sources.sysctl.enabled=false',
  '--set', 'sources.memory_pressure.enabled=false', '--set', 'sources.network.enabled=false', '--set', 'sources.thermal_pressure.enabled=false',
  '--set', 'sources.disk.enabled=false', '--set', 'sources.gpu.enabled=false', '--set', 'sources.battery.enabled=false'];

describe('macos-agent --once --replay with a real SMC dump', () => {
  it('shows hw.temperature per sensor, the fans, system power and the group summaries of a MacBookPro16,1', async () => {
    const { code, stdout } = await runCli(['--once', '--json', '--replay', bundle('intel-MacBookPro16_1-smcread-dump-virtualsmc.txt'), ...ONLY_SMC]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    expect(report.sources).toEqual([{ name: 'smc', ok: true }]);
    expect(pointOf(report, 'hw.temperature', { 'hw.id': 'TC0P' })).toEqual({
      attributes: { 'hw.id': 'TC0P', 'hw.name': 'CPU proximity', 'hw.sensor_location': 'proximity' }, value: 38.1875,
    });
    expect(report.metrics.find((m) => m.name === 'hw.temperature')).toMatchObject({ unit: 'Cel' });
    // 50 temperature keys less 5 implausible: TC0T 0.24, TC7C and TC8C -127, TF0S 4.28, TGDT 0 °C
    expect(report.metrics.find((m) => m.name === 'hw.temperature')!.points).toHaveLength(45);
    expect(pointOf(report, 'hw.fan.speed', { 'hw.id': 'fan0' })?.value).toBeCloseTo(1849.882, 3);
    expect(pointOf(report, 'hw.fan.speed', { 'hw.id': 'fan1' })?.value).toBeCloseTo(1702.095, 3);
    expect(pointOf(report, 'hw.fan.speed.limit', { 'hw.id': 'fan0', 'hw.limit_type': 'max' })?.value).toBeCloseTo(5297.4, 1);
    expect(pointOf(report, 'hw.host.power', { 'hw.id': 'system' })?.value).toBeCloseTo(6.9511, 4);
    expect(pointOf(report, 'macos.temperature.max', { 'macos.sensor.group': 'cpu' })?.value).toBe(49);
    expect(pointOf(report, 'macos.smc.readings.dropped', { 'hw.id': 'TC7C', 'macos.agent.drop_reason': 'below_min' })?.value).toBe(1);
  });

  it('replays an older Mac with fpe2 fans and sp78 system power (MacBookPro11,1)', async () => {
    const { code, stdout } = await runCli(['--once', '--json', '--replay', bundle('intel-MacBookPro11_1-smcread-dump-virtualsmc.txt'), ...ONLY_SMC]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    expect(pointOf(report, 'hw.fan.speed', { 'hw.id': 'fan0' })?.value).toBe(1298);
    expect(pointOf(report, 'hw.host.power', { 'hw.id': 'system' })?.value).toBe(13.90625);
  });
});

describe('macos-agent smc dump', () => {
  it('prints every key with type, size, raw bytes and decoded value, and its output replays as the same Mac', async () => {
    const original = bundle('intel-MacBookPro16_1-smcread-dump-virtualsmc.txt');
    const json = await runCli(['smc', 'dump', '--json', '--replay', original]);
    expect(json.code).toBe(0);
    const keys = (JSON.parse(json.stdout) as { keys: Record<string, unknown>[] }).keys;
    expect(keys).toHaveLength(897);
    expect(keys.find((k) => k['key'] === 'F0Ac')).toEqual({ key: 'F0Ac', type: 'flt ', size: 4, attributes: 0x85, raw: '3A3CE744', value: expect.closeTo(1849.882, 3) });

    const text = await runCli(['smc', 'dump', '--replay', original]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('[PSTR] type [flt ] 666C7420 len [ 4] attr [C4] -> 606FDE40 = 6.951');
    const ours = mkdtempSync(join(tmpdir(), 'macos-agent-smc-own-'));
    writeFileSync(join(ours, 'smc.txt'), text.stdout);
    const [fromOriginal, fromOurs] = await Promise.all([original, ours].map((dir) => runCli(['--once', '--json', '--replay', dir, ...ONLY_SMC])));
    const metrics = (r: { stdout: string }) => (JSON.parse(r.stdout) as Report).metrics.filter((m) => m.name.startsWith('hw.') || m.name.startsWith('macos.temperature'));
    expect(metrics(fromOurs!)).toEqual(metrics(fromOriginal!));
  });

  it('on this Linux machine says the SMC is only available on macOS, with exit code 3', async () => {
    const { code, stdout, stderr } = await runCli(['smc', 'dump']);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toBe(`macos-agent smc dump: ${SMC_ONLY_ON_MACOS}\n`);
  });
});

describe('macos-agent --once on Linux (no SMC, no replay)', () => {
  it('says once that the SMC is only available on macOS and reports the smc source as failed', async () => {
    const { stdout, stderr } = await runCli(['--once', '--json', ...ONLY_SMC]);
    const report = JSON.parse(stdout) as Report;
    expect(report.sources).toEqual([{ name: 'smc', ok: false, error: SMC_ONLY_ON_MACOS }]);
    expect(stderr.split('SMC is only available on macOS').length - 1).toBe(1);
  });
});
