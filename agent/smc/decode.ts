// Decoding of raw SMC values by their type FourCC. Only the types whose encoding is known are
// decoded; anything else is reported as unknown, never guessed.

/** A decoded SMC value. `number` covers every numeric type; `unknown` says why it was not decoded. */
export type SmcValue =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'flag'; readonly value: boolean }
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'bytes'; readonly hex: string }
  | { readonly kind: 'unknown'; readonly reason: string };

const INTEGER_TYPES: Readonly<Record<string, { size: number; signed: boolean }>> = {
  'ui8 ': { size: 1, signed: false },
  'ui16': { size: 2, signed: false },
  'ui32': { size: 4, signed: false },
  'si8 ': { size: 1, signed: true },
  'si16': { size: 2, signed: true },
  'si32': { size: 4, signed: true },
};

/** `fpXY` / `spXY`: 16-bit big-endian fixed point with Y (a hex digit) fraction bits. */
const FIXED_POINT = /^(fp|sp)([0-9a-f])([0-9a-f])$/;

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

/** A C string's length: the bytes before the trailing NULs. */
function lengthWithoutTrailingNuls(bytes: Uint8Array): number {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return end;
}

function sizeMismatch(type: string, expected: number, actual: number): SmcValue {
  return { kind: 'unknown', reason: `type ${JSON.stringify(type)} takes ${expected} bytes, the key has ${actual}` };
}

export function decodeSmcValue(type: string, bytes: Uint8Array): SmcValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const integer = INTEGER_TYPES[type];
  if (integer !== undefined) {
    if (bytes.length !== integer.size) return sizeMismatch(type, integer.size, bytes.length);
    let value = 0;
    for (const b of bytes) value = value * 256 + b;
    if (integer.signed && value >= 2 ** (8 * integer.size - 1)) value -= 2 ** (8 * integer.size);
    return { kind: 'number', value };
  }
  const fixed = FIXED_POINT.exec(type);
  if (fixed !== null) {
    if (bytes.length !== 2) return sizeMismatch(type, 2, bytes.length);
    const signed = fixed[1] === 'sp';
    const raw = signed ? view.getInt16(0, false) : view.getUint16(0, false);
    return { kind: 'number', value: raw / 2 ** Number.parseInt(fixed[3]!, 16) };
  }
  switch (type) {
    // The SMC stores floats in the host's byte order, little-endian on every Mac that has one.
    case 'flt ':
      if (bytes.length !== 4) return sizeMismatch(type, 4, bytes.length);
      return { kind: 'number', value: view.getFloat32(0, true) };
    // 64-bit two's complement fixed point with 16 fraction bits, little-endian like `flt `: a
    // sensor below 0 °C (or a glitch) reads ff ff ... in its high bytes, which unsigned would
    // turn into 2.8e14 °C.
    case 'ioft':
      if (bytes.length !== 8) return sizeMismatch(type, 8, bytes.length);
      return { kind: 'number', value: Number(view.getBigInt64(0, true)) / 65536 };
    case 'flag':
      if (bytes.length !== 1) return sizeMismatch(type, 1, bytes.length);
      return { kind: 'flag', value: bytes[0] !== 0 };
    case 'ch8*':
      return { kind: 'text', value: Buffer.from(bytes.subarray(0, lengthWithoutTrailingNuls(bytes))).toString('latin1') };
    case 'hex_':
      return { kind: 'bytes', hex: toHex(bytes) };
    default:
      return { kind: 'unknown', reason: `unknown type ${JSON.stringify(type)}` };
  }
}

/** The value as a number when the type is numeric (flags count as 0/1), else undefined. */
export function numericSmcValue(type: string, bytes: Uint8Array): number | undefined {
  const decoded = decodeSmcValue(type, bytes);
  if (decoded.kind === 'number') return decoded.value;
  if (decoded.kind === 'flag') return decoded.value ? 1 : 0;
  return undefined;
}
