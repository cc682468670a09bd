// Parses `netstat -i` on macOS, with -b (byte columns) and -d (the Drop column) or without: the
// link-layer rows only (`<Link#N>` in the Network column), one per interface; the rows of each
// address repeat the same counters and are skipped. Recent netstat counts in 64 bits.
//
//   Name       Mtu   Network       Address            Ipkts Ierrs     Ibytes    Opkts Oerrs     Obytes  Coll Drop
//   en0        1500  <Link#4>    10:9a:dd:58:c0:6f  7968840     0 4795960389 30171941     0 43120998925     0    0
//   gif0*      1280  <Link#2>                             0     0          0        0     0          0     0    0
//
// A `*` after the name: the interface is not up. The Address column is empty for interfaces
// without a link-layer address, so the counters are read from the right. A leading prompt line
// (`% netstat -ib`) and blank lines are skipped. Linear: one split per line, no regex over a line.

import type { InterfaceCounters } from './network-interfaces.js';

export class NetstatParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetstatParseError';
  }
}

export interface NetstatRejectedRow {
  readonly line: string;
  readonly reason: string;
}

export interface NetstatSample {
  readonly interfaces: InterfaceCounters[];
  /** Whether the output had byte columns (-b) and the Drop column (-d). */
  readonly hasBytes: boolean;
  readonly hasDrops: boolean;
  readonly rejected: NetstatRejectedRow[];
}

const COUNTER_COLUMNS = ['Ipkts', 'Ierrs', 'Ibytes', 'Opkts', 'Oerrs', 'Obytes', 'Coll', 'Drop'] as const;
type CounterColumn = (typeof COUNTER_COLUMNS)[number];
const DIGITS = /^\d+$/;

function isHeader(tokens: readonly string[]): boolean {
  return tokens[0] === 'Name' && tokens[1] === 'Mtu' && tokens[2] === 'Network';
}

/** The names of the counter columns, left to right; throws on an unknown one. */
function counterColumns(header: readonly string[]): CounterColumn[] {
  const columns = header.slice(header[3] === 'Address' ? 4 : 3);
  for (const c of columns) {
    if (!(COUNTER_COLUMNS as readonly string[]).includes(c)) throw new NetstatParseError(`unknown netstat column ${JSON.stringify(c)} (known: ${COUNTER_COLUMNS.join(', ')})`);
  }
  if (!columns.includes('Ipkts') || !columns.includes('Opkts')) throw new NetstatParseError('the netstat header has no Ipkts and Opkts columns (expected `netstat -i` output)');
  return columns as CounterColumn[];
}

/**
 * The link-layer rows of `netstat -i[b][d]n` output. Throws NetstatParseError when there is no
 * netstat header; a row it cannot read is rejected with the reason, never guessed.
 */
export function parseNetstat(text: string): NetstatSample {
  let columns: CounterColumn[] | undefined;
  const interfaces: InterfaceCounters[] = [];
  const rejected: NetstatRejectedRow[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const tokens = line.trim().split(/\s+/);
    if (tokens[0] === '') continue;
    if (columns === undefined) {
      if (isHeader(tokens)) columns = counterColumns(tokens);
      continue;
    }
    if (isHeader(tokens)) continue;
    if (tokens.length < 3 || !tokens[2]!.startsWith('<Link#')) continue;
    const values = tokens.slice(tokens.length - columns.length);
    if (tokens.length < 3 + columns.length || tokens.length > 4 + columns.length) {
      rejected.push({ line, reason: `expected ${columns.length} counters after the name, MTU, network and address` });
      continue;
    }
    const counters = new Map<CounterColumn, number>();
    let bad: string | undefined;
    columns.forEach((column, i) => {
      const v = values[i]!;
      const n = DIGITS.test(v) ? Number(v) : Number.NaN;
      if (!Number.isSafeInteger(n)) bad ??= `${column} ${JSON.stringify(v)} is not a count`;
      counters.set(column, n);
    });
    if (bad !== undefined) {
      rejected.push({ line, reason: bad });
      continue;
    }
    const shownName = tokens[0]!;
    const up = !shownName.endsWith('*');
    const name = up ? shownName : shownName.slice(0, -1);
    const get = (c: CounterColumn): number | undefined => counters.get(c);
    interfaces.push({
      name,
      up,
      loopback: /^lo\d+$/.test(name),
      receive: { packets: get('Ipkts')!, errors: get('Ierrs') ?? 0, ...(get('Ibytes') !== undefined && { bytes: get('Ibytes') }) },
      transmit: { packets: get('Opkts')!, errors: get('Oerrs') ?? 0, ...(get('Obytes') !== undefined && { bytes: get('Obytes') }), ...(get('Drop') !== undefined && { dropped: get('Drop') }) },
    });
  }
  if (columns === undefined) throw new NetstatParseError('no netstat header (Name Mtu Network ...): expected `netstat -ibn` output');
  return { interfaces: withoutAmbiguousNames(interfaces, rejected), hasBytes: columns.includes('Ibytes'), hasDrops: columns.includes('Drop'), rejected };
}

/**
 * Older netstat cuts names to 5 characters, so two interfaces can print the same name (vmnet1 and
 * vmnet8 both as `vmnet`). Their counters cannot be told apart by name: both are left out.
 */
function withoutAmbiguousNames(interfaces: InterfaceCounters[], rejected: NetstatRejectedRow[]): InterfaceCounters[] {
  const seen = new Map<string, number>();
  for (const i of interfaces) seen.set(i.name, (seen.get(i.name) ?? 0) + 1);
  const ambiguous = [...seen].filter(([, n]) => n > 1).map(([name]) => name);
  for (const name of ambiguous) {
    rejected.push({ line: name, reason: `${seen.get(name)} interfaces print the name ${JSON.stringify(name)} (netstat cut their names): left out, since their counters cannot be told apart` });
  }
  return interfaces.filter((i) => !ambiguous.includes(i.name));
}
