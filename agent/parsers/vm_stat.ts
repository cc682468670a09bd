// Parses `vm_stat` output. Two forms exist:
//
// * the snapshot (`vm_stat`): a header `Mach Virtual Memory Statistics: (page size of N bytes)`
//   then one `Label:   value.` line per field (`"Translation faults"` keeps its quotes, values end
//   with a dot), plus on old OS X an `Object cache: H hits of L lookups (P% hit rate)` line;
// * the stream (`vm_stat INTERVAL`): the same header, a column header (`free active specul ...`)
//   and one row per interval. As vm_stat.c prints it, the first row after each header holds totals
//   since boot, later rows hold the change of every counter column since the row before (gauge
//   columns stay absolute), and a value wider than its column is cut to thousands with a K suffix
//   (M and G for wider still): `1122834K` is 1,122,834,000 to 1,122,834,999.
//
// The parser is pure: text in, a typed sample out. Values stay in pages (or counts), as printed.

/** Every field vm_stat prints, named for what it counts. All are pages unless said otherwise. */
export interface VmStatFields {
  free?: number;
  active?: number;
  inactive?: number;
  speculative?: number;
  throttled?: number;
  wired?: number;
  purgeable?: number;
  /** Faults (the count of "Translation faults"). */
  translationFaults?: number;
  /** Copy-on-write faults. */
  copyOnWrite?: number;
  /** Zero-fill faults. */
  zeroFilled?: number;
  reactivated?: number;
  purged?: number;
  fileBacked?: number;
  anonymous?: number;
  /** Pages of data held by the compressor, before compression. */
  storedInCompressor?: number;
  /** Physical pages the compressor occupies (what the compressed data costs). */
  occupiedByCompressor?: number;
  decompressions?: number;
  compressions?: number;
  pageins?: number;
  pageouts?: number;
  swapins?: number;
  swapouts?: number;
  /** Old OS X only: object cache hits and lookups. */
  objectCacheHits?: number;
  objectCacheLookups?: number;
  // Memory tagging (MTE), printed only on chips with FEAT_MTE2 (vm_stat.c, system_cmds).
  taggedPages?: number;
  taggedResidentPages?: number;
  taggedCompressedPages?: number;
  tagStoragePages?: number;
  tagStorageHoldingTags?: number;
  tagStorageFree?: number;
  tagStorageNonTagPageable?: number;
  tagStorageNonTagWired?: number;
  /** Bytes, not pages. */
  compressedTagBytes?: number;
  taggedCompressions?: number;
  taggedDecompressions?: number;
}

export type VmStatField = keyof VmStatFields;

export interface VmStatMalformedLine {
  readonly line: string;
  readonly reason: string;
}

export interface VmStatSample {
  readonly form: 'snapshot' | 'stream';
  /** Bytes per page, from the header: 16384 on Apple Silicon, 4096 on Intel. */
  readonly pageSize: number;
  readonly fields: VmStatFields;
  /** Fields this parser does not know (a newer macOS), by label as printed; kept, not exported. */
  readonly unknown: ReadonlyMap<string, number>;
  /** Stream form only: fields whose value was cut to a K/M/G multiple by vm_stat (a lower bound). */
  readonly truncated: ReadonlySet<VmStatField>;
  /** Lines that could not be read; each was skipped. */
  readonly malformed: readonly VmStatMalformedLine[];
}

export class VmStatParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VmStatParseError';
  }
}

/** Snapshot labels (as printed, without the colon) to fields. */
const SNAPSHOT_LABELS: Readonly<Record<string, VmStatField>> = {
  'Pages free': 'free',
  'Pages active': 'active',
  'Pages inactive': 'inactive',
  'Pages speculative': 'speculative',
  'Pages throttled': 'throttled',
  'Pages wired down': 'wired',
  'Pages purgeable': 'purgeable',
  '"Translation faults"': 'translationFaults',
  'Pages copy-on-write': 'copyOnWrite',
  'Pages zero filled': 'zeroFilled',
  'Pages reactivated': 'reactivated',
  'Pages purged': 'purged',
  'File-backed pages': 'fileBacked',
  'Anonymous pages': 'anonymous',
  'Pages stored in compressor': 'storedInCompressor',
  'Pages occupied by compressor': 'occupiedByCompressor',
  'Decompressions': 'decompressions',
  'Compressions': 'compressions',
  'Pageins': 'pageins',
  'Pageouts': 'pageouts',
  'Swapins': 'swapins',
  'Swapouts': 'swapouts',
  'Pages tagged': 'taggedPages',
  'Pages tagged resident': 'taggedResidentPages',
  'Pages tagged compressed': 'taggedCompressedPages',
  'Pages tag-storage': 'tagStoragePages',
  'Pages tag-storage holding tags': 'tagStorageHoldingTags',
  'Pages tag-storage free': 'tagStorageFree',
  'Pages tag-storage non-tag pageable': 'tagStorageNonTagPageable',
  'Pages tag-storage non-tag wired': 'tagStorageNonTagWired',
  'Bytes of compressed tags': 'compressedTagBytes',
  'Tagged compressions': 'taggedCompressions',
  'Tagged decompressions': 'taggedDecompressions',
};

