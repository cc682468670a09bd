// Every parser reads hostile text in linear time: the inputs that made the old patterns backtrack
// (quadratic `<real>` digits, cubic `smc -l` spaces, quadratic vm.swapusage spaces), then a generic
// family of long runs, each fed to every parser. All inputs are hand-made edge cases; at these
// sizes a quadratic pattern takes seconds, a linear one well under a millisecond.
import { describe, expect, it } from 'vitest';
import { parseDuration, parseSize } from '../agent/config.js';
import { parseIostat } from '../agent/parsers/iostat.js';
import { parsePlist } from '../agent/parsers/plist.js';
import { parsePowermetricsPlist } from '../agent/parsers/powermetrics.js';
import { parseSmcDump } from '../agent/parsers/smc-dump.js';
import { parseSwapUsage, parseSysctl } from '../agent/parsers/sysctl.js';
import { parseVmStat } from '../agent/parsers/vm_stat.js';
import { parseIoregPlatformUuid, parseResourceAttributes, parseSwVers } from '../agent/resource.js';
import { parseLaunchctlPrint } from '../agent/service/launchctl-print.js';
import { decodeSmcValue } from '../agent/smc/decode.js';
import { discoverKeys, MAX_SMC_KEYS } from '../agent/smc/keys.js';
import { RecordedSmc } from '../agent/smc/recorded.js';

/** Generous, so a loaded machine does not flake; the backtracking inputs took 0.5 s to minutes. */
const BUDGET_MS = 50;

function elapsedMs(run: () => unknown): number {
  const start = performance.now();
  try {
    run();
  } catch {
    // Rejecting the input is fine; only the time matters here.
  }
  return performance.now() - start;
}

const PARSERS: Record<string, (text: string) => unknown> = {
  plist: parsePlist,
  powermetrics: parsePowermetricsPlist,
  'smc dump': parseSmcDump,
  sysctl: (t) => parseSysctl(t, () => {}),
  'vm.swapusage': parseSwapUsage,
  iostat: parseIostat,
  vm_stat: parseVmStat,
  sw_vers: parseSwVers,
  ioreg: parseIoregPlatformUuid,
  'OTEL_RESOURCE_ATTRIBUTES': parseResourceAttributes,
  'launchctl print': parseLaunchctlPrint,
  'config duration': parseDuration,
  'config size': parseSize,
};

const N = 50_000;
const GENERIC_FAMILY: Record<string, string> = {
  digits: `${'1'.repeat(N)}x`,
  'digits with one point': `${'1'.repeat(N)}.${'1'.repeat(N)}x`,
  spaces: `${' '.repeat(N)}x`,
  'spaces after a word': `a:${' '.repeat(N)}x`,
  'spaces around a value': `a: x${' '.repeat(N)}x`,
  tabs: `${'\t'.repeat(N)}x`,
  colons: ':'.repeat(N),
  equals: `a${' ='.repeat(N)}`,
  quotes: '"\\'.repeat(N),
  brackets: '['.repeat(N),
  'repeated separators': '- '.repeat(N),
  'hex pairs': ` 00${' 0'.repeat(N)}`,
  'many short lines': '1 2\n'.repeat(N / 10),
  'number then spaces': `1${' '.repeat(N)}x`,
};

