// Parses the text `ioreg` prints: a tree of registry entries, each a `+-o NAME  <class CLASS, ...>`
// line, optionally followed by its properties between `{` and `}` lines, every line prefixed by
// the tree's drawing (spaces and `|`). One pass over the text, each character looked at a bounded
// number of times: no regular expression, no backtracking.
//
// Property values as ioreg prints them: dictionaries `{"a"=1,"b"=2}`, arrays `(1,2)`, strings
// `"..."` (printed without escapes), numbers (unsigned 64-bit, in decimal), booleans `Yes`/`No`,
// and data `<0a1b>` (or `<"text","text">` when the bytes are NUL-terminated strings). The value
// model is the one the native addon returns for the same registry (agent/native/addon.ts), so one
// decoder serves both: integers are numbers up to 2^53 - 1 and bigints beyond.

export type IoregValue = string | number | bigint | boolean | Uint8Array | readonly IoregValue[] | IoregDict;

/** A property dictionary: a prototype-less object, so no key ("__proto__" included) is special. */
export interface IoregDict {
  readonly [key: string]: IoregValue;
}

export interface IoregEntry {
  /** The entry's name as ioreg prints it before `<class` (e.g. "APPLE SSD AP0512Q Media"). */
  readonly name: string;
  readonly className: string;
  readonly properties: IoregDict;
  readonly children: IoregEntry[];
}

export interface IoregMalformed {
  readonly line: number;
  readonly reason: string;
}

export interface IoregTree {
  /** The entries at the top of the text: the registry root, or each subtree root with `ioreg -r`. */
  readonly roots: IoregEntry[];
  readonly malformed: IoregMalformed[];
}

/** A full `ioreg -l` of a laptop is about 4 MB; a text four times that is not one. */
export const IOREG_MAX_BYTES = 16 * 1024 * 1024;
/** Lines a string value may span (ioreg prints its newlines as they are). */
const MAX_STRING_LINES = 10_000;
/** Deeper nesting than any registry property has; past it the value is rejected, not recursed into. */
const MAX_NESTING = 64;

export class IoregInputError extends Error {}

const ENTRY_MARK = '+-o ';
const CLASS_MARK = '  <class ';

interface MutableEntry extends IoregEntry {
  readonly column: number;
  readonly children: MutableEntry[];
}

function newDict(): Record<string, IoregValue> {
  return Object.create(null) as Record<string, IoregValue>;
}

/** The first column of a line that is not tree drawing (space or `|`). */
function contentStart(line: string): number {
  let i = 0;
  while (i < line.length && (line.charCodeAt(i) === 0x20 || line.charCodeAt(i) === 0x7c)) i++;
  return i;
}

/** Splits `NAME  <class CLASS, id ...>` (the text after `+-o `). */
function entryOf(text: string, column: number): MutableEntry | undefined {
  const at = text.indexOf(CLASS_MARK);
  if (at < 0) return undefined;
  const rest = text.slice(at + CLASS_MARK.length);
  let end = 0;
  while (end < rest.length && rest[end] !== ',' && rest[end] !== '>') end++;
  const className = rest.slice(0, end);
  if (className === '') return undefined;
  return { name: text.slice(0, at), className, properties: newDict(), children: [], column };
}

/**
 * The whole text as a tree. Lines that belong to no entry (a shell prompt, blank lines) are
 * skipped; a property line that cannot be read is left out and reported in `malformed`.
 */
export function parseIoreg(text: string): IoregTree {
  if (text.length > IOREG_MAX_BYTES) {
    throw new IoregInputError(`ioreg output of ${text.length} characters is larger than the ${IOREG_MAX_BYTES} read (expected a few MB at most)`);
  }
  const roots: MutableEntry[] = [];
  const malformed: IoregMalformed[] = [];
  const open: MutableEntry[] = [];
  let current: MutableEntry | undefined;
  let inProperties = false;
  let pending: PendingString | undefined;
  let lineNumber = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNumber++;
    const line = text.charCodeAt(end - 1) === 0x0d ? text.slice(start, end - 1) : text.slice(start, end);
    start = end + 1;
    if (pending !== undefined) {
      if (!endsPendingString(pending, line)) {
        // The string's own lines, blank ones included, exactly as printed.
        pending.lines.push(line);
        if (line.endsWith('"')) {
          pending.into[pending.key] = pending.lines.join('\n').slice(0, -1);
          pending = undefined;
        } else if (pending.lines.length > MAX_STRING_LINES) {
          malformed.push({ line: lineNumber, reason: `property "${pending.key}": a string of more than ${MAX_STRING_LINES} lines` });
          pending = undefined;
        }
        continue;
      }
      malformed.push({ line: pending.startLine, reason: `property "${pending.key}": an unterminated string` });
      pending = undefined;
    }
    const at = contentStart(line);
    if (at === line.length) continue;
    if (line.startsWith(ENTRY_MARK, at)) {
      const entry = entryOf(line.slice(at + ENTRY_MARK.length), at);
      if (entry === undefined) {
        malformed.push({ line: lineNumber, reason: 'an entry line without "<class NAME"' });
        continue;
      }
      while (open.length > 0 && open[open.length - 1]!.column >= at) open.pop();
      const parent = open[open.length - 1];
      if (parent === undefined) roots.push(entry);
      else parent.children.push(entry);
      open.push(entry);
      current = entry;
      inProperties = false;
      continue;
    }
    const c = line[at];
    if (c === '{' && at === line.length - 1 && current !== undefined && !inProperties) {
      inProperties = true;
    } else if (c === '}' && at === line.length - 1 && inProperties) {
      inProperties = false;
    } else if (inProperties && c === '"' && current !== undefined) {
      const into = current.properties as Record<string, IoregValue>;
      const read = readProperty(line, at, into);
      if (typeof read === 'string') malformed.push({ line: lineNumber, reason: read });
      else if (read !== undefined) pending = { key: read.key, into, lines: [read.firstLine], prefix: line.slice(0, at), startLine: lineNumber };
    } else if (current !== undefined) {
      malformed.push({ line: lineNumber, reason: inProperties ? 'not a "key" = value line' : 'text outside any property block' });
    }
  }
  if (pending !== undefined) malformed.push({ line: pending.startLine, reason: `property "${pending.key}": an unterminated string` });
  return { roots, malformed };
}