/** Stream column headers to fields (`spec` and `wire` are OS X 10.5's spellings). */
const STREAM_COLUMNS: Readonly<Record<string, VmStatField>> = {
  free: 'free',
  active: 'active',
  specul: 'speculative',
  spec: 'speculative',
  inactive: 'inactive',
  throttle: 'throttled',
  wired: 'wired',
  wire: 'wired',
  prgable: 'purgeable',
  faults: 'translationFaults',
  copy: 'copyOnWrite',
  '0fill': 'zeroFilled',
  reactive: 'reactivated',
  purged: 'purged',
  'file-backed': 'fileBacked',
  anonymous: 'anonymous',
  cmprssed: 'storedInCompressor',
  cmprssor: 'occupiedByCompressor',
  dcomprs: 'decompressions',
  comprs: 'compressions',
  pageins: 'pageins',
  pageout: 'pageouts',
  swapins: 'swapins',
  swapouts: 'swapouts',
  tagged: 'taggedPages',
  'tgd-rsdnt': 'taggedResidentPages',
  'tgd-cmprssed': 'taggedCompressedPages',
  'tag-storage': 'tagStoragePages',
  'tgs-tags': 'tagStorageHoldingTags',
  'tgs-free': 'tagStorageFree',
  'tgs-ntag-pgbl': 'tagStorageNonTagPageable',
  'tgs-ntag-wired': 'tagStorageNonTagWired',
  'cmprsd-tags': 'compressedTagBytes',
  'tgd-comprs': 'taggedCompressions',
  'tgd-dcomprs': 'taggedDecompressions',
};

/** Stream columns that vm_stat prints as the change since the previous row (after the first row). */
const STREAM_DELTA_COLUMNS: ReadonlySet<string> = new Set([
  'faults', 'copy', '0fill', 'reactive', 'purged', 'dcomprs', 'comprs', 'pageins', 'pageout', 'swapins', 'swapouts',
  'tgd-comprs', 'tgd-dcomprs',
]);

const HEADER = /^Mach Virtual Memory Statistics: \(page size of (\d+) bytes(?:, [^)]*)?\)\s*$/;
const SNAPSHOT_LINE = /^(.+?):\s+(\d+)\.\s*$/;
const OBJECT_CACHE = /^Object cache: (\d+) hits of (\d+) lookups \(\d+% hit rate\)\s*$/;
const STREAM_VALUE = /^(\d+)([KMG])?$/;
const SUFFIX: Readonly<Record<string, number>> = { K: 1e3, M: 1e6, G: 1e9 };

/**
 * A shell prompt or the command echoed above the output, which some captures keep
 * (`❯ vm_stat`, `$ vm_stat 1`).
 */
function isCommandEcho(line: string): boolean {
  return /(^|\s)vm_stat(\s|$)/.test(line);
}

/**
 * Reads a value as vm_stat printed it. A count beyond 2^53 cannot be held exactly and no real
 * machine has one (that is 2^53 pages of memory, or faults for millennia): it is rejected as absurd.
 */
function readCount(digits: string): number | string {
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) return `absurd value ${digits} (beyond 2^53)`;
  return n;
}

export function parseVmStat(text: string): VmStatSample {
  const lines = text.split(/\r?\n/);
  let i = 0;
  const malformed: VmStatMalformedLine[] = [];
  while (i < lines.length && !HEADER.test(lines[i]!)) {
    const line = lines[i]!;
    if (line.trim() !== '' && !isCommandEcho(line)) malformed.push({ line, reason: 'text before the "Mach Virtual Memory Statistics" header' });
    i++;
  }
  if (i === lines.length) {
    throw new VmStatParseError(text.trim() === ''
      ? 'vm_stat printed nothing'
      : `vm_stat output has no "Mach Virtual Memory Statistics: (page size of N bytes)" header (first line: ${JSON.stringify(text.trim().split('\n')[0]!.slice(0, 80))})`);
  }
  const pageSize = Number(HEADER.exec(lines[i]!)![1]);
  // Pages are a power of two; anything else means the header is not what it seems.
  if (!Number.isSafeInteger(pageSize) || pageSize < 512 || pageSize > 1 << 20 || (pageSize & (pageSize - 1)) !== 0) {
    throw new VmStatParseError(`vm_stat reports an absurd page size of ${lines[i]!.match(/\d+/)?.[0] ?? '?'} bytes (expected a power of two such as 4096 or 16384)`);
  }
  const next = lines.slice(i + 1).find((l) => l.trim() !== '');
  const isStream = next !== undefined && /^\s*free\s+active\s/.test(next);
  // vm_stat ends every line with a newline; text after the last one was cut, maybe inside a
  // number (a stream row's last count has no terminator of its own: 18050 cut to 180).
  const unterminated = lines.length > i + 1 ? lines.pop()!.trimEnd() : '';
  if (unterminated !== '') malformed.push({ line: unterminated, reason: 'the output ends inside this line (no newline after it): it was cut short, so its last value may be too' });
  return isStream
    ? parseStream(lines.slice(i), pageSize, malformed)
    : parseSnapshot(lines.slice(i + 1), pageSize, malformed);
}

