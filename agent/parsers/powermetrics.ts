// The one place that knows what `powermetrics -f plist` documents look like, across the schemas
// seen in real captures:
//
// - Apple Silicon (macOS 12-15): `processor.{cpu,gpu,ane}_power` in mW and `*_energy` in mJ over
//   the sample, `combined_power` (mW) for the whole SoC, `package_energy` (mJ) on older releases;
//   `processor.clusters[]` named by the machine (E-Cluster, P0-Cluster, ... E1-Cluster on an
//   Ultra; the M5 family's S- and M-Clusters), each with `cpus[]`; a `gpu` dict whose `freq_hz`
//   is in fact MHz; `thermal_pressure` as a word.
// - Intel (OS X 10.9 era): `processor.package_watts` (W) and `package_joules` (J), CPUs under
//   `processor.packages[].cores[].cpus[]`; no clusters, no ANE, no thermal pressure.
//
// A key that is absent gives no value (never a zero). A value that is present but impossible
// (negative or absurd power, a frequency above 10 GHz, a ratio outside 0..1, a cluster whose idle
// and down ratios sum above 1, clusters that share a name, an unknown thermal level) is left out
// and listed in `rejected`, so the caller can count it.

import { parsePlist, type PlistDict, type PlistValue } from './plist.js';

export type PowerComponent = 'cpu' | 'gpu' | 'ane' | 'package';

export interface PowermetricsCluster {
  /** The machine's name for the cluster without the `-Cluster` suffix: E, P, E0, P1, S, M ... */
  readonly name: string;
  readonly frequencyHz?: number;
  /** Active residency over the sample, 0..1 (1 - idle ratio - down ratio). */
  readonly utilization?: number;
}

export interface PowermetricsCpu {
  readonly logicalNumber: number;
  readonly frequencyHz?: number;
}

export interface PowermetricsGpu {
  readonly frequencyHz?: number;
  /** Active residency over the sample, 0..1. */
  readonly utilization?: number;
}

export interface RejectedValue {
  /** Where in the document, e.g. `processor.cpu_power`. */
  readonly field: string;
  readonly value: PlistValue;
  readonly reason: string;
}

export interface PowermetricsSample {
  readonly hwModel?: string;
  readonly osVersion?: string;
  readonly timestamp?: Date;
  /** Length of the sample. */
  readonly elapsedSeconds?: number;
  /** Average power over the sample (W). `package` is the whole CPU package (the SoC on Apple Silicon). */
  readonly powerWatts: Partial<Record<PowerComponent, number>>;
  /** Energy used during the sample (J). */
  readonly energyJoules: Partial<Record<PowerComponent, number>>;
  readonly clusters: readonly PowermetricsCluster[];
  readonly cpus: readonly PowermetricsCpu[];
  readonly gpu?: PowermetricsGpu;
  /** 0 nominal, 1 moderate, 2 heavy, 3 trapping, 4 sleeping. */
  readonly thermalPressure?: number;
  readonly rejected: readonly RejectedValue[];
  /** Diagnostics powermetrics printed into the document (e.g. "time went backwards by ... ns"). */
  readonly warnings: readonly string[];
}

export class PowermetricsParseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PowermetricsParseError';
  }
}

/** More than any Mac draws (a Mac Pro's power supply is 1.4 kW): anything above is a broken reading. */
export const MAX_PLAUSIBLE_WATTS = 2000;
/** No Mac CPU or GPU clocks above this. */
export const MAX_PLAUSIBLE_HZ = 10e9;

/**
 * powermetrics prints some diagnostics to stdout, in the middle of the document, on a line of
 * their own (seen in a VMware guest: `warning: time went backwards by ... ns` between a <key> and
 * its <dict>). They are taken out before the plist is read, and kept as warnings.
 */
const DIAGNOSTIC_LINE = /^warning: ([^<\n]*)\n/gm;

const THERMAL_PRESSURE_LEVELS: Readonly<Record<string, number>> = {
  nominal: 0, moderate: 1, heavy: 2, trapping: 3, sleeping: 4,
};

type Dict = PlistDict;

/** Where a number is read from, and the factor that converts it to W or J. */
interface Field {
  readonly dict: Dict;
  readonly key: string;
  readonly path: string;
  readonly scale: number;
}

function fieldName(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function isDict(v: PlistValue | undefined): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}

