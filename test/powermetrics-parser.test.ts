import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePowermetricsPlist, PowermetricsParseError, type PowermetricsSample } from '../agent/parsers/powermetrics.js';
import { splitNulDocuments } from '../agent/sources/nul-stream.js';
import { samplePoints } from '../agent/sources/powermetrics.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'powermetrics');

function documents(file: string): string[] {
  return splitNulDocuments(readFileSync(join(FIXTURES, file)), 8 << 20, () => undefined);
}

function sample(file: string, index = 0): PowermetricsSample {
  return parsePowermetricsPlist(documents(file)[index]!);
}

describe('every real powermetrics capture', () => {
  const files = readdirSync(FIXTURES).filter((f) => !f.startsWith('handmade-'));

  it('parses without error or rejected value, document by document', () => {
    expect(files.length).toBe(15);
    for (const file of files) {
      for (const doc of documents(file)) {
        const s = parsePowermetricsPlist(doc);
        expect(s.rejected, file).toEqual([]);
        expect(s.hwModel, file).toMatch(/^(Mac|MacBook|VMware)/);
      }
    }
  });

  it('finds every document of the NUL-separated streams', () => {
    expect(documents('intel-mbp10_1-osx10.9-catapult-2014-01.plist')).toHaveLength(9);
    expect(documents('m4pro-mac16_8-macos15.5-gpu_power-5samples-nulsep-matiasinsaurralde.plist')).toHaveLength(5);
    expect(documents('m4pro-mac16_8-macos15.5-battery-3samples-nulsep-matiasinsaurralde.plist')).toHaveLength(3);
  });
});

describe('M2 Ultra (Mac14,14, macOS 14.4): 2 E- and 4 P-clusters', () => {
  const s = sample('m2ultra-mac14_14-macos14.4-pumas.plist');

  it('reads power in W from mW and energy in J from mJ', () => {
    expect(s.elapsedSeconds).toBe(1.023721416);
    expect(s.powerWatts.cpu).toBeCloseTo(0.835188, 9);
    expect(s.powerWatts.gpu).toBeCloseTo(70.9246, 9);
    expect(s.powerWatts.ane).toBe(0);
    expect(s.powerWatts.package).toBeCloseTo(71.7598, 9);
    expect(s.energyJoules.cpu).toBeCloseTo(0.855, 9);
    expect(s.energyJoules.gpu).toBeCloseTo(72.607, 9);
    expect(s.energyJoules.ane).toBe(0);
    // No combined energy in the document: combined_power x elapsed_ns.
    expect(s.energyJoules.package).toBeCloseTo(71.7598 * 1.023721416, 9);
  });

  it('names the clusters as the machine does, with their frequency and active residency', () => {
    expect(s.clusters.map((c) => c.name)).toEqual(['E0', 'P0', 'P1', 'E1', 'P2', 'P3']);
    expect(s.clusters.map((c) => c.frequencyHz)).toEqual([9.90818e8, 2.77502e9, 3.48197e9, 9.122e8, 7.02001e8, 3.27921e9]);
    const idle = [0.0412716, 0.790687, 0.982092, 0.44504, 0.999993, 0.996547];
    s.clusters.forEach((c, i) => expect(c.utilization).toBeCloseTo(1 - idle[i]!, 12));
  });

  it('reads all 24 CPUs in logical order', () => {
    expect(s.cpus.map((c) => c.logicalNumber)).toEqual([...Array(24).keys()]);
    expect(s.cpus[0]).toEqual({ logicalNumber: 0, frequencyHz: 9.79723e8 });
  });

  it('converts the GPU freq_hz, which is MHz (1360.85 among dvfm_states of 444..1398), to Hz', () => {
    expect(s.gpu?.frequencyHz).toBeCloseTo(1.36085e9, 0);
    expect(s.gpu?.utilization).toBeCloseTo(1 - 0.0536782, 12);
  });

  it('maps thermal pressure Nominal to 0, and keeps the identity fields', () => {
    expect(s.thermalPressure).toBe(0);
    expect(s.hwModel).toBe('Mac14,14');
    expect(s.osVersion).toBe('23E224');
    expect(s.timestamp).toEqual(new Date('2024-04-12T22:42:39Z'));
  });

  it('becomes these points', () => {
    const points = samplePoints(s, new Map([['cpu', 10], ['gpu', 20]]));
    const find = (metric: string, attrs: Record<string, string | number>) =>
      points.filter((p) => p.metric === metric && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v)).map((p) => p.value);
    expect(find('hwPower', { 'hw.id': 'ane', 'hw.type': 'npu' })).toEqual([0]);
    expect(find('hwPower', { 'hw.id': 'package', 'hw.type': 'cpu' })).toEqual([71.7598]);
    expect(find('hwEnergy', { 'hw.id': 'gpu', 'hw.type': 'gpu' })).toEqual([20]);
    expect(find('hwEnergy', { 'hw.id': 'ane' })).toEqual([]);
    expect(find('cpuFrequency', { 'cpu.logical_number': 5 })).toEqual([3.47068e9]);
    expect(find('clusterFrequency', { 'macos.cpu.cluster': 'E1' })).toEqual([9.122e8]);
    expect(find('gpuFrequency', { 'hw.id': 'gpu' })).toEqual([1360850000]);
    expect(find('thermalPressure', {})).toEqual([0]);
    expect(points.filter((p) => p.metric === 'clusterUtilization')).toHaveLength(6);
    expect(points.filter((p) => p.metric === 'cpuFrequency')).toHaveLength(24);
  });
});

