import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlist, PlistParseError } from '../agent/parsers/plist.js';
import { splitNulDocuments } from '../agent/sources/nul-stream.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'powermetrics');
const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';

function plist(body: string): string {
  return `${PROLOG}<plist version="1.0">\n${body}\n</plist>\n`;
}

describe('parsePlist', () => {
  it('reads every value type', () => {
    const value = parsePlist(plist(`<dict>
  <key>s</key><string>Mac14,14</string>
  <key>empty</key><string></string>
  <key>selfclosed</key><string/>
  <key>i</key><integer>-1023721416</integer>
  <key>r</key><real>9.90818e+08</real>
  <key>small</key><real>4.82104e-06</real>
  <key>t</key><true/>
  <key>f</key><false/>
  <key>d</key><date>2024-04-12T22:42:39Z</date>
  <key>b</key><data>
    aGVsbG8g
    d29ybGQ=
  </data>
  <key>a</key><array><integer>1</integer><array/><dict/></array>
</dict>`));
    expect(value).toEqual({
      s: 'Mac14,14', empty: '', selfclosed: '', i: -1023721416, r: 990818000, small: 4.82104e-6,
      t: true, f: false, d: new Date('2024-04-12T22:42:39Z'), b: new Uint8Array(Buffer.from('hello world')),
      a: [1, [], {}],
    });
  });

  it('reads nan and inf as powermetrics writes them for an idle GPU', () => {
    const value = parsePlist(plist('<array><real>nan</real><real>inf</real><real>-inf</real></array>')) as number[];
    expect(Number.isNaN(value[0])).toBe(true);
    expect(value.slice(1)).toEqual([Infinity, -Infinity]);
  });

  it('decodes the XML entities and character references in strings and keys', () => {
    expect(parsePlist(plist('<dict><key>a&amp;b</key><string>&lt;tag&gt; &quot;q&quot; &apos;s&apos; &#233;&#x20AC;</string></dict>')))
      .toEqual({ 'a&b': '<tag> "q" \'s\' é€' });
  });

  it('skips comments anywhere between elements, as in the M2 Ultra capture', () => {
    expect(parsePlist(`<!-- before -->${plist('<dict><!-- <key>x</key><real>1</real> --><key>y</key><integer>2</integer><!--after--></dict>')}<!-- end -->`))
      .toEqual({ y: 2 });
  });

  it('does not care about indentation (tabs, 2 spaces, none)', () => {
    const tabs = parsePlist(plist('<dict>\n\t<key>a</key>\n\t<array>\n\t\t<integer>1</integer>\n\t</array>\n</dict>'));
    const spaces = parsePlist(plist('<dict>\n  <key>a</key>\n  <array>\n    <integer>1</integer>\n  </array>\n</dict>'));
    const none = parsePlist('<plist><dict><key>a</key><array><integer>1</integer></array></dict></plist>');
    expect(tabs).toEqual({ a: [1] });
    expect(spaces).toEqual(tabs);
    expect(none).toEqual(tabs);
  });

  it('reads every form of number the plist DTD allows, and only those (hand-made edge cases)', () => {
    const ints = parsePlist(plist('<array><integer>0</integer><integer>-0</integer><integer> 12 </integer><integer>+5</integer><integer>0x1F</integer><integer>007</integer></array>'));
    expect(ints).toEqual([0, -0, 12, 5, 31, 7]);
    const reals = parsePlist(plist('<array><real>5.</real><real>-.5</real><real>1e-3</real><real>+2.5E2</real><real> 3.25 </real><real>42</real></array>'));
    expect(reals).toEqual([5, -0.5, 0.001, 250, 3.25, 42]);
    for (const bad of ['-', '1.5', '1e5', '--1', '1-', '0x']) {
      expect(() => parsePlist(plist(`<integer>${bad}</integer>`)), bad).toThrow(/not an integer/);
    }
    for (const bad of ['.', '-', '1.2.3', '1e', '1.5-', 'e5']) {
      expect(() => parsePlist(plist(`<real>${bad}</real>`)), bad).toThrow(/not a number/);
    }
  });

  it('reads plain numbers straight from the text to the same double Number() gives (generated edge cases)', () => {
    // A fixed-seed generator: digits counts around the 15-digit and 22-decimal limits of the
    // direct read, leading zeros, signs and trailing points.
    let seed = 0x2545f491;
    const next = (n: number): number => {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const digits = (n: number): string => Array.from({ length: n }, () => String(next(10))).join('');
    const integers: string[] = ['0', '-0', '000', '999999999999999', '9999999999999999', '9007199254740993', '-123456789012345'];
    const reals: string[] = ['0.1', '0.30000000000000004', '1.', '-.5', '.0000000000000000000001', '.00000000000000000000001', '123456789012345.6', '0.0536782', '990818000.0'];
    for (let i = 0; i < 3000; i++) {
      const sign = next(4) === 0 ? '-' : '';
      integers.push(`${sign}${digits(1 + next(19))}`);
      const whole = digits(next(12));
      const fraction = digits(next(26));
      reals.push(whole === '' && fraction === '' ? `${sign}0.` : `${sign}${whole}.${fraction}`);
    }
    const read = (tag: string, raws: string[]): number[] =>
      parsePlist(plist(`<array>${raws.map((r) => `<${tag}>${r}</${tag}>`).join('')}</array>`)) as number[];
    const gotIntegers = read('integer', integers);
    const gotReals = read('real', reals);
    integers.forEach((raw, i) => expect(Object.is(gotIntegers[i], Number(raw)), raw).toBe(true));
    reals.forEach((raw, i) => expect(Object.is(gotReals[i], Number(raw)), raw).toBe(true));
  });

  it('reads each key as itself when keys repeat, share a cache slot or hold entities (hand-made edge cases)', () => {
    // Same length and same first and last letters: the same slot of the key cache.
    const keys = ['aXb', 'aYb', 'aZb', 'a&amp;b', 'a&lt;b', 'freq', 'used_ns', 'used_ratio'];
    const doc = plist(`<dict>${keys.map((k, i) => `<key>${k}</key><integer>${i}</integer>`).join('')}</dict>`);
    const expected = { aXb: 0, aYb: 1, aZb: 2, 'a&b': 3, 'a<b': 4, freq: 5, used_ns: 6, used_ratio: 7 };
    expect(parsePlist(doc)).toEqual(expected);
    expect(parsePlist(doc)).toEqual(expected);
    const reordered = plist('<dict><key>aZb</key><integer>2</integer><key>aXb</key><integer>0</integer><key>a&amp;b</key><integer>3</integer></dict>');
    expect(parsePlist(reordered)).toEqual({ aZb: 2, aXb: 0, 'a&b': 3 });
  });

  it('tells the vocabulary apart from names that share its first letters (hand-made edge cases)', () => {
    expect(parsePlist(plist('<array><date>2024-04-12T22:42:39Z</date><data>AAE=</data><dict/></array>'))).toEqual([new Date('2024-04-12T22:42:39Z'), new Uint8Array([0, 1]), {}]);
    for (const name of ['dat', 'datum', 'dictionary', 'keys', 'int', 'reals', 'str']) {
      expect(() => parsePlist(plist(`<array><${name}>1</${name}></array>`)), name).toThrow(new RegExp(`unknown element <${name}>`));
    }
    expect(() => parsePlist(plist('<dict><keys>a</keys><integer>1</integer></dict>'))).toThrow(/expected <key> inside <dict>, found <keys>|unknown element <keys>/);
  });

  it('reads a dict of values without keys (OS X 10.9 duty_cycles) as an array', () => {
    expect(parsePlist(plist('<dict><integer>139</integer><integer>16000</integer><real>32.3573</real></dict>'))).toEqual([139, 16000, 32.3573]);
  });

  it('keeps a "__proto__" key as data, not as the prototype', () => {
    const value = parsePlist(plist('<dict><key>__proto__</key><dict><key>polluted</key><true/></dict></dict>')) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it('parses every real capture and gives the same values as the plist package would', () => {
    const files = readdirSync(FIXTURES).filter((f) => !f.startsWith('handmade-') && !f.includes('vmware'));
    expect(files.length).toBeGreaterThanOrEqual(13);
    for (const file of files) {
      for (const doc of splitNulDocuments(readFileSync(join(FIXTURES, file)), 8 << 20, () => undefined)) {
        expect(() => parsePlist(doc), file).not.toThrow();
      }
    }
    const m2 = parsePlist(readFileSync(join(FIXTURES, 'm2ultra-mac14_14-macos14.4-pumas.plist'), 'utf8')) as Record<string, any>;
    expect(m2['kern_bootargs']).toBe('');
    expect(m2['timestamp']).toEqual(new Date('2024-04-12T22:42:39Z'));
    expect(m2['processor']['clusters'][0]['freq_hz']).toBe(990818000);
    expect(m2['gpu']['idle_ratio']).toBe(0.0536782);
  });
});

describe('parsePlist errors: what, which element, where', () => {
  const cases: [string, string, RegExp][] = [
    ['empty input', '', /empty document: no <plist> element at line 1, column 1/],
    ['prolog only', PROLOG, /empty document/],
    ['truncated in a dict', plist('<dict><key>a</key><integer>1</integer>').slice(0, -10), /document ends inside <dict> opened at line 4/],
    ['truncated in a value', `${PROLOG}<plist><dict><key>a</key><integer>12`, /document ends inside <integer> opened at line 3/],
    ['mismatched close', plist('<array><integer>1</integer></dict>'), /unexpected <\/dict> inside <array> at line 4/],
    ['wrong close of a value', plist('<dict><key>a</key><integer>1</real></dict>'), /expected <\/integer> to close <integer>, found "<\/real>/],
    ['key without value', plist('<dict><key>a</key></dict>'), /unexpected <\/dict> inside <dict> entry "a"/],
    ['not an integer', plist('<integer>12abc</integer>'), /<integer> holds "12abc", not an integer at line 4, column 1/],
    ['empty integer', plist('<integer></integer>'), /<integer> holds "", not an integer/],
    ['not a real', plist('<real>fast</real>'), /<real> holds "fast", not a number/],
    ['bad date', plist('<date>yesterday</date>'), /<date> holds "yesterday", not an ISO 8601 UTC date/],
    ['bad base64', plist('<data>not*base64</data>'), /<data> holds characters that are not base64/],
    ['unknown element', plist('<dict><key>a</key><float>1</float></dict>'), /unknown element <float> at line 4/],
    ['unknown entity', plist('<string>a &nbsp; b</string>'), /unknown or unterminated entity "&nbsp; b"/],
    ['bare ampersand', plist('<string>a & b</string>'), /unknown or unterminated entity "& b"/],
    ['garbage text', plist('<dict>garbage<key>a</key></dict>'), /unexpected text "garbage" inside <dict> at line 4, column 7/],
    ['binary garbage', `${PROLOG}\u0000\u0001\u00ff\u0002`, /unexpected text .* inside the document/],
    ['no plist root', `${PROLOG}<dict></dict>`, /expected <plist>, found <dict>/],
    ['content after the end', `${plist('<true/>')}<true/>`, /unexpected content after <\/plist>/],
    ['unterminated comment', plist('<dict><!-- forever </dict>'), /unterminated comment/],
    ['keys after keyless values', plist('<dict><integer>1</integer><key>a</key><integer>2</integer></dict>'), /<key> inside a <dict> whose earlier entries had no key/],
    ['values after keys without a key', plist('<dict><key>a</key><integer>1</integer><integer>2</integer></dict>'), /expected <key> inside <dict>, found <integer>/],
    ['absurd nesting', plist(`${'<array>'.repeat(300)}${'</array>'.repeat(300)}`), /nesting deeper than 256 levels/],
  ];
  for (const [name, text, message] of cases) {
    it(name, () => {
      let error: unknown;
      try {
        parsePlist(text);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PlistParseError);
      expect((error as Error).message).toMatch(message);
    });
  }
});