/** Reads the fields of a sample, remembering what it had to reject. */
class SampleReader {
  readonly rejected: RejectedValue[] = [];

  reject(field: string, value: PlistValue, reason: string): undefined {
    this.rejected.push({ field, value, reason });
    return undefined;
  }

  /** A finite number, or undefined when the key is absent or NaN (how powermetrics writes "no data", e.g. the GPU's idle_ratio while it is off). */
  number(dict: Dict, key: string, path: string): number | undefined {
    const v = dict[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number') return this.reject(fieldName(path, key), v, 'not a number');
    if (Number.isNaN(v)) return undefined;
    if (!Number.isFinite(v)) return this.reject(fieldName(path, key), v, 'not finite');
    return v;
  }

  string(dict: Dict, key: string, path: string): string | undefined {
    const v = dict[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') return this.reject(fieldName(path, key), v, 'not a string');
    return v;
  }

  dict(dict: Dict, key: string, path: string): Dict | undefined {
    const v = dict[key];
    if (v === undefined) return undefined;
    if (!isDict(v)) return this.reject(fieldName(path, key), typeof v === 'object' ? '(not a dict)' : v, 'not a dict');
    return v;
  }

  dicts(dict: Dict, key: string, path: string): Dict[] {
    const v = dict[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) return this.reject(fieldName(path, key), typeof v === 'object' ? '(not an array)' : v, 'not an array') ?? [];
    return v.filter(isDict);
  }

  ratio(dict: Dict, key: string, path: string): number | undefined {
    const v = this.number(dict, key, path);
    if (v === undefined) return undefined;
    if (v < 0 || v > 1) return this.reject(fieldName(path, key), v, 'ratio outside 0..1');
    return v;
  }

  /**
   * `freq_hz` in Hz, as the key says, except the GPU's, which powermetrics writes in MHz (e.g.
   * 1360.85 next to dvfm_states of 444..1398 MHz). Rule: a value within a factor of 1000 of the
   * element's largest dvfm_states `freq` (always MHz) is MHz; without dvfm_states, a value below
   * 100,000 is MHz (no Mac clocks below 100 kHz, none above 100 GHz). 0 (powered off) stays 0.
   */
  frequency(dict: Dict, path: string): number | undefined {
    const v = this.number(dict, 'freq_hz', path);
    if (v === undefined) return undefined;
    if (v < 0) return this.reject(fieldName(path, 'freq_hz'), v, 'negative frequency');
    const states = this.dicts(dict, 'dvfm_states', path).map((s) => s['freq']).filter((f): f is number => typeof f === 'number' && f > 0);
    const topMHz = states.length > 0 ? Math.max(...states) : undefined;
    const isMHz = topMHz !== undefined ? v < topMHz * 1000 : v < 100_000;
    const hz = isMHz ? v * 1e6 : v;
    if (hz > MAX_PLAUSIBLE_HZ) return this.reject(fieldName(path, 'freq_hz'), v, `frequency ${hz} Hz is above ${MAX_PLAUSIBLE_HZ} Hz`);
    return hz;
  }

  /**
   * Power and energy of one component. powermetrics gives power and energy over the same sample;
   * when only one of them is present the other follows from the sample length (energy = power x
   * elapsed, power = energy / elapsed), as powermetrics itself computes them. A value present but
   * rejected is not replaced by a derived one.
   */
  component(power: Field | undefined, energy: Field | undefined, elapsed: number | undefined): { watts?: number; joules?: number } {
    const read = (f: Field | undefined): number | undefined => {
      if (f === undefined) return undefined;
      const v = this.number(f.dict, f.key, f.path);
      return v === undefined ? undefined : v * f.scale;
    };
    const checkWatts = (v: number | undefined, f: Field): number | undefined =>
      v === undefined || (v >= 0 && v <= MAX_PLAUSIBLE_WATTS) ? v
        : this.reject(fieldName(f.path, f.key), f.dict[f.key]!, `power ${v} W is outside 0..${MAX_PLAUSIBLE_WATTS} W`);
    // Without elapsed_ns the sample length is unknown; no powermetrics interval is near an hour.
    const maxJoules = MAX_PLAUSIBLE_WATTS * (elapsed ?? 3600);
    const checkJoules = (v: number | undefined, f: Field): number | undefined =>
      v === undefined || (v >= 0 && v <= maxJoules) ? v
        : this.reject(fieldName(f.path, f.key), f.dict[f.key]!, `energy ${v} J is outside 0..${maxJoules} J for the sample`);

    let watts = power ? checkWatts(read(power), power) : undefined;
    let joules = energy ? checkJoules(read(energy), energy) : undefined;
    const powerGiven = power !== undefined && power.dict[power.key] !== undefined;
    const energyGiven = energy !== undefined && energy.dict[energy.key] !== undefined;
    if (elapsed !== undefined) {
      if (!powerGiven && joules !== undefined) watts = joules / elapsed;
      if (!energyGiven && watts !== undefined) joules = watts * elapsed;
    }
    return { ...(watts !== undefined ? { watts } : {}), ...(joules !== undefined ? { joules } : {}) };
  }
}

/** Two ratios of one sample may sum a few ulps above 1; more than this is not rounding. */
const RATIO_ROUNDING = 1e-9;

/**
 * Clusters that share a name cannot be told apart in the metrics (their series would merge), and
 * which one is right cannot be known: all of them are rejected.
 */
function withoutSharedNames(clusters: readonly PowermetricsCluster[], paths: readonly string[], r: SampleReader): PowermetricsCluster[] {
  const count = new Map<string, number>();
  for (const c of clusters) count.set(c.name, (count.get(c.name) ?? 0) + 1);
  return clusters.filter((c, i) => {
    if (count.get(c.name) === 1) return true;
    r.reject(paths[i]!, c.name, `${count.get(c.name)} clusters are named ${JSON.stringify(c.name)}; none of them is exported`);
    return false;
  });
}

function clusterName(raw: string): string {
  return raw.replace(/[-_ ]?cluster$/i, '');
}

/**
 * Parses one powermetrics plist document into a sample. Throws PowermetricsParseError when the
 * document is not a readable plist dict; impossible values inside a readable document are left
 * out and listed in `rejected` instead.
 */
export function parsePowermetricsPlist(text: string): PowermetricsSample {
  const warnings: string[] = [];
  const plist = text.includes('warning: ')
    ? text.replace(DIAGNOSTIC_LINE, (_, message: string) => {
      warnings.push(message);
      return '';
    })
    : text;
  let root: PlistValue;
  try {
    root = parsePlist(plist);
  } catch (error) {
    throw new PowermetricsParseError(`powermetrics document is not a valid plist: ${(error as Error).message}`, { cause: error });
  }
  if (!isDict(root)) throw new PowermetricsParseError(`powermetrics document is a plist ${Array.isArray(root) ? 'array' : typeof root}, not a dict`);

  const r = new SampleReader();
  const elapsedNs = r.number(root, 'elapsed_ns', '');
  const elapsed = elapsedNs !== undefined && elapsedNs > 0 ? elapsedNs / 1e9 : undefined;
  const powerWatts: Partial<Record<PowerComponent, number>> = {};
  const energyJoules: Partial<Record<PowerComponent, number>> = {};
  const set = (c: PowerComponent, v: { watts?: number; joules?: number }): void => {
    if (v.watts !== undefined) powerWatts[c] = v.watts;
    if (v.joules !== undefined) energyJoules[c] = v.joules;
  };

  const processor = r.dict(root, 'processor', '') ?? {};
  const gpuDict = r.dict(root, 'gpu', '');
  const mW = (dict: Dict, key: string, path: string): Field => ({ dict, key, path, scale: 1e-3 });
  const W = (dict: Dict, key: string, path: string): Field => ({ dict, key, path, scale: 1 });
  const P = 'processor';

  set('cpu', r.component(mW(processor, 'cpu_power', P), mW(processor, 'cpu_energy', P), elapsed));
  set('ane', r.component(mW(processor, 'ane_power', P), mW(processor, 'ane_energy', P), elapsed));
  // The cpu_power sampler reports the GPU under `processor`; the gpu_power sampler alone only
  // gives `gpu.gpu_energy` (measured over a slightly different window, so it is the fallback).
  if (processor['gpu_power'] !== undefined || processor['gpu_energy'] !== undefined) {
    set('gpu', r.component(mW(processor, 'gpu_power', P), mW(processor, 'gpu_energy', P), elapsed));
  } else if (gpuDict) {
    set('gpu', r.component(undefined, mW(gpuDict, 'gpu_energy', 'gpu'), elapsed));
  }
  if (processor['package_watts'] !== undefined || processor['package_joules'] !== undefined) {
    set('package', r.component(W(processor, 'package_watts', P), W(processor, 'package_joules', P), elapsed));
  } else {
    set('package', r.component(mW(processor, 'combined_power', P), mW(processor, 'package_energy', P), elapsed));
  }

  const clusters: PowermetricsCluster[] = [];
  const clusterPaths: string[] = [];
  const cpus: PowermetricsCpu[] = [];
  const readCpus = (list: Dict[], path: string): void => {
    for (const [i, cpu] of list.entries()) {
      const n = r.number(cpu, 'cpu', `${path}[${i}]`);
      if (n === undefined || !Number.isInteger(n) || n < 0) continue;
      const frequencyHz = r.frequency(cpu, `${path}[${i}]`);
      cpus.push({ logicalNumber: n, ...(frequencyHz !== undefined ? { frequencyHz } : {}) });
    }
  };
  for (const [i, c] of r.dicts(processor, 'clusters', P).entries()) {
    const path = `${P}.clusters[${i}]`;
    const name = r.string(c, 'name', path);
    if (name === undefined || name === '') continue;
    const frequencyHz = r.frequency(c, path);
    const idle = r.ratio(c, 'idle_ratio', path);
    // macOS 26 reports powered-down time apart from idle time ("down residency"); active is what is left.
    const down = r.ratio(c, 'down_ratio', path) ?? 0;
    let utilization: number | undefined;
    if (idle !== undefined && idle + down > 1 + RATIO_ROUNDING) {
      r.reject(`${path}.down_ratio`, down, `idle_ratio ${idle} + down_ratio ${down} is above 1`);
    } else if (idle !== undefined) {
      utilization = Math.max(0, 1 - idle - down);
    }
    clusters.push({
      name: clusterName(name),
      ...(frequencyHz !== undefined ? { frequencyHz } : {}),
      ...(utilization !== undefined ? { utilization } : {}),
    });
    clusterPaths.push(`${path}.name`);
    readCpus(r.dicts(c, 'cpus', path), `${path}.cpus`);
  }
  const distinctClusters = withoutSharedNames(clusters, clusterPaths, r);
  for (const [i, pkg] of r.dicts(processor, 'packages', P).entries()) {
    for (const [j, core] of r.dicts(pkg, 'cores', `${P}.packages[${i}]`).entries()) {
      readCpus(r.dicts(core, 'cpus', `${P}.packages[${i}].cores[${j}]`), `${P}.packages[${i}].cores[${j}].cpus`);
    }
  }
  cpus.sort((a, b) => a.logicalNumber - b.logicalNumber);

  let gpu: PowermetricsGpu | undefined;
  if (gpuDict) {
    const frequencyHz = r.frequency(gpuDict, 'gpu');
    const idle = r.ratio(gpuDict, 'idle_ratio', 'gpu');
    gpu = {
      ...(frequencyHz !== undefined ? { frequencyHz } : {}),
      ...(idle !== undefined ? { utilization: 1 - idle } : {}),
    };
  }

  let thermalPressure: number | undefined;
  const pressure = r.string(root, 'thermal_pressure', '');
  if (pressure !== undefined) {
    // hasOwn: `constructor` or `toString` in a document must not read the object's prototype.
    const level = pressure.toLowerCase();
    thermalPressure = Object.hasOwn(THERMAL_PRESSURE_LEVELS, level) ? THERMAL_PRESSURE_LEVELS[level] : undefined;
    if (thermalPressure === undefined) r.reject('thermal_pressure', pressure, `unknown level (known: ${Object.keys(THERMAL_PRESSURE_LEVELS).join(', ')})`);
  }

  const hwModel = r.string(root, 'hw_model', '');
  const osVersion = r.string(root, 'kern_osversion', '');
  const timestamp = root['timestamp'];
  return {
    ...(hwModel !== undefined ? { hwModel } : {}),
    ...(osVersion !== undefined ? { osVersion } : {}),
    ...(timestamp instanceof Date ? { timestamp } : {}),
    ...(elapsed !== undefined ? { elapsedSeconds: elapsed } : {}),
    powerWatts,
    energyJoules,
    clusters: distinctClusters,
    cpus,
    ...(gpu !== undefined ? { gpu } : {}),
    ...(thermalPressure !== undefined ? { thermalPressure } : {}),
    rejected: r.rejected,
    warnings,
  };
}