/** A string value that goes on past its line: ioreg prints a newline in a string as it is. */
interface PendingString {
  readonly key: string;
  readonly into: Record<string, IoregValue>;
  readonly lines: string[];
  /** The tree drawing before the key on the string's first line. */
  readonly prefix: string;
  readonly startLine: number;
}

/**
 * The string's own lines are printed raw, so a line with the block's tree drawing followed by a
 * key, or by the block's closing brace, is not the string's: the string was cut short.
 */
function endsPendingString(pending: PendingString, line: string): boolean {
  const { prefix } = pending;
  if (line.startsWith(prefix) && line[prefix.length] === '"' && line.includes('" = ', prefix.length)) return true;
  return line.trimEnd() === `${prefix.slice(0, -2)}}`;
}

/**
 * Reads `"key" = value` into `into`. Returns why it could not; or, for a string that does not end
 * on this line, the key and the string's first line; or undefined once the value is read.
 */
function readProperty(line: string, at: number, into: Record<string, IoregValue>): string | { key: string; firstLine: string } | undefined {
  const keyEnd = line.indexOf('" = ', at + 1);
  if (keyEnd < 0) return 'not a "key" = value line';
  const key = line.slice(at + 1, keyEnd);
  const valueAt = keyEnd + 4;
  if (line[valueAt] === '"' && (line.length === valueAt + 1 || !line.endsWith('"'))) return { key, firstLine: line.slice(valueAt + 1) };
  const cursor = new ValueReader(line, keyEnd + 4, true);
  const value = cursor.value(0);
  if (value === undefined || !cursor.atEnd()) return `property "${key}": ${cursor.error ?? 'text after the value'}`;
  into[key] = value;
  return undefined;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isHexDigit(code: number): boolean {
  return isDigit(code) || (code >= 0x61 && code <= 0x66) || (code >= 0x41 && code <= 0x46);
}

/** One value at a position of a line; `topLevel`: the value runs to the end of the line. */
class ValueReader {
  readonly #text: string;
  #at: number;
  readonly #topLevel: boolean;
  error: string | undefined;

  constructor(text: string, at: number, topLevel: boolean) {
    this.#text = text;
    this.#at = at;
    this.#topLevel = topLevel;
  }

  atEnd(): boolean {
    return this.#at === this.#text.length;
  }

  #fail(reason: string): undefined {
    this.error ??= `${reason} at column ${this.#at + 1}`;
    return undefined;
  }

  value(depth: number): IoregValue | undefined {
    if (depth > MAX_NESTING) return this.#fail(`nested deeper than ${MAX_NESTING}`);
    const c = this.#text[this.#at];
    if (c === '{') return this.#dictionary(depth);
    if (c === '(') return this.#array(depth, ')');
    // An OSSet: unordered, as ioreg prints it; kept as an array.
    if (c === '[') return this.#array(depth, ']');
    if (c === '"') return this.#string(depth === 0 && this.#topLevel);
    if (c === '<') return this.#data();
    if (this.#text.startsWith('Yes', this.#at)) return this.#word('Yes', true);
    if (this.#text.startsWith('No', this.#at)) return this.#word('No', false);
    if (c !== undefined && (isDigit(c.charCodeAt(0)) || c === '-')) return this.#number();
    return this.#fail(c === undefined ? 'no value' : `unexpected ${JSON.stringify(c)}`);
  }

  #word(word: string, value: boolean): boolean | undefined {
    this.#at += word.length;
    return this.#endsValue() ? value : this.#fail(`unexpected text after ${word}`);
  }

  /** A value ends at the end of the line or before a separator of the enclosing structure. */
  #endsValue(): boolean {
    const c = this.#text[this.#at];
    return c === undefined || c === ',' || c === '}' || c === ')' || c === ']';
  }

  #number(): number | bigint | undefined {
    const from = this.#at;
    if (this.#text[this.#at] === '-') this.#at++;
    const digitsFrom = this.#at;
    while (this.#at < this.#text.length && isDigit(this.#text.charCodeAt(this.#at))) this.#at++;
    if (this.#at === digitsFrom) return this.#fail('a sign without digits');
    let isReal = false;
    if (this.#text[this.#at] === '.') {
      isReal = true;
      this.#at++;
      while (this.#at < this.#text.length && isDigit(this.#text.charCodeAt(this.#at))) this.#at++;
    }
    if (!this.#endsValue()) return this.#fail('unexpected text after a number');
    const literal = this.#text.slice(from, this.#at);
    if (isReal) return Number(literal);
    const n = Number(literal);
    return Number.isSafeInteger(n) ? n : BigInt(literal);
  }

  /**
   * ioreg prints strings without escapes, so a `"` inside one is ambiguous: a top-level string
   * runs to the last `"` of the line; a nested one ends at the first `"` that a separator follows.
   */
  #string(toLineEnd: boolean): string | undefined {
    const from = this.#at + 1;
    if (toLineEnd) {
      const last = this.#text.length - 1;
      if (last < from || this.#text[last] !== '"') return this.#fail('an unterminated string');
      this.#at = this.#text.length;
      return this.#text.slice(from, last);
    }
    let close = this.#text.indexOf('"', from);
    while (close >= 0) {
      const after = this.#text[close + 1];
      if (after === undefined || after === ',' || after === '}' || after === ')' || after === ']' || after === '=') break;
      close = this.#text.indexOf('"', close + 1);
    }
    if (close < 0) return this.#fail('an unterminated string');
    this.#at = close + 1;
    return this.#text.slice(from, close);
  }

  /** `<hex>` or `<"text","text">` (NUL-terminated strings, as ioreg shows printable data). */
  #data(): Uint8Array | undefined {
    this.#at++;
    if (this.#text[this.#at] === '"') {
      const bytes: number[] = [];
      for (;;) {
        // The text is printed as it is, quotes included: it ends at a `"` before `>` or `,"`.
        let close = this.#text.indexOf('"', this.#at + 1);
        while (close >= 0 && this.#text[close + 1] !== '>' && !this.#text.startsWith(',"', close + 1)) close = this.#text.indexOf('"', close + 1);
        if (close < 0) return this.#fail('unterminated data');
        for (const b of Buffer.from(this.#text.slice(this.#at + 1, close), 'latin1')) bytes.push(b);
        bytes.push(0);
        this.#at = close + 1;
        const c = this.#text[this.#at];
        if (c === '>') break;
        if (c !== ',' || this.#text[this.#at + 1] !== '"') return this.#fail('unterminated data');
        this.#at++;
      }
      this.#at++;
      return this.#endsValue() ? Uint8Array.from(bytes) : this.#fail('unexpected text after data');
    }
    const from = this.#at;
    while (this.#at < this.#text.length && isHexDigit(this.#text.charCodeAt(this.#at))) this.#at++;
    if (this.#text[this.#at] !== '>' || (this.#at - from) % 2 !== 0) return this.#fail('data that is not whole bytes of hex');
    const bytes = Uint8Array.from(Buffer.from(this.#text.slice(from, this.#at), 'hex'));
    this.#at++;
    return this.#endsValue() ? bytes : this.#fail('unexpected text after data');
  }

  #array(depth: number, close: ')' | ']'): IoregValue[] | undefined {
    this.#at++;
    const items: IoregValue[] = [];
    if (this.#text[this.#at] === close) {
      this.#at++;
      return items;
    }
    for (;;) {
      const item = this.value(depth + 1);
      if (item === undefined) return undefined;
      items.push(item);
      const c = this.#text[this.#at];
      this.#at++;
      if (c === close) return this.#endsValue() ? items : this.#fail('unexpected text after an array');
      if (c !== ',') return this.#fail(`an array item not followed by "," or "${close}"`);
    }
  }

  #dictionary(depth: number): IoregDict | undefined {
    this.#at++;
    const dict = newDict();
    if (this.#text[this.#at] === '}') {
      this.#at++;
      return dict;
    }
    for (;;) {
      if (this.#text[this.#at] !== '"') return this.#fail('a dictionary key that is not a string');
      const keyEnd = this.#text.indexOf('"=', this.#at + 1);
      if (keyEnd < 0) return this.#fail('a dictionary key without "="');
      const key = this.#text.slice(this.#at + 1, keyEnd);
      this.#at = keyEnd + 2;
      const item = this.value(depth + 1);
      if (item === undefined) return undefined;
      dict[key] = item;
      const c = this.#text[this.#at];
      this.#at++;
      if (c === '}') return this.#endsValue() ? dict : this.#fail('unexpected text after a dictionary');
      if (c !== ',') return this.#fail('a dictionary value not followed by "," or "}"');
    }
  }
}

/** Every entry of the tree, depth first, in the order ioreg prints them. */
export function* ioregEntries(roots: readonly IoregEntry[]): Generator<IoregEntry> {
  const stack = [...roots].reverse();
  for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
    yield e;
    for (let i = e.children.length - 1; i >= 0; i--) stack.push(e.children[i]!);
  }
}
