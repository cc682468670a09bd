import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSwapUsage, parseSysctl, type SysctlMalformedLine } from '../agent/parsers/sysctl.js';
import { sysctlPoints } from '../agent/sources/sysctl.js';

const DIR = join(import.meta.dirname, 'fixtures', 'sysctl');
const read = (file: string): string => readFileSync(join(DIR, file), 'latin1');

function parse(file: string): { values: Map<string, string>; malformed: SysctlMalformedLine[] } {
  const malformed: SysctlMalformedLine[] = [];
  return { values: parseSysctl(read(file), (m) => malformed.push(m)), malformed };
}

describe('parseSysctl on real captures', () => {
  const named = readdirSync(DIR).filter((f) => !f.startsWith('handmade-') && !f.startsWith('vm.swapusage-n'));

  it.each(named)('%s parses with no malformed line (prompt lines tolerated) but a last line its published copy cut', (file) => {
    const text = read(file);
    const { values, malformed } = parse(file);
    // Copies pasted into Markdown lost the newline sysctl prints after its last line.
    const lastLine = text.endsWith('\n') ? undefined : text.slice(text.lastIndexOf('\n') + 1);
    expect(malformed).toEqual(lastLine === undefined ? [] : [{ line: lastLine, reason: expect.stringMatching(/^the output ends inside this line/) }]);
    expect(values.size).toBeGreaterThan(40);
  });

  it('rejects a number at the very end of the output, with no newline after it (hand-made: hw.memsize cut)', () => {
    const malformed: SysctlMalformedLine[] = [];
    const values = parseSysctl('vm.loadavg: { 2.07 1.50 1.31 }\nhw.memsize: 1717', (m) => malformed.push(m));
    expect(values.has('hw.memsize')).toBe(false);
    expect(values.get('vm.loadavg')).toBe('{ 2.07 1.50 1.31 }');
    expect(malformed).toEqual([{ line: 'hw.memsize: 1717', reason: 'the output ends inside this line (no newline after it): it was cut short, so its value may be too' }]);
  });

  it('Intel macOS 10.14.6 `sysctl -a`: memory, swap, model, brand', () => {
    const { values } = parse('intel-osx10.14.6-sysctl-a-jc.txt');
    expect(values.size).toBe(1286);
    expect(values.get('hw.memsize')).toBe('17179869184');
    expect(values.get('vm.swapusage')).toBe('total = 3072.00M  used = 2513.50M  free = 558.50M  (encrypted)');
    expect(values.get('machdep.cpu.brand_string')).toBe('Intel(R) Core(TM) i5-8279U CPU @ 2.40GHz');
    expect(sysctlPoints(values)).toEqual({
      points: [
        { metric: 'memoryLimit', value: 17179869184, attributes: {} },
        { metric: 'pagingUsage', value: 2635595776, attributes: { 'system.paging.state': 'used' } },
        { metric: 'pagingUsage', value: 585629696, attributes: { 'system.paging.state': 'free' } },
      ],
      rejected: [],
    });
  });

  it('M1 MacBook Air 8 GB, `sysctl hw` and `sysctl vm` (each under its command line)', () => {
    const hw = parse('m1-mba10_1-8gb-sysctl-hw-asitopgo.txt').values;
    const vm = parse('m1-mba10_1-8gb-sysctl-vm-asitopgo.txt').values;
    expect(hw.get('hw.memsize')).toBe('8589934592');
    expect(hw.get('hw.perflevel0.physicalcpu')).toBe('4');
    const { points } = sysctlPoints(new Map([...hw, ...vm]));
    expect(points.map((p) => p.value)).toEqual([8589934592, 3151096709, 1143870587]);
  });

  it('M1 Pro fragment: memory and brand, no vm.swapusage, so no swap points', () => {
    const { values } = parse('m1pro-mbp18_1-macos14.4.1-sysctl-a-head-hw-machdep-FRAGMENT-ansible.txt');
    expect(values.get('machdep.cpu.brand_string')).toBe('Apple M1 Pro');
    expect(values.get('hw.osenvironment')).toBe('');
    expect(sysctlPoints(values).points).toEqual([{ metric: 'memoryLimit', value: 34359738368, attributes: {} }]);
  });
});

describe('parseSwapUsage', () => {
  it('reads MiB with two decimals into bytes (`sysctl -n vm.swapusage`, Intel)', () => {
    expect(parseSwapUsage(read('vm.swapusage-n-facter-spec.txt'))).toEqual({
      totalBytes: 3221225472, usedBytes: 1491861504, freeBytes: 1729363968, encrypted: true,
    });
  });

  it('reads an unencrypted, empty swap', () => {
    expect(parseSwapUsage('total = 0.00M  used = 0.00M  free = 0.00M  ')).toEqual({ totalBytes: 0, usedBytes: 0, freeBytes: 0, encrypted: false });
  });

  it('refuses anything else', () => {
    expect(parseSwapUsage('total = lots  used = some')).toBeUndefined();
  });
});

describe('sysctl bad input (handmade)', () => {
  it('an absurd hw.memsize and an unreadable vm.swapusage are rejected with reasons, no point invented', () => {
    expect(sysctlPoints(parse('handmade-absurd-value.txt').values)).toEqual({
      points: [],
      rejected: [
        'absurd hw.memsize "12" (expected bytes between 256 MiB and 1 PiB)',
        'unreadable vm.swapusage "total = lots  used = some" (expected "total = …M  used = …M  free = …M")',
      ],
    });
  });

  it('a garbage line is counted and skipped; the rest is read', () => {
    const { values, malformed } = parse('handmade-garbage-line.txt');
    expect(malformed).toHaveLength(1);
    expect(malformed[0]!.reason).toBe('not a "name: value" line');
    expect(sysctlPoints(values).points.map((p) => p.value)).toEqual([34359738368, 1073741824, 1073741824]);
  });
});
