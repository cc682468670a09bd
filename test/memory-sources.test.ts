// vm_stat and sysctl through their real spawn path (fake commands on PATH), and the three sources
// end to end through the compiled CLI: fakes on PATH, a replay bundle, and this Linux machine as is.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../agent/config.js';
import { sysctlModule } from '../agent/sources/sysctl.js';
import { vmStatModule } from '../agent/sources/vm_stat.js';
import { SourceError, type Source } from '../agent/sources/source.js';
import { catScript, makeFakeBin, type FakeBin } from './helpers/fake-bin.js';
import { runCli } from './helpers/cli.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const fixture = (path: string): string => join(FIXTURES, path);
const EXIT_NO_DATA = 3;

let fakes: FakeBin | undefined;
let tmp: string | undefined;
const originalPath = process.env['PATH'];

afterEach(() => {
  fakes?.cleanup();
  fakes = undefined;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
  process.env['PATH'] = originalPath;
});

function create(module: typeof vmStatModule, path: string): { source: Source; parseErrors: string[] } {
  process.env['PATH'] = path;
  const parseErrors: string[] = [];
  const source = module.create({
    config: loadConfig({ env: {} }).config, mode: 'daemon', log: pino({ level: 'silent' }),
    onParseError: (_s, e) => parseErrors.push(e.message),
  });
  return { source, parseErrors };
}

async function collectError(s: Source): Promise<SourceError> {
  const error = await s.collect().then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

describe('vm_stat source, real spawn path', () => {
  it('runs `vm_stat` and reports the capture in bytes', async () => {
    fakes = makeFakeBin({ vm_stat: catScript(fixture('vm_stat/m1pro-ansible-fixture.txt')) });
    const { source, parseErrors } = create(vmStatModule, fakes.path);
    const points = await source.collect();
    expect(points).toHaveLength(22);
    expect(points[0]).toEqual({ metric: 'memoryUsage', value: 106037248, attributes: { 'system.memory.state': 'free' } });
    expect(parseErrors).toEqual([]);
  });

  it('counts an unknown field once, however many cycles print it', async () => {
    fakes = makeFakeBin({ vm_stat: catScript(fixture('vm_stat/handmade-new-field.txt')) });
    const { source, parseErrors } = create(vmStatModule, fakes.path);
    expect(await source.collect()).toHaveLength(22);
    expect(await source.collect()).toHaveLength(22);
    expect(parseErrors).toEqual([
      'vm_stat printed a field this agent does not know ("Pages hibernated": 777); it is not exported — please report it with `macos-agent capture DIR`',
    ]);
  });

  it('output cut short: the complete fields, and the cut line counted', async () => {
    fakes = makeFakeBin({ vm_stat: catScript(fixture('vm_stat/handmade-truncated.txt')) });
    const { source, parseErrors } = create(vmStatModule, fakes.path);
    expect(await source.collect()).toHaveLength(7);
    expect(parseErrors).toEqual(['vm_stat: skipped line "\\"Translation faults\\":                25002": the output ends inside this line (no newline after it): it was cut short, so its last value may be too']);
  });

  it('garbage is a parse error that says what to do', async () => {
    fakes = makeFakeBin({ vm_stat: catScript(fixture('vm_stat/handmade-garbage.txt')) });
    const error = await collectError(create(vmStatModule, fakes.path).source);
    expect(error.kind).toBe('parse');
    expect(error.message).toMatch(/no "Mach Virtual Memory Statistics: \(page size of N bytes\)" header .* — is this macOS's vm_stat\? Run `macos-agent capture DIR`/);
  });

  it('a missing vm_stat is `missing`', async () => {
    fakes = makeFakeBin({});
    const error = await collectError(create(vmStatModule, fakes.path).source);
    expect(error.kind).toBe('missing');
    expect(error.message).toBe('vm_stat not found on PATH — vm_stat metrics need macOS (vm_stat ships with it); disable the vm_stat source to silence this');
  });
});

describe('sysctl source, real spawn path', () => {
  it('runs `sysctl hw.memsize vm.swapusage hw.model machdep.cpu.brand_string kern.memorystatus_vm_pressure_level`', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'macos-agent-sysctl-'));
    const log = join(tmp, 'args');
    fakes = makeFakeBin({ sysctl: `#!/bin/sh\necho "$@" > '${log}'\nexec cat '${fixture('sysctl/intel-osx10.14.6-sysctl-a-jc.txt')}'\n` });
    const { source, parseErrors } = create(sysctlModule, fakes.path);
    expect(await source.collect()).toEqual([
      { metric: 'memoryLimit', value: 17179869184, attributes: {} },
      { metric: 'pagingUsage', value: 2635595776, attributes: { 'system.paging.state': 'used' } },
      { metric: 'pagingUsage', value: 585629696, attributes: { 'system.paging.state': 'free' } },
    ]);
    expect(readFileSync(log, 'utf8')).toBe('hw.memsize vm.swapusage hw.model machdep.cpu.brand_string kern.memorystatus_vm_pressure_level\n');
    expect(parseErrors).toEqual([]);
  });

  it("classifies Linux's procps sysctl as missing, with a clear message (handmade stand-in)", async () => {
    fakes = makeFakeBin({ sysctl: '#!/bin/sh\necho "sysctl: cannot stat /proc/sys/hw/memsize: No such file or directory" >&2\nexit 255\n' });
    const error = await collectError(create(sysctlModule, fakes.path).source);
    expect(error.kind).toBe('missing');
    expect(error.message).toMatch(/^this sysctl is not macOS's: no hw.memsize \(sysctl hw.memsize .* exited \(code 255\): "sysctl: cannot stat \/proc\/sys\/hw\/memsize: No such file or directory"\) — memory limit and swap metrics need macOS/);
  });

  it('absurd values are counted and left out', async () => {
    fakes = makeFakeBin({ sysctl: catScript(fixture('sysctl/handmade-absurd-value.txt')) });
    const { source, parseErrors } = create(sysctlModule, fakes.path);
    expect(await source.collect()).toEqual([]);
    expect(parseErrors).toHaveLength(2);
  });
});

