import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, runCli } from './helpers/cli.js';

const M1_BUNDLE = join(REPO, 'test', 'fixtures', 'bundles', 'm1-macbookair');

interface Report {
  resource: Record<string, string | number>;
  metrics: { name: string; unit: string; type: string; monotonic?: boolean; points: { attributes: Record<string, string | number>; value: number }[] }[];
  sources: { name: string; ok: boolean; error?: string }[];
}

function valueOf(report: Report, name: string, attributes: Record<string, string | number> = {}): number | undefined {
  const metric = report.metrics.find((m) => m.name === name);
  const p = metric?.points.find((x) => Object.entries(attributes).every(([k, v]) => x.attributes[k] === v));
  return p?.value;
}

describe('macos-agent --once --replay (the README command)', () => {
  it('prints, as one JSON document, the values of the real M1 captures in the shipped bundle', async () => {
    const r = await runCli(['--once', '--json', '--replay', M1_BUNDLE]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.resource['service.name']).toBe('macos-agent');
    expect(report.sources.map((s) => [s.name, s.ok])).toEqual([
      ['powermetrics', true], ['iostat', true], ['vm_stat', true], ['sysctl', true], ['smc', false],
      ['memory_pressure', false], ['network', false],
      ['disk', true], ['gpu', true], ['battery', true],
    ]);
    expect(report.sources.find((s) => s.name === 'smc')?.error).toMatch(/replay bundle has no smc.txt/);

    // powermetrics.plist: cpu_power 358.72 mW, gpu_power 31.7398 mW, combined_power 390.46 mW,
    // cpu_energy 1797 mJ, GPU freq_hz 396 (already MHz), GPU idle_ratio 0.858171, E-Cluster 1.2353e9 Hz.
    expect(valueOf(report, 'hw.power', { 'hw.id': 'cpu' })).toBeCloseTo(0.35872, 9);
    expect(valueOf(report, 'hw.power', { 'hw.id': 'gpu' })).toBeCloseTo(0.0317398, 9);
    expect(valueOf(report, 'hw.power', { 'hw.id': 'package' })).toBeCloseTo(0.39046, 9);
    expect(valueOf(report, 'hw.energy', { 'hw.id': 'cpu' })).toBeCloseTo(1.797, 9);
    expect(valueOf(report, 'macos.gpu.frequency', { 'hw.id': 'gpu' })).toBe(396e6);
    expect(valueOf(report, 'macos.gpu.active_residency', { 'hw.id': 'gpu' })).toBeCloseTo(1 - 0.858171, 9);
    expect(valueOf(report, 'macos.cpu.cluster.frequency', { 'macos.cpu.cluster': 'E' })).toBe(1.2353e9);

    // vm_stat.txt (16384-byte pages): Pages free 6472, Pages occupied by compressor 424276, Pageins 21634062.
    expect(valueOf(report, 'system.memory.usage', { 'system.memory.state': 'free' })).toBe(6472 * 16384);
    expect(valueOf(report, 'system.memory.usage', { 'system.memory.state': 'compressed' })).toBe(424276 * 16384);
    expect(valueOf(report, 'system.paging.operations', { 'system.paging.direction': 'in' })).toBe(21634062);

    // sysctl.txt: hw.memsize 8589934592; iostat.txt: last report us 4 sy 2 id 94, load 1.97 2.15 2.07.
    expect(valueOf(report, 'system.memory.limit')).toBe(8589934592);
    expect(valueOf(report, 'system.cpu.utilization', { 'cpu.mode': 'idle' })).toBeCloseTo(0.94, 9);
    expect(valueOf(report, 'system.cpu.load_average.15m')).toBeCloseTo(2.07, 9);

    const memory = report.metrics.find((m) => m.name === 'system.memory.usage');
    expect(memory).toMatchObject({ unit: 'By', type: 'sum', monotonic: false });
    expect(report.metrics.find((m) => m.name === 'system.paging.operations')).toMatchObject({ type: 'sum', monotonic: true });
    expect(report.metrics.find((m) => m.name === 'hw.power')).toMatchObject({ unit: 'W', type: 'gauge' });
  });

  it('shows the same resource the daemon would export, from the bundle\'s sw_vers.txt and hw.txt', async () => {
    const { cpSync, mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'macos-agent-once-bundle-'));
    try {
      cpSync(M1_BUNDLE, dir, { recursive: true });
      cpSync(join(REPO, 'test', 'fixtures', 'resource', 'handmade-sw_vers-macos14.4.1.txt'), join(dir, 'sw_vers.txt'));
      cpSync(join(REPO, 'test', 'fixtures', 'resource', 'handmade-hw-mbp18_1.txt'), join(dir, 'hw.txt'));
      const r = await runCli(['--once', '--json', '--replay', dir]);
      expect(r.code).toBe(0);
      expect((JSON.parse(r.stdout) as Report).resource).toMatchObject({
        'service.name': 'macos-agent', 'os.type': 'darwin', 'os.name': 'macOS', 'os.version': '14.4.1', 'os.build_id': '23E224',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints a table grouped by source on a terminal', async () => {
    const r = await runCli(['--once', '--replay', M1_BUNDLE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^== powermetrics: ok$/m);
    expect(r.stdout).toMatch(/^ {3}hw\.power\{hw\.id=cpu, hw\.type=cpu\} +0\.35872 W$/m);
    expect(r.stdout).toMatch(/^== smc: no data — replay bundle has no smc\.txt/m);
  });

  it('exits 3 when no source produced data', async () => {
    const r = await runCli(['--once', '--json', '--replay', join(REPO, 'test', 'fixtures')]);
    expect(r.code).toBe(3);
    expect((JSON.parse(r.stdout) as Report).sources.every((s) => !s.ok)).toBe(true);
  });

  it('exits 2 on a bad setting, naming the key and what is allowed', async () => {
    const r = await runCli(['--once', '--set', 'sources.powermetrics.samplers=cpu_power,warp_drive']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid value "cpu_power,warp_drive" for sources\.powermetrics\.samplers \(from command line\): unknown warp_drive/);
  });

  it('answers --version and --help', async () => {
    const version = await runCli(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--once/);
    expect(help.stdout).toMatch(/Exit codes with --once/);
  });
});

describe('output into a pipe that closes early (macos-agent ... | head)', () => {
  it('exits quietly instead of crashing with EPIPE', async () => {
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('./helpers/cli.js');
    // The dry run prints the plist and each launchctl call in several writes: later ones hit the closed pipe.
    const child = spawn(process.execPath, [CLI, 'service', 'install', '--user', '--dry-run'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });
});
