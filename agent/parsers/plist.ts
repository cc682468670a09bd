// An XML property list reader for the documents powermetrics writes (`-f plist`), one per sample.
// The parse budget is 1 ms for the 65 KB M2 Ultra document. Measured here, the `plist` package
// took 17 ms, and general XML libraries 0.9-1.0 ms (saxes, txml, htmlparser2: the tokenizing
// alone), at the budget with no margin; this scanner reads only the plist vocabulary with indexOf.
// It is strict: a malformed document is an error that names the element and the line, never a
// partial value.

export type PlistValue = string | number | boolean | Date | Uint8Array | PlistValue[] | PlistDict;
export interface PlistDict {
  [key: string]: PlistValue;
}

export class PlistParseError extends Error {
  /** 1-based line and column of the offending text. */
  readonly line: number;
  readonly column: number;

  constructor(message: string, text: string, offset: number) {
    const { line, column } = positionOf(text, offset);
    super(`${message} at line ${line}, column ${column}`);
    this.name = 'PlistParseError';
    this.line = line;
    this.column = column;
  }
}

function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

/** Deeper nesting than this is not a powermetrics document (they nest about 8 levels). */
const MAX_DEPTH = 256;

// Tested on trimmed text, and written so that no two parts can match the same characters: each
// runs in linear time on hostile input (`\d+\.?\d*` split 40,000 digits every way: 4 s).
const INTEGER = /^[+-]?(?:\d+|0x[0-9a-f]+)$/i;
const REAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const NON_FINITE: Readonly<Record<string, number>> = {
  nan: Number.NaN, '+nan': Number.NaN, '-nan': Number.NaN,
  inf: Infinity, '+inf': Infinity, infinity: Infinity, '+infinity': Infinity,
  '-inf': -Infinity, '-infinity': -Infinity,
};
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;
const BASE64 = /^[A-Za-z0-9+/=\s]*$/;
const ENTITY = /&(?:#x([0-9a-fA-F]+)|#(\d+)|(amp|lt|gt|quot|apos));/g;
const ENTITY_AT = /&(?:#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/y;
const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The plist vocabulary, so that a tag's name is a shared constant rather than a new string. */
const TAG_NAMES = ['plist', 'dict', 'key', 'array', 'string', 'integer', 'real', 'true', 'false', 'date', 'data'] as const;
const CLOSE_TAGS: Readonly<Record<string, string>> = Object.fromEntries(TAG_NAMES.map((n) => [n, `</${n}>`]));

/** The vocabulary's name told by its first letters, then checked whole: one comparison a tag, not eleven. */
function tagName(text: string, start: number, end: number): string {
  let name: string | undefined;
  switch (text.charCodeAt(start)) {
    case 107 /* k */: name = 'key'; break;
    case 100 /* d */:
      name = text.charCodeAt(start + 1) === 105 /* i */ ? 'dict' : text.charCodeAt(start + 3) === 101 /* e */ ? 'date' : 'data';
      break;
    case 114 /* r */: name = 'real'; break;
    case 105 /* i */: name = 'integer'; break;
    case 115 /* s */: name = 'string'; break;
    case 97 /* a */: name = 'array'; break;
    case 116 /* t */: name = 'true'; break;
    case 102 /* f */: name = 'false'; break;
    case 112 /* p */: name = 'plist'; break;
  }
  return name !== undefined && name.length === end - start && text.startsWith(name, start) ? name : text.slice(start, end);
}

/** The most digits plainNumber reads: below 2^53, so the digits are an exact double. */
const MAX_PLAIN_DIGITS = 15;
/** 10^0 .. 10^15, each an exact double (parsed from literals, so that none is computed). */
const POWERS_OF_TEN = Array.from({ length: MAX_PLAIN_DIGITS + 1 }, (_, k) => Number(`1e${k}`));

/**
 * Keys seen before, so that the ~1,400 keys of an M2 Ultra document (about 30 distinct ones) are
 * not each a new string. A slot is picked by the key's length and end letters, and a hit is checked
 * against the text, so a collision only costs a fresh slice. Bounded: one key a slot.
 */
const KEY_SLOTS = 128;
const seenKeys: (string | undefined)[] = new Array<string | undefined>(KEY_SLOTS).fill(undefined);

function keySlot(text: string, start: number, end: number): number {
  return ((end - start) * 31 + text.charCodeAt(start) * 7 + text.charCodeAt(end - 1)) & (KEY_SLOTS - 1);
}

/** The context of a dict entry's value; described with the entry's key only when an error needs it. */
const DICT_ENTRY = '<dict> entry';

class Scanner {
  readonly text: string;
  pos = 0;
  /** The key of the dict entry whose value is being read. */
  entryKey = '';
  // The tag readTag last read: `<name ...>`, `</name>` or `<name/>`. Kept as fields rather than
  // returned as an object, because a powermetrics document has thousands of tags and the objects
  // were a quarter of what a collection cycle allocates.
  tagClosing = false;
  tagSelfClosing = false;
  /** Offset of the tag's `<`. */
  tagStart = 0;
  /** Offset just after the tag's `>`. */
  tagEnd = 0;

  constructor(text: string) {
    this.text = text;
  }

  fail(message: string, offset = this.pos): never {
    throw new PlistParseError(message, this.text, offset);
  }

  describe(context: string): string {
    return context === DICT_ENTRY ? `${DICT_ENTRY} ${quote(this.entryKey)}` : context;
  }

  /** Skips whitespace and comments; returns false at the end of the text. */
  skipMisc(): boolean {
    const text = this.text;
    for (;;) {
      let c = text.charCodeAt(this.pos);
      while (c === 32 || c === 10 || c === 9 || c === 13) c = text.charCodeAt(++this.pos);
      if (this.pos >= text.length) return false;
      if (c === 60 /* < */ && text.startsWith('<!--', this.pos)) {
        const end = text.indexOf('-->', this.pos + 4);
        if (end === -1) this.fail('unterminated comment <!--');
        this.pos = end + 3;
        continue;
      }
      return true;
    }
  }

  /** Skips the XML declaration, DOCTYPE, comments and whitespace before the root element. */
  skipProlog(): void {
    const text = this.text;
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
    for (;;) {
      if (!this.skipMisc()) return;
      if (text.startsWith('<?', this.pos)) {
        const end = text.indexOf('?>', this.pos + 2);
        if (end === -1) this.fail('unterminated processing instruction <?');
        this.pos = end + 2;
      } else if (text.startsWith('<!DOCTYPE', this.pos)) {
        const bracket = text.indexOf('[', this.pos);
        const close = text.indexOf('>', this.pos);
        if (close === -1) this.fail('unterminated <!DOCTYPE');
        const end = bracket !== -1 && bracket < close ? text.indexOf(']>', bracket) : close - 1;
        if (end === -1) this.fail('unterminated <!DOCTYPE [ internal subset');
        this.pos = end + 2;
      } else {
        return;
      }
    }
  }

  /** Reads the tag at the current position (after skipMisc), which must start with `<`; returns its name. */
  readTag(context: string): string {
    const text = this.text;
    const start = this.pos;
    if (start >= text.length) this.fail(`document ends inside ${this.describe(context)}`);
    if (text.charCodeAt(start) !== 60) {
      const lt = text.indexOf('<', start);
      this.fail(`unexpected text ${quote(text.slice(start, Math.min(lt === -1 ? text.length : lt, start + 20)))} inside ${this.describe(context)}`);
    }
    const close = text.indexOf('>', start + 1);
    if (close === -1) this.fail(`document ends inside a tag, inside ${this.describe(context)}`);
    const closing = text.charCodeAt(start + 1) === 47; /* / */
    const selfClosing = !closing && text.charCodeAt(close - 1) === 47;
    const nameStart = closing ? start + 2 : start + 1;
    let nameEnd = nameStart;
    for (let c = text.charCodeAt(nameEnd); nameEnd < close; c = text.charCodeAt(++nameEnd)) {
      if (c === 32 || c === 47 || c === 10 || c === 9 || c === 13) break;
    }
    const name = tagName(text, nameStart, nameEnd);
    if (name === '' || name.startsWith('!') || name.startsWith('?')) {
      this.fail(`unexpected ${quote(text.slice(start, Math.min(close + 1, start + 20)))} inside ${this.describe(context)}`);
    }
    this.pos = close + 1;
    this.tagClosing = closing;
    this.tagSelfClosing = selfClosing;
    this.tagStart = start;
    this.tagEnd = close + 1;
    return name;
  }

  /** The text content of a simple element whose open tag (at openStart) was just read, up to its close tag. */
  readText(name: string, openStart: number): string {
    const text = this.text;
    const lt = text.indexOf('<', this.pos);
    if (lt === -1) this.fail(`document ends inside <${name}> opened`, openStart);
    const closeTag = CLOSE_TAGS[name] ?? `</${name}>`;
    if (!text.startsWith(closeTag, lt)) {
      this.fail(`expected ${closeTag} to close <${name}>, found ${quote(text.slice(lt, lt + 20))}`, lt);
    }
    const contentStart = this.pos;
    const raw = text.slice(contentStart, lt);
    this.pos = lt + closeTag.length;
    return raw.indexOf('&') === -1 ? raw : this.decodeEntities(raw, contentStart);
  }

  /** The text of a `<key>` whose open tag ends at this.pos, the same string as last time when it was seen before. */
  readKey(openStart: number): string {
    const text = this.text;
    const start = this.pos;
    const lt = text.indexOf('<', start);
    if (lt > start && text.startsWith('</key>', lt)) {
      const slot = keySlot(text, start, lt);
      const seen = seenKeys[slot];
      if (seen !== undefined && seen.length === lt - start && text.startsWith(seen, start)) {
        this.pos = lt + 6;
        return seen;
      }
      const key = this.readText('key', openStart);
      if (key.length === lt - start) seenKeys[slot] = key;
      return key;
    }
    return this.readText('key', openStart);
  }

  /**
   * A plain number (digits, an optional leading `-` and, for a real, at most one `.`: how
   * powermetrics writes every number) read straight from the text up to closeTag, or undefined for
   * anything else (spaces, `+`, hex, exponents, nan, more digits), which the patterns check. The same value Number() gives: with at most 15
   * digits it is m / 10^k of two exact doubles, which one division rounds correctly.
   */
  plainNumber(closeTag: string, allowPoint: boolean): number | undefined {
    const text = this.text;
    let i = this.pos;
    const negative = text.charCodeAt(i) === 45; /* - */
    if (negative) i++;
    let mantissa = 0;
    let digits = 0;
    let decimals = 0;
    let point = false;
    for (let c = text.charCodeAt(i); ; c = text.charCodeAt(++i)) {
      if (c >= 48 && c <= 57) {
        mantissa = mantissa * 10 + (c - 48);
        digits++;
        if (point) decimals++;
      } else if (c === 46 /* . */ && allowPoint && !point) {
        point = true;
      } else {
        break;
      }
    }
    if (digits === 0 || digits > MAX_PLAIN_DIGITS || !text.startsWith(closeTag, i)) return undefined;
    this.pos = i + closeTag.length;
    const value = decimals > 0 ? mantissa / POWERS_OF_TEN[decimals]! : mantissa;
    return negative ? -value : value;
  }

  decodeEntities(raw: string, offset: number): string {
    for (let i = raw.indexOf('&'); i !== -1; i = raw.indexOf('&', i + 1)) {
      ENTITY_AT.lastIndex = i;
      if (!ENTITY_AT.test(raw)) this.fail(`unknown or unterminated entity ${quote(raw.slice(i, i + 10))}`, offset + i);
    }
    return raw.replace(ENTITY, (_, hex: string | undefined, dec: string | undefined, named: string | undefined) => {
      if (named !== undefined) return NAMED_ENTITIES[named]!;
      const code = hex !== undefined ? Number.parseInt(hex, 16) : Number(dec);
      if (code > 0x10ffff || code === 0) this.fail(`invalid character reference &#${hex !== undefined ? `x${hex}` : dec};`, offset);
      return String.fromCodePoint(code);
    });
  }

  value(depth: number, context: string): PlistValue {
    if (!this.skipMisc()) this.fail(`document ends inside ${this.describe(context)}`);
    const name = this.readTag(context);
    if (this.tagClosing) this.fail(`unexpected </${name}> inside ${this.describe(context)}`, this.tagStart);
    return this.element(name, depth);
  }

  /** The element whose open tag readTag just read. */
  element(name: string, depth: number): PlistValue {
    const start = this.tagStart;
    const selfClosing = this.tagSelfClosing;
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`, start);
    switch (name) {
      case 'dict':
        return selfClosing ? {} : this.dict(start, depth);
      case 'array':
        return selfClosing ? [] : this.array(start, depth);
      case 'string':
        return selfClosing ? '' : this.readText('string', start);
      case 'true':
      case 'false':
        if (!selfClosing) this.readEmpty(name, start);
        return name === 'true';
      case 'integer': {
        const plain = selfClosing ? undefined : this.plainNumber('</integer>', false);
        if (plain !== undefined) return plain;
        const raw = this.scalarText(name, start, selfClosing);
        if (!INTEGER.test(raw.trim())) this.fail(`<integer> holds ${quote(raw)}, not an integer`, start);
        return Number(raw);
      }
      case 'real': {
        const plain = selfClosing ? undefined : this.plainNumber('</real>', true);
        if (plain !== undefined) return plain;
        const raw = this.scalarText(name, start, selfClosing);
        if (REAL.test(raw.trim())) return Number(raw);
        const word = raw.trim().toLowerCase();
        const special = Object.hasOwn(NON_FINITE, word) ? NON_FINITE[word] : undefined;
        if (special === undefined) this.fail(`<real> holds ${quote(raw)}, not a number`, start);
        return special;
      }
      case 'date': {
        const raw = this.scalarText(name, start, selfClosing);
        const date = new Date(raw.trim());
        if (!DATE.test(raw.trim()) || Number.isNaN(date.getTime())) this.fail(`<date> holds ${quote(raw)}, not an ISO 8601 UTC date`, start);
        return date;
      }
      case 'data': {
        const raw = selfClosing ? '' : this.readText('data', start);
        if (!BASE64.test(raw)) this.fail('<data> holds characters that are not base64', start);
        return new Uint8Array(Buffer.from(raw.replace(/\s+/g, ''), 'base64'));
      }
      default:
        return this.fail(`unknown element <${name}>`, start);
    }
  }

  scalarText(name: string, start: number, selfClosing: boolean): string {
    if (selfClosing) this.fail(`empty <${name}/>`, start);
    return this.readText(name, start);
  }

  readEmpty(openName: string, openStart: number): void {
    if (!this.skipMisc()) this.fail(`document ends inside <${openName}>`, openStart);
    const name = this.readTag(`<${openName}>`);
    if (!this.tagClosing || name !== openName) this.fail(`expected </${openName}>`, this.tagStart);
  }

  dict(openStart: number, depth: number): PlistValue {
    const dict: PlistDict = {};
    let entries = 0;
    for (;;) {
      if (!this.skipMisc()) this.fail('document ends inside <dict> opened', openStart);
      let key: string;
      if (this.text.startsWith('<key>', this.pos)) {
        // Half the tags of a document: read without the general tag reader.
        const keyStart = this.pos;
        this.pos += 5;
        key = this.readKey(keyStart);
      } else {
        const name = this.readTag('<dict>');
        if (this.tagClosing) {
          if (name !== 'dict') this.fail(`unexpected </${name}> inside <dict>`, this.tagStart);
          return dict;
        }
        if (name !== 'key') {
          // OS X 10.9 powermetrics wrote `duty_cycles` entries as dicts of bare values with no keys;
          // such a dict reads as the array of its values. A dict that mixes both is an error.
          if (entries === 0) return this.keylessDict(name, depth);
          this.fail(`expected <key> inside <dict>, found <${name}>`, this.tagStart);
        }
        key = this.tagSelfClosing ? '' : this.readText('key', this.tagStart);
      }
      entries++;
      this.entryKey = key;
      const value = this.value(depth + 1, DICT_ENTRY);
      if (key === '__proto__') Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
      else dict[key] = value;
    }
  }

  /** A dict whose first element (just read by readTag, named firstName) is not a key. */
  keylessDict(firstName: string, depth: number): PlistValue[] {
    const firstStart = this.tagStart;
    const values: PlistValue[] = [this.element(firstName, depth + 1)];
    for (;;) {
      if (!this.skipMisc()) this.fail('document ends inside <dict>', firstStart);
      const name = this.readTag('<dict>');
      if (this.tagClosing) {
        if (name !== 'dict') this.fail(`unexpected </${name}> inside <dict>`, this.tagStart);
        return values;
      }
      if (name === 'key') this.fail('<key> inside a <dict> whose earlier entries had no key', this.tagStart);
      values.push(this.element(name, depth + 1));
    }
  }

  array(openStart: number, depth: number): PlistValue[] {
    const values: PlistValue[] = [];
    for (;;) {
      if (!this.skipMisc()) this.fail('document ends inside <array> opened', openStart);
      const name = this.readTag('<array>');
      if (this.tagClosing) {
        if (name !== 'array') this.fail(`unexpected </${name}> inside <array>`, this.tagStart);
        return values;
      }
      values.push(this.element(name, depth + 1));
    }
  }
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/**
 * Parses one XML property list document (`<?xml?>`, `<!DOCTYPE>` and comments allowed) into
 * JavaScript values: dict -> object, array -> array, string/key -> string, integer/real -> number
 * (`nan`/`inf` -> NaN/Infinity; integers beyond 2^53 lose precision), true/false -> boolean,
 * date -> Date, data -> Uint8Array. Throws PlistParseError on anything else.
 */
export function parsePlist(text: string): PlistValue {
  const s = new Scanner(text);
  s.skipProlog();
  if (s.pos >= text.length) s.fail('empty document: no <plist> element');
  const root = s.readTag('the document');
  if (root !== 'plist' || s.tagClosing) s.fail(`expected <plist>, found <${s.tagClosing ? '/' : ''}${root}>`, s.tagStart);
  if (s.tagSelfClosing) s.fail('empty <plist/>', s.tagStart);
  const value = s.value(1, '<plist>');
  if (!s.skipMisc()) s.fail('document ends before </plist>');
  const close = s.readTag('<plist>');
  if (!s.tagClosing || close !== 'plist') s.fail(`expected </plist>, found <${s.tagClosing ? '/' : ''}${close}>`, s.tagStart);
  if (s.skipMisc()) s.fail(`unexpected content after </plist>: ${quote(text.slice(s.pos, s.pos + 20))}`);
  return value;
}