function parseSnapshot(lines: readonly string[], pageSize: number, malformed: VmStatMalformedLine[]): VmStatSample {
  const fields: VmStatFields = {};
  const unknown = new Map<string, number>();
  for (const line of lines) {
    if (line.trim() === '') continue;
    const cache = OBJECT_CACHE.exec(line);
    if (cache) {
      const hits = readCount(cache[1]!);
      const lookups = readCount(cache[2]!);
      if (typeof hits === 'number' && typeof lookups === 'number') {
        fields.objectCacheHits = hits;
        fields.objectCacheLookups = lookups;
      } else {
        malformed.push({ line, reason: typeof hits === 'string' ? hits : String(lookups) });
      }
      continue;
    }
    const m = SNAPSHOT_LINE.exec(line);
    if (!m) {
      malformed.push({ line, reason: 'not a "Label: value." line' });
      continue;
    }
    const label = m[1]!.trim();
    const value = readCount(m[2]!);
    if (typeof value === 'string') {
      malformed.push({ line, reason: value });
      continue;
    }
    const field = Object.hasOwn(SNAPSHOT_LABELS, label) ? SNAPSHOT_LABELS[label] : undefined;
    if (field === undefined) {
      unknown.set(label, value);
    } else if (fields[field] !== undefined) {
      malformed.push({ line, reason: `"${label}" appears twice; the first value was kept` });
    } else {
      fields[field] = value;
    }
  }
  if (Object.keys(fields).length === 0 && unknown.size === 0) throw new VmStatParseError('vm_stat printed its header but no field');
  return { form: 'snapshot', pageSize, fields, unknown, truncated: new Set(), malformed };
}

/**
 * The stream form: every block (header, column header, rows) restarts from totals since boot, so
 * the latest block alone gives the latest totals: its first row plus the changes in later rows.
 */
function parseStream(lines: readonly string[], pageSize: number, malformed: VmStatMalformedLine[]): VmStatSample {
  let columns: string[] | undefined;
  let totals = new Map<string, number>();
  let truncatedColumns = new Set<string>();
  let rowsInBlock = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const header = HEADER.exec(line);
    if (header) {
      if (Number(header[1]) !== pageSize) malformed.push({ line, reason: `page size changed from ${pageSize} mid-stream` });
      continue;
    }
    const tokens = line.trim().split(/\s+/);
    if (tokens[0] === 'free') {
      columns = tokens;
      rowsInBlock = 0;
      continue;
    }
    if (columns === undefined) {
      malformed.push({ line, reason: 'row before the column header' });
      continue;
    }
    if (tokens.length !== columns.length) {
      malformed.push({ line, reason: `${tokens.length} values for ${columns.length} columns` });
      continue;
    }
    const row = new Map<string, number>();
    const rowTruncated = new Set<string>();
    let bad: string | undefined;
    for (const [k, token] of tokens.entries()) {
      const m = STREAM_VALUE.exec(token);
      const value = m ? readCount(m[1]!) : `"${token}" is not a count`;
      if (typeof value === 'string') {
        bad = value;
        break;
      }
      const column = columns[k]!;
      if (m![2] !== undefined) rowTruncated.add(column);
      row.set(column, value * (m![2] !== undefined ? SUFFIX[m![2]]! : 1));
    }
    if (bad !== undefined) {
      malformed.push({ line, reason: bad });
      continue;
    }
    if (rowsInBlock === 0) {
      totals = row;
      truncatedColumns = rowTruncated;
    } else {
      for (const [column, value] of row) {
        totals.set(column, STREAM_DELTA_COLUMNS.has(column) ? (totals.get(column) ?? 0) + value : value);
        if (rowTruncated.has(column)) truncatedColumns.add(column);
        else if (!STREAM_DELTA_COLUMNS.has(column)) truncatedColumns.delete(column);
      }
    }
    rowsInBlock++;
  }
  const fields: VmStatFields = {};
  const unknown = new Map<string, number>();
  const truncated = new Set<VmStatField>();
  for (const [column, value] of totals) {
    const field = Object.hasOwn(STREAM_COLUMNS, column) ? STREAM_COLUMNS[column] : undefined;
    if (field === undefined) {
      unknown.set(column, value);
      continue;
    }
    fields[field] = value;
    if (truncatedColumns.has(column)) truncated.add(field);
  }
  if (totals.size === 0) throw new VmStatParseError('vm_stat stream has a header but no complete row');
  return { form: 'stream', pageSize, fields, unknown, truncated, malformed };
}
