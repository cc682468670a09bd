// The shipped bundle of real memory pressure, network and thermal pressure captures, through the
// CLI as it ships (dist/macos-agent.js), and what `--once` says about the new sources where they
// cannot run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { catScript, makeFakeBin, type FakeBin } from './helpers/fake-bin.js';
import { REPO, runCli } from './helpers/cli.js';

const BUNDLE = join(REPO, 'test', 'fixtures', 'bundles', 'pressure-network');

interface Report {
  metrics: { name: string; unit: string; type: string; monotonic?: boolean; points: { attributes: Record<string, string | number>; value: number }[] }[];
  sources: { name: string; ok: boolean; error?: string }[];
}

function valueOf(report: Report, name: string, attributes: Record<string, string | number> = {}): number | undefined {
  const metric = report.metrics.find((m) => m.name === name);
  return metric?.points.find((x) => Object.entries(attributes).every(([k, v]) => x.attributes[k] === v))?.value;
}

describe('macos-agent --once --replay test/fixtures/bundles/pressure-network', () => {
  it('shows the values the captures hold: pressure level 2 and 37 % available, en0\'s 64-bit byte counters, thermal pressure 0', async () => {
    const r = await runCli(['--once', '--json', '--replay', BUNDLE, '--set', 'sources.powermetrics.enabled=false']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.sources.filter((s) => s.ok).map((s) => s.name)).toEqual(['sysctl', 'memory_pressure', 'network', 'thermal_pressure']);

    // sysctl.txt: kern.memorystatus_vm_pressure_level: 2; memory_pressure.txt: 37%.
    expect(valueOf(report, 'macos.memory.pressure.level')).toBe(2);
    expect(valueOf(report, 'macos.memory.pressure.free')).toBe(0.37);
    // netstat.txt: en0 4795960389 bytes in (past 2^32), 43120998925 out, 7968840 packets in; en1 26751 packets out.
    const en0 = (direction: string) => ({ 'network.interface.name': 'en0', 'network.io.direction': direction });
    expect(valueOf(report, 'system.network.io', en0('receive'))).toBe(4795960389);
    expect(valueOf(report, 'system.network.io', en0('transmit'))).toBe(43120998925);
    expect(valueOf(report, 'system.network.packet.count', en0('receive'))).toBe(7968840);
    expect(valueOf(report, 'system.network.packet.count', { 'network.interface.name': 'en1', 'network.io.direction': 'transmit' })).toBe(26751);
    expect(valueOf(report, 'system.network.errors', en0('transmit'))).toBe(0);
    // Loopback and the interfaces netstat marks down (gif0*, stf0*) are left out by default.
    const names = new Set(report.metrics.find((m) => m.name === 'system.network.io')!.points.map((p) => p.attributes['network.interface.name']));
    expect(names).toEqual(new Set(['en0', 'en1', 'fw0', 'p2p0']));
    // notifyutil.txt: com.apple.system.thermalpressurelevel 0.
    expect(valueOf(report, 'macos.thermal.pressure')).toBe(0);

    expect(report.metrics.find((m) => m.name === 'system.network.io')).toMatchObject({ unit: 'By', type: 'sum', monotonic: true });
    expect(report.metrics.find((m) => m.name === 'macos.memory.pressure.level')).toMatchObject({ unit: '{level}', type: 'gauge' });
  });

  it('lists macos.thermal.pressure under thermal_pressure, the source that reported it, in the table', async () => {
    const r = await runCli(['--once', '--replay', BUNDLE, '--set', 'sources.powermetrics.enabled=false']);
    expect(r.stdout).toMatch(/^== thermal_pressure: ok\n {3}macos\.thermal\.pressure {2}0 1$/m);
    expect(r.stdout).toMatch(/^== memory_pressure: ok\n {3}macos\.memory\.pressure\.level {5}2 \{level\}\n {3}macos\.memory\.pressure\.free {3}0\.37 1$/m);
  });
});

