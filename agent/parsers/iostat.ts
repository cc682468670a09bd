// Parses macOS `iostat` output, line by line (the source streams it from a long-lived child).
//
// Output is blocks of a device header (`disk0 disk4 cpu load average`), a column header
// (`KB/t tps MB/s` per disk, or `KB/t xfrs MB` with -I; then `us sy id` with -C and `1m 5m 15m`
// with -U) and rows. iostat reprints the headers every 20 rows and whenever a disk appears, so
// the disk set can change mid-stream. Columns are read by token, never by position: real captures
// differ in leading whitespace.
//
// What a row means (from Apple's iostat.c, system_cmds):
// * the first row is the average (rates) or total (-I) since boot; later rows cover the time
//   since the previous row, except the per-disk -I columns, below;
// * with -I, a disk's running totals are taken once, at its first row with any I/O, and later
//   rows print the I/O since then ("update running totals, only once for -I"). So a disk's total
//   since boot is that first total plus the latest row, not the sum of the rows; IostatDiskTotals
//   replays exactly that rule;
// * MB is 1024 * 1024 bytes, printed with two decimals (a resolution of 10,486 bytes);
// * cpu us/sy/id are whole percentages of the interval's ticks.

export interface IostatColumns {
  readonly disks: readonly string[];
  /** `-I`: per-disk columns are KB/t, xfrs, MB (totals); otherwise KB/t, tps, MB/s (per second). */
  readonly totals: boolean;
  /** CPU columns as printed (`us sy id`; FreeBSD-style `us ni sy in id` is read too). */
  readonly cpuModes: readonly string[];
  readonly load: boolean;
}

export interface IostatDiskValues {
  readonly device: string;
  readonly kilobytesPerTransfer: number;
  /** Transfers (with -I) or transfers per second. */
  readonly transfers: number;
  /** Megabytes (with -I) or megabytes per second; 1 MB = 1024 * 1024 bytes. */
  readonly megabytes: number;
}

export interface IostatRow {
  readonly columns: IostatColumns;
  readonly disks: readonly IostatDiskValues[];
  /** Percent by mode as printed (`us`, `sy`, `id` ...); empty without cpu columns. */
  readonly cpu: ReadonlyMap<string, number>;
  readonly loadAverage?: readonly [number, number, number];
}

export interface IostatMalformedLine {
  readonly line: string;
  readonly reason: string;
}

export type IostatLineResult =
  | { readonly kind: 'row'; readonly row: IostatRow }
  | { readonly kind: 'header' }
  | { readonly kind: 'malformed'; readonly malformed: IostatMalformedLine }
  | { readonly kind: 'skipped' };

const CPU_MODES = new Set(['us', 'ni', 'sy', 'in', 'id']);
const NUMBER = /^\d+(?:\.\d+)?$/;
const MiB = 1024 * 1024;
/** iostat ends every line with a newline; text after the last one was cut, maybe inside a number (load 2.07 read as 2). */
const CUT_LINE = 'the output ends inside this line (no newline after it): it was cut short, so its last value may be too';

function isCommandEcho(line: string): boolean {
  return /(^|\s)iostat(\s|$)/.test(line);
}

function parseColumnHeader(tokens: readonly string[], deviceLine: string | undefined): IostatColumns | string {
  let i = 0;
  let groups = 0;
  let totals: boolean | undefined;
  while (tokens[i] === 'KB/t') {
    const kind = `${tokens[i + 1]} ${tokens[i + 2]}`;
    const isTotals = kind === 'xfrs MB' ? true : kind === 'tps MB/s' ? false : undefined;
    if (isTotals === undefined) return `unknown disk columns "KB/t ${kind}"`;
    if (totals !== undefined && totals !== isTotals) return 'disks mix totals and rates';
    totals = isTotals;
    groups++;
    i += 3;
  }
  const cpuModes: string[] = [];
  while (i < tokens.length && CPU_MODES.has(tokens[i]!)) cpuModes.push(tokens[i++]!);
  let load = false;
  if (tokens[i] === '1m' && tokens[i + 1] === '5m' && tokens[i + 2] === '15m') {
    load = true;
    i += 3;
  }
  if (i !== tokens.length) return `unknown column "${tokens[i]}" (old-style -o output and tty columns are not read)`;
  const names = (deviceLine ?? '').trim().split(/\s+/).filter((t) => t !== '' && !['cpu', 'load', 'average', 'tty'].includes(t));
  if (names.length !== groups) return `the device header names ${names.length} disk(s) for ${groups} disk column group(s)`;
  return { disks: names, totals: totals ?? false, cpuModes, load };
}

function parseRow(tokens: readonly string[], columns: IostatColumns): IostatRow | string {
  const expected = columns.disks.length * 3 + columns.cpuModes.length + (columns.load ? 3 : 0);
  if (tokens.length !== expected) return `${tokens.length} values for ${expected} columns`;
  const bad = tokens.find((t) => !NUMBER.test(t));
  if (bad !== undefined) return `"${bad}" is not a number`;
  const values = tokens.map(Number);
  if (values.some((v) => !Number.isFinite(v) || v > Number.MAX_SAFE_INTEGER)) return 'absurd value (beyond 2^53)';
  const disks: IostatDiskValues[] = columns.disks.map((device, d) => ({
    device,
    kilobytesPerTransfer: values[d * 3]!,
    transfers: values[d * 3 + 1]!,
    megabytes: values[d * 3 + 2]!,
  }));
  if (columns.totals && disks.some((d) => !Number.isInteger(d.transfers))) return 'a transfer count is not a whole number';
  let i = columns.disks.length * 3;
  const cpu = new Map<string, number>();
  for (const mode of columns.cpuModes) {
    const v = values[i++]!;
    if (v > 100) return `absurd cpu ${mode} of ${v}% (over 100%)`;
    cpu.set(mode, v);
  }
  const loadAverage = columns.load ? [values[i]!, values[i + 1]!, values[i + 2]!] as const : undefined;
  return { columns, disks, cpu, ...(loadAverage ? { loadAverage } : {}) };
}

