// Reads a whole machine's SMC from text, in any of three formats:
// - the agent's own `macos-agent smc dump`, which writes smcread lines followed by ` = <decoded value>`;
// - smcread (VirtualSMC's tool, the format of the published dumps):
//     [TC0P] type [sp78] 73703738 len [ 2] attr [C0] -> 2630
//     [AC-E] type [flag] 666C6167 len [ 1] attr [50] -> NOT READABLE, code 85
// - smcFanControl's `smc -l`:
//     #KEY  [ui32]  863 (bytes 00 00 03 5f)

export type SmcDumpFormat = 'macos-agent' | 'smcread' | 'smc -l';

export interface SmcDumpEntry {
  readonly key: string;
  /** The type FourCC. In smcread lines it is taken from the hex type code, which shows NULs and spaces exactly. */
  readonly type: string;
  readonly size: number;
  /** Key attributes; smc -l does not show them. */
  readonly attributes: number | undefined;
  /** The raw value; undefined when the key could not be read. */
  readonly bytes: Uint8Array | undefined;
  /** Why there are no bytes, as the dump says it (e.g. `NOT READABLE, code 85`). */
  readonly error: string | undefined;
  /** The value as the dumping tool showed it, when it did (smc -l, macos-agent). */
  readonly shownValue: string | undefined;
  /** 1-based line number in the text. */
  readonly line: number;
}

export interface SmcDump {
  readonly format: SmcDumpFormat;
  /** Every key, in the order of the text; a key listed twice keeps its first entry. */
  readonly entries: readonly SmcDumpEntry[];
  /** Lines that are neither a key nor a known header, with their 1-based number. */
  readonly unparsed: readonly { line: number; text: string }[];
}

export const MACOS_AGENT_DUMP_HEADER = '# macos-agent smc dump';

const SMCREAD_LINE = /^\[(.{4})\] type \[.{4}\] ([0-9A-Fa-f]{8}) len \[ *(\d+)\] attr \[([0-9A-Fa-f]{2})\] -> (.*)$/;
const SMCREAD_BYTES = /^([0-9A-Fa-f]*)(?: = (.*))?$/;
/** The ` XX XX ...` inside `(bytes ...)` of an smc -l line. */
const SMC_L_BYTES = /^(?: [0-9A-Fa-f]{2})*$/;
/** Lines of the published dumps that carry no key. */
const KNOWN_HEADERS = [/^(macOS|OS X) /, /^Public keys/, /^Hidden keys/, /^Unable to read smc value/, /^#/, /^smc-command /];

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function fourCC(hexCode: string): string {
  return Buffer.from(hexCode, 'hex').toString('latin1');
}

function parseSmcreadLine(m: RegExpExecArray, line: number): SmcDumpEntry {
  const [, key, typeCode, len, attr, rest] = m as unknown as [string, string, string, string, string, string];
  const size = Number(len);
  const base = { key, type: fourCC(typeCode), size, attributes: Number.parseInt(attr, 16), line };
  const value = SMCREAD_BYTES.exec(rest);
  if (value === null || value[1] === '') {
    return { ...base, bytes: undefined, error: rest.trim() || 'no value', shownValue: undefined };
  }
  const hex = value[1]!;
  if (hex.length !== size * 2) {
    return { ...base, bytes: undefined, error: `${hex.length / 2} bytes shown for a key of ${size}`, shownValue: undefined };
  }
  return { ...base, bytes: hexToBytes(hex), error: undefined, shownValue: value[2] };
}

function isSpace(c: string | undefined): boolean {
  return c !== undefined && c.trim() === '' && c !== '';
}

/**
 * `  #KEY  [ui32]  863 (bytes 00 00 03 5f)`, read by hand: as one pattern, the spaces around the
 * shown value could be split every way (4,000 spaces took 23 s), and the value's end is simply
 * the last `(bytes`, since what follows it holds no parenthesis.
 */
function parseSmcLLine(textLine: string, line: number): SmcDumpEntry | undefined {
  const text = textLine.trim();
  const key = text.slice(0, 4);
  let i = 4;
  if (key.length !== 4 || !isSpace(text[i])) return undefined;
  while (isSpace(text[i])) i++;
  if (text[i] !== '[' || text[i + 5] !== ']' || !isSpace(text[i + 6])) return undefined;
  const type = text.slice(i + 1, i + 5);
  const bytesAt = text.lastIndexOf('(bytes');
  if (bytesAt < i + 6 || !text.endsWith(')')) return undefined;
  const bytesText = text.slice(bytesAt + '(bytes'.length, -1);
  if (!SMC_L_BYTES.test(bytesText)) return undefined;
  const shown = text.slice(i + 6, bytesAt).trim();
  const hex = bytesText.replaceAll(' ', '');
  return {
    key, type, size: hex.length / 2, attributes: undefined, line,
    bytes: hex === '' ? undefined : hexToBytes(hex),
    error: hex === '' ? 'no bytes shown' : undefined,
    shownValue: shown === '' ? undefined : shown,
  };
}

/** Parses a dump; never throws. An empty `entries` means the text held no SMC key at all. */
export function parseSmcDump(text: string): SmcDump {
  const lines = text.split(/\r?\n/);
  const entries: SmcDumpEntry[] = [];
  const seen = new Set<string>();
  const unparsed: { line: number; text: string }[] = [];
  let format: SmcDumpFormat = lines[0]?.startsWith(MACOS_AGENT_DUMP_HEADER) ? 'macos-agent' : 'smcread';
  let sawSmcL = false;
  lines.forEach((textLine, i) => {
    const line = i + 1;
    if (textLine.trim() === '') return;
    const smcread = SMCREAD_LINE.exec(textLine);
    const smcL = smcread === null ? parseSmcLLine(textLine, line) : undefined;
    const entry = smcread !== null ? parseSmcreadLine(smcread, line) : smcL;
    if (entry === undefined) {
      if (!KNOWN_HEADERS.some((h) => h.test(textLine))) unparsed.push({ line, text: textLine });
      return;
    }
    if (smcL !== undefined) sawSmcL = true;
    if (seen.has(entry.key)) return;
    seen.add(entry.key);
    entries.push(entry);
  });
  if (sawSmcL && format !== 'macos-agent') format = 'smc -l';
  return { format, entries, unparsed };
}