describe('macos-agent capture', () => {
  let fakes: FakeBin | undefined;
  let tmp: string | undefined;
  afterEach(() => {
    fakes?.cleanup();
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });

  it('records memory_pressure, netstat -ibdn and notifyutil as they print, and the level in sysctl.txt; --replay reads them back', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'macos-agent-capture-'));
    const bundle = join(tmp, 'bundle');
    const fixture = (path: string) => join(REPO, 'test', 'fixtures', path);
    const netstatArgs = join(tmp, 'netstat.args');
    fakes = makeFakeBin({
      memory_pressure: catScript(fixture('memory_pressure/m1pro-mbp18_1-16gb-macos15.7.5-agenttranscript.txt')),
      netstat: `#!/bin/sh
echo "$@" > '${netstatArgs}'
exec cat '${fixture('netstat/applesilicon-mbp-macos26-netstat-ib-head-FRAGMENT-vorssaint398.txt')}'
`,
      notifyutil: catScript(fixture('notifyutil/applesilicon-macbook-macos26-notifyutil-thermalpressurelevel-stanislasblog.txt')),
      sysctl: catScript(fixture('memorystatus/applesilicon-mac16_1-24gb-macos26.5-sysctl-memorystatus-sampleA-indexid69173928752.txt')),
    });
    const captured = await runCli(['capture', bundle], { PATH: fakes.path });
    for (const file of ['memory_pressure.txt', 'netstat.txt', 'notifyutil.txt', 'sysctl.txt']) expect(captured.stdout).toMatch(new RegExp(`wrote .*${file.replace('.', '\\.')}`));
    expect(readFileSync(netstatArgs, 'utf8')).toBe('-ibdn\n');
    expect(readFileSync(join(bundle, 'memory_pressure.txt'), 'utf8')).toBe(readFileSync(fixture('memory_pressure/m1pro-mbp18_1-16gb-macos15.7.5-agenttranscript.txt'), 'utf8'));
    const r = await runCli(['--once', '--json', '--replay', bundle, '--set', 'sources.powermetrics.enabled=false'], { PATH: fakes.path });
    const report = JSON.parse(r.stdout) as Report;
    expect(valueOf(report, 'macos.memory.pressure.level')).toBe(2);
    expect(valueOf(report, 'macos.memory.pressure.free')).toBe(0.38);
    expect(valueOf(report, 'system.network.io', { 'network.interface.name': 'anpi0', 'network.io.direction': 'receive' })).toBe(0);
    expect(valueOf(report, 'macos.thermal.pressure')).toBe(0);
  });
});

describe('macos-agent --once where the new sources cannot run', () => {
  let fakes: FakeBin | undefined;
  afterEach(() => fakes?.cleanup());

  it('says once per failing source why, and exits 0 because another source produced data', async () => {
    // Only vm_stat answers (a real capture); sysctl, memory_pressure, netstat, powermetrics, iostat are this machine's or absent.
    fakes = makeFakeBin({ vm_stat: catScript(join(REPO, 'test', 'fixtures', 'vm_stat', 'm1pro-ansible-fixture.txt')) });
    const r = await runCli(['--once', '--json', '--set', 'sources.smc.enabled=false'], { PATH: fakes.path });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.sources.find((s) => s.name === 'vm_stat')?.ok).toBe(true);
    const failed = report.sources.filter((s) => !s.ok);
    const logs = r.stderr.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { source?: string; msg: string });
    for (const s of failed) {
      expect(logs.filter((l) => l.source === s.name && l.msg === s.error), s.name).toHaveLength(1);
    }
    if (process.platform !== 'darwin') {
      expect(failed.map((s) => s.name)).toEqual(expect.arrayContaining(['memory_pressure', 'network']));
      expect(report.sources.find((s) => s.name === 'memory_pressure')?.error).toMatch(/^memory pressure needs macOS/);
      expect(report.sources.find((s) => s.name === 'network')?.error).toMatch(/network counters need macOS|netstat not found on PATH/);
    }
  });
});
