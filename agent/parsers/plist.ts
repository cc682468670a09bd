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

const INTEGER = /^\s*[+-]?(?:\d+|0x[0-9a-f]+)\s*$/i;
const REAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?\s*$/i;
const NON_FINITE: Readonly<Record<string, number>> = {
  nan: Number.NaN, '+nan': Number.NaN, '-nan': Number.NaN,
  inf: Infinity, '+inf': Infinity, infinity: Infinity, '+infinity': Infinity,
  '-inf': -Infinity, '-infinity': -Infinity,
};
const DATE = /^\s*\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\s*$/;
const BASE64 = /^[A-Za-z0-9+/=\s]*$/;
const ENTITY = /&(?:#x([0-9a-fA-F]+)|#(\d+)|(amp|lt|gt|quot|apos));/g;
const ENTITY_AT = /&(?:#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/y;
const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The plist vocabulary, so that a tag's name is a shared constant rather than a new string. */
const TAG_NAMES = ['plist', 'dict', 'key', 'array', 'string', 'integer', 'real', 'true', 'false', 'date', 'data'] as const;
const CLOSE_TAGS: Readonly<Record<string, string>> = Object.fromEntries(TAG_NAMES.map((n) => [n, `</${n}>`]));

function tagName(text: string, start: number, end: number): string {
  const length = end - start;
  for (const name of TAG_NAMES) {
    if (name.length === length && text.startsWith(name, start)) return name;
  }
  return text.slice(start, end);
}

/** A tag as the scanner found it: `<name ...>`, `</name>` or `<name/>`. */
interface Tag {
  readonly name: string;
  readonly closing: boolean;
  readonly selfClosing: boolean;
  /** Offset of `<`. */
  readonly start: number;
  /** Offset just after `>`. */
  readonly end: number;
}

/** The context of a dict entry's value; described with the entry's key only when an error needs it. */
const DICT_ENTRY = '<dict> entry';

class Scanner {
  readonly text: string;
  pos = 0;
  /** The key of the dict entry whose value is being read. */
  entryKey = '';

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

  /** Reads the tag at the current position (after skipMisc), which must start with `<`. */
  readTag(context: string): Tag {
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
    return { name, closing, selfClosing, start, end: close + 1 };
  }

  /** The text content of a simple element whose open tag was just read, up to its close tag. */
  readText(name: string, open: Tag): string {
    const text = this.text;
    const lt = text.indexOf('<', this.pos);
    if (lt === -1) this.fail(`document ends inside <${name}> opened`, open.start);
    const closeTag = CLOSE_TAGS[name] ?? `</${name}>`;
    if (!text.startsWith(closeTag, lt)) {
      this.fail(`expected ${closeTag} to close <${name}>, found ${quote(text.slice(lt, lt + 20))}`, lt);
    }
    const raw = text.slice(this.pos, lt);
    this.pos = lt + closeTag.length;
    return raw.indexOf('&') === -1 ? raw : this.decodeEntities(raw, open.end);
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
    const tag = this.readTag(context);
    if (tag.closing) this.fail(`unexpected </${tag.name}> inside ${this.describe(context)}`, tag.start);
    return this.element(tag, depth);
  }

  element(tag: Tag, depth: number): PlistValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`, tag.start);
    switch (tag.name) {
      case 'dict':
        return tag.selfClosing ? {} : this.dict(tag, depth);
      case 'array':
        return tag.selfClosing ? [] : this.array(tag, depth);
      case 'string':
        return tag.selfClosing ? '' : this.readText('string', tag);
      case 'true':
      case 'false':
        if (!tag.selfClosing) this.readEmpty(tag);
        return tag.name === 'true';
      case 'integer': {
        const raw = this.scalarText(tag);
        if (!INTEGER.test(raw)) this.fail(`<integer> holds ${quote(raw)}, not an integer`, tag.start);
        return Number(raw);
      }
      case 'real': {
        const raw = this.scalarText(tag);
        if (REAL.test(raw)) return Number(raw);
        const special = NON_FINITE[raw.trim().toLowerCase()];
        if (special === undefined) this.fail(`<real> holds ${quote(raw)}, not a number`, tag.start);
        return special;
      }
      case 'date': {
        const raw = this.scalarText(tag);
        const date = new Date(raw.trim());
        if (!DATE.test(raw) || Number.isNaN(date.getTime())) this.fail(`<date> holds ${quote(raw)}, not an ISO 8601 UTC date`, tag.start);
        return date;
      }
      case 'data': {
        const raw = tag.selfClosing ? '' : this.readText('data', tag);
        if (!BASE64.test(raw)) this.fail('<data> holds characters that are not base64', tag.start);
        return new Uint8Array(Buffer.from(raw.replace(/\s+/g, ''), 'base64'));
      }
      default:
        return this.fail(`unknown element <${tag.name}>`, tag.start);
    }
  }

  scalarText(tag: Tag): string {
    if (tag.selfClosing) this.fail(`empty <${tag.name}/>`, tag.start);
    return this.readText(tag.name, tag);
  }

  readEmpty(open: Tag): void {
    if (!this.skipMisc()) this.fail(`document ends inside <${open.name}>`, open.start);
    const tag = this.readTag(`<${open.name}>`);
    if (!tag.closing || tag.name !== open.name) this.fail(`expected </${open.name}>`, tag.start);
  }

  dict(open: Tag, depth: number): PlistValue {
    const dict: PlistDict = {};
    for (;;) {
      if (!this.skipMisc()) this.fail('document ends inside <dict> opened', open.start);
      const tag = this.readTag('<dict>');
      if (tag.closing) {
        if (tag.name !== 'dict') this.fail(`unexpected </${tag.name}> inside <dict>`, tag.start);
        return dict;
      }
      if (tag.name !== 'key') {
        // OS X 10.9 powermetrics wrote `duty_cycles` entries as dicts of bare values with no keys;
        // such a dict reads as the array of its values. A dict that mixes both is an error.
        if (Object.keys(dict).length === 0) return this.keylessDict(tag, depth);
        this.fail(`expected <key> inside <dict>, found <${tag.name}>`, tag.start);
      }
      const key = tag.selfClosing ? '' : this.readText('key', tag);
      this.entryKey = key;
      const value = this.value(depth + 1, DICT_ENTRY);
      if (key === '__proto__') Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
      else dict[key] = value;
    }
  }

  keylessDict(first: Tag, depth: number): PlistValue[] {
    const values: PlistValue[] = [this.element(first, depth + 1)];
    for (;;) {
      if (!this.skipMisc()) this.fail('document ends inside <dict>', first.start);
      const tag = this.readTag('<dict>');
      if (tag.closing) {
        if (tag.name !== 'dict') this.fail(`unexpected </${tag.name}> inside <dict>`, tag.start);
        return values;
      }
      if (tag.name === 'key') this.fail('<key> inside a <dict> whose earlier entries had no key', tag.start);
      values.push(this.element(tag, depth + 1));
    }
  }

  array(open: Tag, depth: number): PlistValue[] {
    const values: PlistValue[] = [];
    for (;;) {
      if (!this.skipMisc()) this.fail('document ends inside <array> opened', open.start);
      const tag = this.readTag('<array>');
      if (tag.closing) {
        if (tag.name !== 'array') this.fail(`unexpected </${tag.name}> inside <array>`, tag.start);
        return values;
      }
      values.push(this.element(tag, depth + 1));
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
  if (root.name !== 'plist' || root.closing) s.fail(`expected <plist>, found <${root.closing ? '/' : ''}${root.name}>`, root.start);
  if (root.selfClosing) s.fail('empty <plist/>', root.start);
  const value = s.value(1, '<plist>');
  if (!s.skipMisc()) s.fail('document ends before </plist>');
  const close = s.readTag('<plist>');
  if (!close.closing || close.name !== 'plist') s.fail(`expected </plist>, found <${close.closing ? '/' : ''}${close.name}>`, close.start);
  if (s.skipMisc()) s.fail(`unexpected content after </plist>: ${quote(text.slice(s.pos, s.pos + 20))}`);
  return value;
}