interface OnceJson {
  metrics: { name: string; points: { attributes: Record<string, string>; value: number }[] }[];
  sources: { name: string; ok: boolean; error?: string }[];
}

/** `name{k=v,...}` -> value for the metrics of the given names. */
function values(report: OnceJson, prefixes: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of report.metrics.filter((x) => prefixes.some((p) => x.name.startsWith(p)))) {
    for (const p of m.points) {
      const attrs = Object.entries(p.attributes).map(([k, v]) => `${k}=${v}`).join(',');
      out[attrs ? `${m.name}{${attrs}}` : m.name] = p.value;
    }
  }
  return out;
}

const OURS = ['system.memory', 'system.paging', 'macos.memory', 'macos.iostat.disk', 'system.cpu'];
const ONLY_OURS = ['powermetrics', 'smc', 'memory_pressure', 'network', 'thermal_pressure', 'disk', 'gpu', 'battery'].flatMap((s) => ['--set', `sources.${s}.enabled=false`]);

describe('macos-agent --once end to end', () => {
  it('with fake iostat, vm_stat and sysctl on PATH, prints the replayed captures exactly', async () => {
    fakes = makeFakeBin({
      iostat: catScript(fixture('iostat/macos-iostat-c2-w1-2disks-tinysysteminfo-testliteral.txt')),
      vm_stat: catScript(fixture('vm_stat/m1pro-ansible-fixture.txt')),
      sysctl: catScript(fixture('sysctl/intel-osx10.14.6-sysctl-a-jc.txt')),
    });
    const r = await runCli(['--once', '--json', ...ONLY_OURS], { PATH: fakes.path });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as OnceJson;
    expect(report.sources.filter((s) => ['iostat', 'vm_stat', 'sysctl'].includes(s.name))).toEqual([
      { name: 'iostat', ok: true }, { name: 'vm_stat', ok: true }, { name: 'sysctl', ok: true },
    ]);
    expect(values(report, OURS)).toEqual({
      'system.cpu.utilization{cpu.mode=user}': 0.05,
      'system.cpu.utilization{cpu.mode=system}': 0.03,
      'system.cpu.utilization{cpu.mode=idle}': 0.92,
      'system.cpu.load_average.1m': 2.38,
      'system.cpu.load_average.5m': 2.38,
      'system.cpu.load_average.15m': 2.61,
      'system.memory.usage{system.memory.state=free}': 106037248,
      'system.memory.usage{system.memory.state=active}': 11961155584,
      'system.memory.usage{system.memory.state=inactive}': 11648057344,
      'system.memory.usage{system.memory.state=speculative}': 298352640,
      'system.memory.usage{system.memory.state=wired}': 2718629888,
      'system.memory.usage{system.memory.state=compressed}': 6951337984,
      'system.paging.operations{system.paging.direction=in}': 21634062,
      'system.paging.operations{system.paging.direction=out}': 135974,
      'macos.memory.swap.operations{system.paging.direction=in}': 385871,
      'macos.memory.swap.operations{system.paging.direction=out}': 437651,
      'macos.memory.compressor.operations{macos.memory.compressor.operation=compress}': 8360458,
      'macos.memory.compressor.operations{macos.memory.compressor.operation=decompress}': 4833976,
      'macos.memory.compressor.stored': 23173726208,
      'macos.memory.pages{macos.memory.page.kind=purgeable}': 314966016,
      'macos.memory.pages{macos.memory.page.kind=throttled}': 0,
      'macos.memory.pages{macos.memory.page.kind=file_backed}': 8961916928,
      'macos.memory.pages{macos.memory.page.kind=anonymous}': 14945648640,
      'macos.memory.faults{macos.memory.fault.type=translation}': 2500287752,
      'macos.memory.faults{macos.memory.fault.type=copy_on_write}': 62978099,
      'macos.memory.faults{macos.memory.fault.type=zero_fill}': 1121833567,
      'macos.memory.page.operations{macos.memory.page.operation=reactivated}': 11023181,
      'macos.memory.page.operations{macos.memory.page.operation=purged}': 20818028,
      'system.memory.limit': 17179869184,
      'system.paging.usage{system.paging.state=used}': 2635595776,
      'system.paging.usage{system.paging.state=free}': 585629696,
    });
  });

  it('--replay DIR reads iostat.txt, vm_stat.txt and sysctl.txt', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'macos-agent-replay-'));
    copyFileSync(fixture('iostat/macos-iostat-dKI-n99-cumulative-px.txt'), join(tmp, 'iostat.txt'));
    copyFileSync(fixture('vm_stat/intel-ansible-fixture.txt'), join(tmp, 'vm_stat.txt'));
    writeFileSync(join(tmp, 'sysctl.txt'),
      readFileSync(fixture('sysctl/m1-mba10_1-8gb-sysctl-hw-asitopgo.txt'), 'utf8') + readFileSync(fixture('sysctl/m1-mba10_1-8gb-sysctl-vm-asitopgo.txt'), 'utf8'));
    const r = await runCli(['--once', '--json', '--replay', tmp, ...ONLY_OURS]);
    expect(r.code).toBe(0);
    const v = values(JSON.parse(r.stdout) as OnceJson, OURS);
    expect(v).toMatchObject({
      'macos.iostat.disk.operations{system.device=disk0}': 2823491,
      'macos.iostat.disk.io{system.device=disk0}': 46066166661,
      'system.memory.usage{system.memory.state=free}': 101113856,
      'system.memory.usage{system.memory.state=wired}': 428101632,
      'system.memory.usage{system.memory.state=compressed}': 17383424,
      'system.memory.limit': 8589934592,
      'system.paging.usage{system.paging.state=used}': 3151096709,
      'system.paging.usage{system.paging.state=free}': 1143870587,
    });
    // -dKI has no cpu or load columns: those points are missing, not zero.
    expect(Object.keys(v).filter((k) => k.startsWith('system.cpu'))).toEqual([]);
  });

  it('`capture DIR` records what the sources run, and `--once --replay DIR` reads it back', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'macos-agent-capture-'));
    const bundle = join(tmp, 'bundle');
    const iostatArgs = join(tmp, 'iostat.args');
    fakes = makeFakeBin({
      iostat: `#!/bin/sh\necho "$@" > '${iostatArgs}'\nexec cat '${fixture('iostat/handmade-I-C-U-2disks-stream.txt')}'\n`,
      vm_stat: catScript(fixture('vm_stat/intel-macos10.15-era-facter.txt')),
      sysctl: catScript(fixture('sysctl/intel-i7-4980HQ-sysctl-hw-machdep-ohai.txt')),
    });
    const captured = await runCli(['capture', bundle], { PATH: fakes.path });
    expect(captured.stdout).toMatch(/wrote .*iostat\.txt/);
    expect(readFileSync(iostatArgs, 'utf8')).toBe('-I -C -U -n 99 -c 2 -w 1\n');
    expect(readFileSync(join(bundle, 'vm_stat.txt'), 'utf8')).toBe(readFileSync(fixture('vm_stat/intel-macos10.15-era-facter.txt'), 'utf8'));
    const r = await runCli(['--once', '--json', '--replay', bundle, ...ONLY_OURS]);
    expect(r.code).toBe(0);
    expect(values(JSON.parse(r.stdout) as OnceJson, OURS)).toMatchObject({
      'macos.iostat.disk.operations{system.device=disk0}': 5348572,
      'macos.iostat.disk.io{system.device=disk6}': 4036294083,
      'system.cpu.utilization{cpu.mode=idle}': 0.93,
      'system.memory.usage{system.memory.state=free}': 5590519808,
      'system.memory.limit': 17179869184,
    });
  });

  it('on this Linux machine without fakes, says the commands are missing and exits 3', async () => {
    const r = await runCli(['--once', '--json'], { PATH: '/usr/bin:/bin' });
    const report = JSON.parse(r.stdout) as OnceJson;
    const ours = report.sources.filter((s) => ['iostat', 'vm_stat', 'sysctl'].includes(s.name));
    // This machine has no iostat in /usr/bin or /bin (sysstat is not installed) and sysctl lives in /usr/sbin.
    expect(existsSync('/usr/bin/iostat') || existsSync('/bin/iostat')).toBe(false);
    expect(ours).toEqual([
      { name: 'iostat', ok: false, error: 'iostat not found on PATH — iostat metrics need macOS (iostat ships with it); disable the iostat source to silence this' },
      { name: 'vm_stat', ok: false, error: 'vm_stat not found on PATH — vm_stat metrics need macOS (vm_stat ships with it); disable the vm_stat source to silence this' },
      { name: 'sysctl', ok: false, error: 'sysctl not found on PATH — sysctl metrics need macOS (sysctl ships with it); disable the sysctl source to silence this' },
    ]);
    expect(r.code).toBe(EXIT_NO_DATA);
  });

  it("with /usr/sbin on PATH, Linux's own sysctl is recognised as not macOS's", async () => {
    const r = await runCli(['--once', '--json', ...ONLY_OURS], { PATH: '/usr/sbin:/usr/bin:/bin' });
    const sysctl = (JSON.parse(r.stdout) as OnceJson).sources.find((s) => s.name === 'sysctl')!;
    expect(sysctl.ok).toBe(false);
    expect(sysctl.error).toMatch(existsSync('/usr/sbin/sysctl')
      ? /^this sysctl is not macOS's: no hw.memsize \(.*cannot stat \/proc\/sys\/hw\/memsize/
      : /^sysctl not found on PATH/);
    expect(r.code).toBe(EXIT_NO_DATA);
  });
});