describe('M1 (MacBookPro17,1, macOS 13.3)', () => {
  const s = sample('m1-mbp17_1-macos13.3-pumas-1.plist');

  it('reads power, energy, clusters, CPUs, GPU and thermal pressure', () => {
    expect(s.powerWatts.cpu).toBeCloseTo(0.0440773, 12);
    expect(s.powerWatts.gpu).toBeCloseTo(0.0153528, 12);
    expect(s.powerWatts.package).toBeCloseTo(0.0594301, 12);
    expect(s.energyJoules.cpu).toBeCloseTo(0.089, 12);
    expect(s.energyJoules.gpu).toBeCloseTo(0.031, 12);
    expect(s.clusters.map((c) => c.name)).toEqual(['E', 'P']);
    expect(s.clusters[0]?.frequencyHz).toBe(1.02287e9);
    expect(s.clusters[0]?.utilization).toBeCloseTo(1 - 0.772993, 12);
    expect(s.clusters[1]?.frequencyHz).toBe(6.18173e8);
    expect(s.clusters[1]?.utilization).toBeCloseTo(1 - 0.983957, 12);
    expect(s.cpus).toHaveLength(8);
    expect(s.cpus[0]?.frequencyHz).toBe(1.04615e9);
    expect(s.gpu?.frequencyHz).toBeCloseTo(714.836e6, 0);
    expect(s.gpu?.utilization).toBeCloseTo(1 - 0.983341, 12);
    expect(s.thermalPressure).toBe(0);
  });

  it('reads the re-serialised macOS 15.4.1 capture; a GPU idle_ratio of nan is no value, not zero', () => {
    const r = sample('m1-mba10_1-macos15.4.1-reserialized-rasitop.plist');
    expect(r.powerWatts.cpu).toBeCloseTo(1.94182, 12);
    expect(r.energyJoules.cpu).toBeCloseTo(0.021, 12);
    expect(r.clusters.map((c) => [c.name, c.frequencyHz])).toEqual([['E', 9.72013e8], ['P', 3.08918e9]]);
    expect(r.gpu).toEqual({ frequencyHz: 0 });
    expect(r.thermalPressure).toBeUndefined();
  });

  it('gives no power, CPU or thermal values for a network-only sample (missing, never 0)', () => {
    const n = sample('m1-mba10_1-macos14.3-network-asitopgo.plist');
    expect(n.powerWatts).toEqual({});
    expect(n.energyJoules).toEqual({});
    expect(n.clusters).toEqual([]);
    expect(n.gpu).toBeUndefined();
    expect(samplePoints(n, new Map())).toEqual([]);
  });
});

describe('M4 Pro (Mac16,8, macOS 15.5), gpu_power sampler only', () => {
  it('derives GPU power from gpu.gpu_energy over elapsed_ns, in each of the 5 NUL-separated samples', () => {
    const file = 'm4pro-mac16_8-macos15.5-gpu_power-5samples-nulsep-matiasinsaurralde.plist';
    const expected = [
      [19, 5004758375, 426.525, 0.982517],
      [107, 5014447083, 479.398, 0.969724],
      [788, 5010073541, 867.616, 0.917447],
      [146, 5014230916, 483.431, 0.967758],
      [126, 5009178500, 458.421, 0.960673],
    ] as const;
    expected.forEach(([mJ, ns, mhz, idle], i) => {
      const s = sample(file, i);
      expect(s.energyJoules.gpu).toBeCloseTo(mJ / 1000, 12);
      expect(s.powerWatts.gpu).toBeCloseTo(mJ / 1000 / (ns / 1e9), 12);
      expect(s.gpu?.frequencyHz).toBeCloseTo(mhz * 1e6, 0);
      expect(s.gpu?.utilization).toBeCloseTo(1 - idle, 12);
      expect(s.powerWatts.cpu).toBeUndefined();
      expect(s.clusters).toEqual([]);
    });
  });
});