/**
 * Reads iostat output one line at a time and keeps the current headers. Pure: no I/O, no clock.
 */
export class IostatLineReader {
  #columns: IostatColumns | undefined;
  #previousText: string | undefined;

  read(rawLine: string): IostatLineResult {
    const line = rawLine.trimEnd();
    const trimmed = line.trim();
    if (trimmed === '') return { kind: 'skipped' };
    const tokens = trimmed.split(/\s+/);
    if (/^\d/.test(trimmed)) {
      if (this.#columns === undefined) return { kind: 'malformed', malformed: { line, reason: 'row before any column header' } };
      const row = parseRow(tokens, this.#columns);
      return typeof row === 'string' ? { kind: 'malformed', malformed: { line, reason: row } } : { kind: 'row', row };
    }
    if (tokens.includes('KB/t')) {
      const columns = parseColumnHeader(tokens, this.#previousText);
      this.#previousText = undefined;
      if (typeof columns === 'string') {
        this.#columns = undefined;
        return { kind: 'malformed', malformed: { line, reason: columns } };
      }
      this.#columns = columns;
      return { kind: 'header' };
    }
    // A device header (or, before it, an echoed command); it is judged when the column header comes.
    const stale = this.#previousText;
    this.#previousText = line;
    if (stale !== undefined && !isCommandEcho(stale)) {
      return { kind: 'malformed', malformed: { line: stale, reason: 'text that is neither a header nor a row' } };
    }
    return { kind: 'skipped' };
  }

  /** Call at the end of a document: a device header with no column header after it is malformed. */
  finish(): IostatMalformedLine | undefined {
    const stale = this.#previousText;
    this.#previousText = undefined;
    return stale !== undefined && !isCommandEcho(stale) ? { line: stale, reason: 'header without column header (output cut short?)' } : undefined;
  }
}

export interface DiskTotal {
  /** Transfers since boot. */
  readonly operations: number;
  /** Bytes read and written since boot (to the 0.01 MB iostat prints). */
  readonly bytes: number;
}

/**
 * Totals since boot per disk from successive `-I` rows of ONE iostat process, replaying
 * iostat's own bookkeeping: a disk's base is its total at its first row with any I/O; until then
 * every row is counted from the previous row.
 */
export class IostatDiskTotals {
  readonly #base = new Map<string, { transfers: number; megabytes: number; fixed: boolean }>();

  add(row: IostatRow): Map<string, DiskTotal> {
    const out = new Map<string, DiskTotal>();
    if (!row.columns.totals) return out;
    for (const d of row.disks) {
      const base = this.#base.get(d.device) ?? { transfers: 0, megabytes: 0, fixed: false };
      const transfers = base.transfers + d.transfers;
      // Sum in hundredths of a MB: the printed precision, and exact in floating point.
      const hundredths = Math.round(base.megabytes * 100) + Math.round(d.megabytes * 100);
      if (!base.fixed) this.#base.set(d.device, { transfers, megabytes: hundredths / 100, fixed: transfers > 0 || hundredths > 0 });
      out.set(d.device, { operations: transfers, bytes: Math.round((hundredths * MiB) / 100) });
    }
    return out;
  }
}

export interface IostatSummary {
  /** Totals since boot per disk; empty without -I. */
  readonly disks: ReadonlyMap<string, DiskTotal>;
  /** CPU percent by mode over the last interval; absent when only the since-boot row exists. */
  readonly cpu?: ReadonlyMap<string, number>;
  readonly loadAverage?: readonly [number, number, number];
}

export interface IostatDocument {
  readonly rows: readonly IostatRow[];
  readonly malformed: readonly IostatMalformedLine[];
}

export function parseIostat(text: string): IostatDocument {
  const reader = new IostatLineReader();
  const rows: IostatRow[] = [];
  const malformed: IostatMalformedLine[] = [];
  const lines = text.split(/\r?\n/);
  const unterminated = lines.pop()!;
  for (const line of lines) {
    const r = reader.read(line);
    if (r.kind === 'row') rows.push(r.row);
    else if (r.kind === 'malformed') malformed.push(r.malformed);
  }
  const last = reader.finish();
  if (last) malformed.push(last);
  if (unterminated.trim() !== '') malformed.push({ line: unterminated.trimEnd(), reason: CUT_LINE });
  return { rows, malformed };
}

/**
 * What the rows of one iostat run say: disk totals since boot, the last interval's CPU (never the
 * first row's, which is the average since boot) and the latest load averages.
 */
export function summarizeIostat(rows: readonly IostatRow[]): IostatSummary {
  const totals = new IostatDiskTotals();
  let disks = new Map<string, DiskTotal>();
  for (const row of rows) disks = totals.add(row);
  const last = rows.at(-1);
  const cpu = rows.length >= 2 && last!.cpu.size > 0 ? last!.cpu : undefined;
  return {
    disks,
    ...(cpu ? { cpu } : {}),
    ...(last?.loadAverage ? { loadAverage: last.loadAverage } : {}),
  };
}
