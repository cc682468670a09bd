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
const SMC_L_LINE = /^\s*(\S.{3})\s+\[(.{4})\]\s+(.*?)\s*\(bytes((?: [0-9A-Fa-f]{2})*)\)\s*$/;
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

function parseSmcLLine(m: RegExpExecArray, line: number): SmcDumpEntry {
  const [, key, type, shown, bytesText] = m as unknown as [string, string, string, string, string];
  const hex = bytesText.replace(/ /g, '');
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
    const smcL = smcread === null ? SMC_L_LINE.exec(textLine) : null;
    const entry = smcread !== null ? parseSmcreadLine(smcread, line) : smcL !== null ? parseSmcLLine(smcL, line) : undefined;
    if (entry === undefined) {
      if (!KNOWN_HEADERS.some((h) => h.test(textLine))) unparsed.push({ line, text: textLine });
      return;
    }
    if (smcL !== null) sawSmcL = true;
    if (seen.has(entry.key)) return;
    seen.add(entry.key);
    entries.push(entry);
  });
  if (sawSmcL && format !== 'macos-agent') format = 'smc -l';
  return { format, entries, unparsed };
}