describe('Intel (OS X 10.9): the old schema', () => {
  it('reads package_watts and package_joules as they are (W, J) and CPUs under packages/cores', () => {
    const s = sample('intel-mbp10_1-osx10.9-catapult-2014-01.plist');
    expect(s.powerWatts).toEqual({ package: 5.49528 });
    expect(s.energyJoules).toEqual({ package: 27.5028 });
    expect(s.cpus.map((c) => c.logicalNumber)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(s.cpus[0]?.frequencyHz).toBe(2.09017e9);
    expect(s.clusters).toEqual([]);
    expect(s.gpu).toBeUndefined();
    expect(s.thermalPressure).toBeUndefined();
  });

  it('reads package_watts and package_joules wherever they sit in processor (MacBookPro11,3)', () => {
    const s = sample('intel-mbp11_3-osx10.9.2-catapult.plist');
    expect(s.energyJoules).toEqual({ package: 13.0469 });
    expect(s.powerWatts).toEqual({ package: 3.03713 });
    expect(s.cpus[0]?.frequencyHz).toBe(1478510000);
  });

  it('gives no power for the unsupported MacBookPro5,4 and the VMware guest', () => {
    const old = sample('intel-mbp5_4-osx10.9-unsupported-catapult.plist');
    expect(old.powerWatts).toEqual({});
    expect(old.cpus).toEqual([]);
    const vm = sample('intel-vmware7_1-osx10.9.4-catapult.plist');
    expect(vm.powerWatts).toEqual({});
    expect(vm.cpus).toHaveLength(8);
    expect(vm.cpus.every((c) => c.frequencyHz === undefined)).toBe(true);
  });

  it('takes out the warning powermetrics printed inside the VMware document and keeps it', () => {
    expect(sample('intel-vmware7_1-osx10.9.4-catapult.plist').warnings).toEqual(['time went backwards by 1418132621000000000 ns']);
  });
});

describe('bad input (handmade)', () => {
  const text = (file: string) => readFileSync(join(FIXTURES, file), 'utf8');

  it('a truncated document is an error that says where it ends, never a partial sample', () => {
    expect(() => parsePowermetricsPlist(text('handmade-truncated-m1.plist')))
      .toThrow(/^powermetrics document is not a valid plist: document ends inside a tag, inside <dict> entry "cpu_power" at line 624, column 7$/);
  });

  it('garbage bytes and empty input are errors', () => {
    expect(() => parsePowermetricsPlist(text('handmade-garbage.plist'))).toThrow(PowermetricsParseError);
    expect(() => parsePowermetricsPlist(text('handmade-empty.plist'))).toThrow(/empty document: no <plist> element/);
    expect(() => parsePowermetricsPlist('<plist><array/></plist>')).toThrow(/is a plist array, not a dict/);
  });

  it('ignores unknown keys and dicts, and still reads the rest', () => {
    const s = parsePowermetricsPlist(text('handmade-unknown-keys-m1.plist'));
    expect(s.rejected).toEqual([]);
    expect(s).toEqual(sample('m1-mbp17_1-macos13.3-pumas-1.plist'));
  });

  it('rejects absurd values, lists them, and keeps every other value', () => {
    const s = parsePowermetricsPlist(text('handmade-absurd-values-m1.plist'));
    expect(s.rejected.map((r) => [r.field, r.value])).toEqual([
      ['processor.cpu_power', -44.0773],
      ['processor.gpu_power', 1e15],
      ['processor.gpu_energy', -5],
      ['processor.clusters[0].freq_hz', 5e10],
      ['processor.clusters[1].idle_ratio', 1.7],
      ['thermal_pressure', 'Scorching'],
    ]);
    expect(s.rejected[1]?.reason).toBe('power 1000000000000 W is outside 0..2000 W');
    // A rejected value is not replaced by one derived from its partner.
    expect(s.powerWatts.cpu).toBeUndefined();
    expect(s.energyJoules.cpu).toBeCloseTo(0.089, 12);
    expect(s.powerWatts.gpu).toBeUndefined();
    expect(s.energyJoules.gpu).toBeUndefined();
    expect(s.clusters[0]).toEqual({ name: 'E', utilization: expect.closeTo(1 - 0.772993, 12) as number });
    expect(s.clusters[1]).toEqual({ name: 'P', frequencyHz: 6.18173e8 });
    expect(s.thermalPressure).toBeUndefined();
    expect(s.powerWatts.package).toBeCloseTo(0.0594301, 12);
  });

  describe('edges hand-made from the real M1 capture (MacBookPro17,1)', () => {
    const m1 = text('m1-mbp17_1-macos13.3-pumas-1.plist');

    it('rejects both clusters when two share a name, rather than merge them into one series', () => {
      const s = parsePowermetricsPlist(m1.replace('<string>P-Cluster</string>', '<string>E-Cluster</string>'));
      expect(s.clusters).toEqual([]);
      expect(s.rejected.map((r) => [r.field, r.value, r.reason])).toEqual([
        ['processor.clusters[0].name', 'E', '2 clusters are named "E"; none of them is exported'],
        ['processor.clusters[1].name', 'E', '2 clusters are named "E"; none of them is exported'],
      ]);
      expect(s.cpus).toEqual(sample('m1-mbp17_1-macos13.3-pumas-1.plist').cpus);
    });

    it('rejects the active residency of a cluster whose idle and down ratios sum above 1', () => {
      const s = parsePowermetricsPlist(m1.replace('<key>idle_ratio</key><real>0.772993</real>', '<key>idle_ratio</key><real>0.772993</real><key>down_ratio</key><real>0.3</real>'));
      expect(s.clusters[0]).toEqual({ name: 'E', frequencyHz: sample('m1-mbp17_1-macos13.3-pumas-1.plist').clusters[0]!.frequencyHz });
      expect(s.rejected).toEqual([{ field: 'processor.clusters[0].down_ratio', value: 0.3, reason: 'idle_ratio 0.772993 + down_ratio 0.3 is above 1' }]);
    });

    it.each(['constructor', 'toString', '__proto__', 'Nominal2'])('rejects the thermal pressure %j, which is not a known level', (level) => {
      const s = parsePowermetricsPlist(m1.replace('<string>Nominal</string>', `<string>${level}</string>`));
      expect(s.thermalPressure).toBeUndefined();
      expect(s.rejected.map((r) => r.field)).toEqual(['thermal_pressure']);
    });
  });

  it('reads nan and inf as words, and never a word that names an object property', () => {
    expect(parsePowermetricsPlist('<plist><dict><key>elapsed_ns</key><real>inf</real></dict></plist>').rejected.map((r) => r.reason)).toEqual(['not finite']);
    expect(() => parsePowermetricsPlist('<plist><dict><key>elapsed_ns</key><real>constructor</real></dict></plist>')).toThrow(/<real> holds "constructor", not a number/);
  });

  it('maps every thermal pressure level', () => {
    const doc = (level: string) => `<plist><dict><key>thermal_pressure</key><string>${level}</string></dict></plist>`;
    expect(['Nominal', 'Moderate', 'Heavy', 'Trapping', 'Sleeping'].map((l) => parsePowermetricsPlist(doc(l)).thermalPressure)).toEqual([0, 1, 2, 3, 4]);
  });

  it('reads GPU freq_hz already in Hz as Hz, and names clusters without the -Cluster suffix (M5 S- and M-Clusters)', () => {
    const s = parsePowermetricsPlist(`<plist><dict>
      <key>processor</key><dict><key>clusters</key><array>
        <dict><key>name</key><string>S-Cluster</string><key>freq_hz</key><real>3.094e+09</real><key>idle_ratio</key><real>0.5</real><key>down_ratio</key><real>0.25</real></dict>
        <dict><key>name</key><string>M-Cluster</string></dict>
      </array></dict>
      <key>gpu</key><dict><key>freq_hz</key><real>1.2e+09</real><key>dvfm_states</key><array><dict><key>freq</key><integer>1398</integer></dict></array></dict>
    </dict></plist>`);
    expect(s.clusters).toEqual([{ name: 'S', frequencyHz: 3.094e9, utilization: 0.25 }, { name: 'M' }]);
    expect(s.gpu?.frequencyHz).toBe(1.2e9);
  });
});
