// Parse cost per real capture: µs per document (median of rounds after a warm-up) and documents
// per second, for the agent's own parsers and, for comparison, the `plist` npm package on the
// same powermetrics documents.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../lib/child.js';
import { findFixture } from '../lib/fixtures.js';
import { DIST } from '../lib/paths.js';

const POWERMETRICS = [
  { chip: 'M1', file: 'm1-mbp17_1-macos13.3-pumas-1.plist' },
  { chip: 'M2 Ultra', file: 'm2ultra-mac14_14-macos14.4-pumas.plist', budgetUs: 1000 },
  { chip: 'M4 Pro', file: 'm4pro-mac16_8-macos15.5-gpu_power-5samples-nulsep-matiasinsaurralde.plist' },
  { chip: 'Intel', file: 'intel-mbp11_3-osx10.9.2-catapult.plist' },
];
const TEXT = [
  { parser: 'vm_stat', module: 'parsers/vm_stat.js', fn: 'parseVmStat', file: 'm1pro-ansible-fixture.txt' },
  { parser: 'iostat', module: 'parsers/iostat.js', fn: 'parseIostat', file: 'macos-iostat-dKI-n99-cumulative-px.txt' },
  { parser: 'iostat', module: 'parsers/iostat.js', fn: 'parseIostat', file: 'applesilicon-iostat-w1-c5-2disks-innopolis-lab8-whitespace-suspect.txt' },
  { parser: 'sysctl', module: 'parsers/sysctl.js', fn: 'parseSysctl', file: 'm1-mba10_1-8gb-sysctl-vm-asitopgo.txt' },
  { parser: 'ioreg', module: 'parsers/ioreg.js', fn: 'parseIoreg', file: 'ioreg-storage.txt' },
  { parser: 'ioreg', module: 'parsers/ioreg.js', fn: 'parseIoreg', file: 'ioreg-accelerator.txt' },
  { parser: 'ioreg', module: 'parsers/ioreg.js', fn: 'parseIoreg', file: 'ioreg-battery.txt' },
];

/** Documents per second, for the table's note column. */
const perSecond = (us) => `${Math.round(1e6 / us).toLocaleString('en-US')} documents/s`;

/** Median µs per document over `rounds` rounds of at least `minMs` each, after a warm-up. */
function measure(fn, docs, { warmupMs = 150, minMs = 150, rounds = 5 } = {}) {
  let t = performance.now();
  while (performance.now() - t < warmupMs) for (const d of docs) fn(d);
  const perDoc = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    t = performance.now();
    let elapsed;
    do {
      for (const d of docs) fn(d);
      n += docs.length;
      elapsed = performance.now() - t;
    } while (elapsed < minMs);
    perDoc.push((elapsed * 1000) / n);
  }
  return median(perDoc);
}

async function load(rel, fn) {
  try {
    const mod = await import(pathToFileURL(join(DIST, rel)).href);
    return typeof mod[fn] === 'function' ? mod[fn] : `dist/agent/${rel} has no ${fn}()`;
  } catch (error) {
    return `dist/agent/${rel} does not load (${error.message.split('\n')[0]})`;
  }
}

async function plistPackage() {
  try {
    return (await import('plist')).parse;
  } catch {
    return undefined;
  }
}

export async function run() {
  const rows = [];
  const skip = (label, note, budget) => rows.push({ section: 'parse', label, value: null, unit: 'µs/doc', ...(budget ? { budget } : {}), status: 'SKIP', note });
  const parsePowermetrics = await load('parsers/powermetrics.js', 'parsePowermetricsPlist');
  const parsePlist = await load('parsers/plist.js', 'parsePlist');
  const plistParse = await plistPackage();

  for (const c of POWERMETRICS) {
    const path = findFixture(c.file);
    const budget = c.budgetUs;
    if (path === undefined) {
      skip(`powermetrics plist ${c.chip}`, `capture ${c.file} is not under test/fixtures`, budget);
      continue;
    }
    const text = readFileSync(path, 'utf8');
    const docs = text.split('\0').filter((d) => d.trim() !== '');
    const kb = Buffer.byteLength(docs[0]) / 1024;
    const what = `${c.chip}, ${docs.length} doc${docs.length > 1 ? 's' : ''} of ${kb.toFixed(0)} KB`;
    const add = (label, fn, extra = {}) => {
      const us = measure(fn, docs, extra.slow ? { warmupMs: 60, minMs: 100, rounds: 3 } : undefined);
      rows.push({
        section: 'parse', label: `${label} (${what})`, value: us, unit: 'µs/doc',
        ...(extra.budget !== undefined ? { budget: extra.budget } : {}),
        note: perSecond(us),
        detail: { docsPerSecond: 1e6 / us, documentKB: kb, documents: docs.length, file: c.file },
      });
    };
    if (typeof parsePowermetrics === 'function') add('powermetrics document -> sample', parsePowermetrics, { budget });
    else skip(`powermetrics document -> sample (${what})`, parsePowermetrics, budget);
    if (typeof parsePlist === 'function') add('plist tokenizer alone', parsePlist);
    if (plistParse !== undefined) add('`plist` npm package, for comparison', plistParse, { slow: true });
  }

  for (const c of TEXT) {
    const path = findFixture(c.file);
    const fn = await load(c.module, c.fn);
    const label = `${c.parser} (${c.file})`;
    if (path === undefined) { skip(label, `capture ${c.file} is not under test/fixtures`); continue; }
    if (typeof fn !== 'function') { skip(label, fn); continue; }
    const text = readFileSync(path, 'utf8');
    const us = measure(() => fn(text, () => {}), [text]);
    rows.push({ section: 'parse', label, value: us, unit: 'µs/doc', note: perSecond(us), detail: { docsPerSecond: 1e6 / us, bytes: Buffer.byteLength(text) } });
  }
  return rows;
}