describe('the inputs that made the old patterns backtrack', () => {
  it('reads a <real> of 40,000 digits followed by garbage within the budget (was 4.1 s)', () => {
    const doc = `<plist><dict><key>v</key><real>${'1'.repeat(40_000)}x</real></dict></plist>`;
    expect(() => parsePlist(doc)).toThrow(/<real> holds .* not a number/);
    expect(elapsedMs(() => parsePlist(doc))).toBeLessThan(BUDGET_MS);
  });

  it('still reads every real written with an exponent, a sign or surrounding spaces', () => {
    const doc = '<plist><array><real> 1.5e3 </real><real>-.25</real><real>7.</real><real>+2E-2</real><integer> 0x1F </integer></array></plist>';
    expect(parsePlist(doc)).toEqual([1500, -0.25, 7, 0.02, 31]);
  });

  it('reads an smc -l line with 50,000 spaces before "(bytes" within the budget (4,000 took 23.5 s)', () => {
    const line = `  #KEY  [ui32]  ${' '.repeat(N)}(bytes 00 00 03 5f${' 0'.repeat(N)}x`;
    expect(elapsedMs(() => parseSmcDump(line))).toBeLessThan(BUDGET_MS);
    expect(parseSmcDump(line).entries).toEqual([]);
  });

  it('still reads an smc -l line as smcFanControl prints it', () => {
    const dump = parseSmcDump('  #KEY  [ui32]  863 (bytes 00 00 03 5f)\n  FNum  [ui8 ]  2 (bytes 02)\n');
    expect(dump.format).toBe('smc -l');
    expect(dump.entries.map((e) => [e.key, e.type, e.shownValue, e.size])).toEqual([['#KEY', 'ui32', '863', 4], ['FNum', 'ui8 ', '2', 1]]);
  });

  it('reads a vm.swapusage with 50,000 spaces before garbage within the budget', () => {
    const value = `total = 1.00M  used = 1.00M  free = 1.00M${' '.repeat(N)}x`;
    expect(elapsedMs(() => parseSwapUsage(value))).toBeLessThan(BUDGET_MS);
    expect(parseSwapUsage(value)).toBeUndefined();
    expect(parseSwapUsage('total = 2.00M  used = 1.00M  free = 1.00M  (encrypted)')?.encrypted).toBe(true);
  });

  it('decodes a ch8* value of 100,000 NULs and one letter within the budget', () => {
    const bytes = new Uint8Array(100_001);
    bytes[0] = 0x41;
    expect(elapsedMs(() => decodeSmcValue('ch8*', bytes))).toBeLessThan(BUDGET_MS);
    expect(decodeSmcValue('ch8*', Uint8Array.of(0x41, 0x42, 0, 0))).toEqual({ kind: 'text', value: 'AB' });
  });
});

describe('a generic family of long runs, fed to every parser', () => {
  for (const [parser, parse] of Object.entries(PARSERS)) {
    it(`${parser} reads each within ${BUDGET_MS} ms`, () => {
      const slow = Object.entries(GENERIC_FAMILY)
        .map(([name, text]) => ({ name, ms: Math.round(elapsedMs(() => parse(text))) }))
        .filter((r) => r.ms >= BUDGET_MS);
      expect(slow).toEqual([]);
    });
  }
});

describe('SMC key discovery is bounded', () => {
  it(`walks at most ${MAX_SMC_KEYS} keys when a recorded #KEY declares 4,000,000,000, and says so`, () => {
    const dump = parseSmcDump('[#KEY] type [ui32] 75693332 len [ 4] attr [80] -> EE6B2800\n[TC0P] type [sp78] 73703738 len [ 2] attr [C0] -> 2630\n');
    const smc = new RecordedSmc(dump, 'hand-made dump');
    expect(smc.keyCount()).toBe(4_000_000_000);
    const started = performance.now();
    const discovery = discoverKeys(smc);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(discovery.keys.map((k) => k.key)).toEqual(['#KEY', 'TC0P']);
    expect(discovery.clamped).toBe(`hand-made dump declares 4000000000 keys (#KEY); only the first ${MAX_SMC_KEYS} are read — real SMCs list a few thousand`);
  });

  it('says nothing when #KEY is a real count', () => {
    const dump = parseSmcDump('[#KEY] type [ui32] 75693332 len [ 4] attr [80] -> 00000001\n[TC0P] type [sp78] 73703738 len [ 2] attr [C0] -> 2630\n');
    expect(discoverKeys(new RecordedSmc(dump, 'hand-made dump')).clamped).toBeUndefined();
  });
});
