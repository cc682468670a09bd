// Fake macOS commands for the benchmark: executables in a fresh folder that goes first on PATH, so
// the agent spawns them by name through its real spawn path. One-shot commands print a recorded
// capture and exit; powermetrics streams NUL-terminated plist documents at the interval it is
// given, as the real one does. The folder and the one-shot fakes come from the tests' own helper
// (Node 24 runs that TypeScript file as it is).
export { catScript, makeFakeBin } from '../../test/helpers/fake-bin.ts';

/**
 * A streaming powermetrics: `-i/--sample-rate MS` between documents (the first one after one
 * interval, as powermetrics does), `-n/--sample-count N` documents then exit (0 or absent = for
 * ever). The documents are the capture's, cycled, each followed by a NUL byte. It runs under the
 * benchmark's own Node so PATH does not matter.
 */
export function powermetricsScript(file) {
  return `#!${process.execPath}
const { readFileSync } = require('node:fs');
const docs = readFileSync(${JSON.stringify(file)}, 'utf8').split('\\0').filter((d) => d.trim() !== '');
const args = process.argv.slice(2);
const value = (...names) => { const i = args.findIndex((a) => names.includes(a)); return i >= 0 ? Number(args[i + 1]) : undefined; };
const interval = value('-i', '--sample-rate') ?? 5000;
const count = value('-n', '--sample-count') ?? 0;
let sent = 0;
process.stdout.on('error', () => process.exit(0));
const emit = () => {
  process.stdout.write(docs[sent % docs.length] + '\\0');
  sent++;
  if (count > 0 && sent >= count) return;
  setTimeout(emit, interval);
};
setTimeout(emit, interval);
`;
}

/**
 * A streaming iostat: prints the capture's header lines at once, then one of its rows at once and
 * one more every `-w SECONDS` (cycling through the capture's rows), `-c N` rows then exit.
 */
export function iostatScript(file) {
  return `#!${process.execPath}
const { readFileSync } = require('node:fs');
const lines = readFileSync(${JSON.stringify(file)}, 'utf8').split('\\n').filter((l) => l.trim() !== '');
const isRow = (l) => /^\\s*[0-9]/.test(l);
const header = lines.filter((l) => !isRow(l));
const rows = lines.filter(isRow);
const args = process.argv.slice(2);
const value = (name) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : undefined; };
const waitMs = (value('-w') ?? 1) * 1000;
const count = value('-c') ?? 0;
let sent = 0;
process.stdout.on('error', () => process.exit(0));
process.stdout.write(header.join('\\n') + '\\n');
const emit = () => {
  process.stdout.write(rows[sent % rows.length] + '\\n');
  sent++;
  if (count > 0 && sent >= count) return;
  setTimeout(emit, waitMs);
};
emit();
`;
}
