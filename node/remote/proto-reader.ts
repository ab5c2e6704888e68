/**
 * Bounds-checked protobuf wire reader over one Uint8Array. Every read checks
 * the current limit first, so truncated or lying input raises RemoteDecodeError
 * instead of reading past the message, looping, or allocating from an
 * unchecked length. Field paths are passed in by the caller so errors can name
 * the field without building strings on the hot path.
 */
import { RemoteDecodeError } from './errors.ts';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_SGROUP = 3;
export const WIRE_EGROUP = 4;
export const WIRE_I32 = 5;

const TWO_32 = 4294967296;
/** Nested groups deeper than this are rejected rather than recursed into. */
const MAX_GROUP_DEPTH = 32;

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
/**
 * Buffer's native latin1 decoder without the argument checks of
 * toString(); falls back to toString() if a Node version lacks it.
 */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (this: Buffer, start: number, end: number) => string }).latin1Slice ?? null;

/** Builds a 1–6 character ASCII string in one call (no intermediate strings). */
function shortAscii(b: Uint8Array, p: number, n: number): string {
  switch (n) {
    case 1:
      return String.fromCharCode(b[p]!);
    case 2:
      return String.fromCharCode(b[p]!, b[p + 1]!);
    case 3:
      return String.fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!);
    case 4:
      return String.fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!);
    case 5:
      return String.fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!);
    default:
      return String.fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!);
  }
}

/** Longest string (bytes) the intern table holds. */
const MAX_INTERNED = 64;

export class ProtoReader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  /** Current read offset. */
  pos: number;
  /** Offset one past the last byte of the message being decoded. */
  end: number;
  /** Optional string intern table (see StringInterner). */
  readonly interner: StringInterner | null;
  /** The same bytes as a Buffer (no copy), for the native latin1 decoder. */
  readonly nodeBuf: Buffer;

  constructor(buf: Uint8Array, interner: StringInterner | null = null) {
    this.buf = buf;
    this.nodeBuf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = 0;
    this.end = buf.length;
    this.interner = interner;
  }

  fail(field: string, detail: string, at = this.pos): never {
    throw new RemoteDecodeError(field, at, detail);
  }

  /**
   * Reads a varint and returns its low 32 bits as an unsigned number (what
   * protobuf does for uint32 and enums, which may be sent as 10-byte negatives).
   */
  uint32(field: string): number {
    const buf = this.buf;
    let p = this.pos;
    const end = this.end;
    if (p < end) {
      const b0 = buf[p]!;
      if (b0 < 0x80) {
        this.pos = p + 1;
        return b0;
      }
    }
    const start = p;
    let v = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (p >= end) this.fail(field, 'truncated varint', start);
      const b = buf[p++]!;
      if (shift < 32) v |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = p;
        return v >>> 0;
      }
    }
    return this.fail(field, 'varint longer than 10 bytes', start);
  }

  /** Reads a field tag; rejects field number 0 and the invalid wire types 6 and 7. */
  tag(field: string): number {
    const start = this.pos;
    const t = this.uint32(field);
    if (t >>> 3 === 0) this.fail(field, 'invalid field number 0', start);
    if ((t & 7) > 5) this.fail(field, `invalid wire type ${t & 7}`, start);
    return t;
  }

  /**
   * Reads a signed int64 varint as a JS number. Values outside the safe
   * integer range (±2^53) are rejected: they cannot be represented exactly
   * and no real timestamp is that far from the epoch.
   */
  int64(field: string): number {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    const start = p;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (p >= end) this.fail(field, 'truncated varint', start);
      b = buf[p++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = p;
        return lo;
      }
    }
    if (p >= end) this.fail(field, 'truncated varint', start);
    b = buf[p++]!;
    lo = (lo | ((b & 0x0f) << 28)) >>> 0;
    hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      let done = false;
      for (let shift = 3; shift < 32; shift += 7) {
        if (p >= end) this.fail(field, 'truncated varint', start);
        b = buf[p++]!;
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) {
          done = true;
          break;
        }
      }
      if (!done) this.fail(field, 'varint longer than 10 bytes', start);
    }
    this.pos = p;
    hi >>>= 0;
    let v: number;
    if (hi >= 0x80000000) {
      // Two's complement negative: negate the 64-bit value.
      const nlo = (~lo + 1) >>> 0;
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
      v = -(nhi * TWO_32 + nlo);
    } else {
      v = hi * TWO_32 + lo;
    }
    if (!Number.isSafeInteger(v)) this.fail(field, 'int64 value outside the safe integer range', start);
    return v;
  }

  bool(field: string): boolean {
    return this.uint64Nonzero(field);
  }

  private uint64Nonzero(field: string): boolean {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    const start = p;
    let nz = false;
    for (let i = 0; i < 10; i++) {
      if (p >= end) this.fail(field, 'truncated varint', start);
      const b = buf[p++]!;
      if ((b & 0x7f) !== 0) nz = true;
      if (b < 0x80) {
        this.pos = p;
        return nz;
      }
    }
    return this.fail(field, 'varint longer than 10 bytes', start);
  }

  /** Reads a little-endian double. */
  double(field: string): number {
    const p = this.pos;
    if (p + 8 > this.end) this.fail(field, 'truncated double');
    this.pos = p + 8;
    return this.view.getFloat64(p, true);
  }

  /**
   * Reads a length prefix and returns the end offset of the delimited bytes,
   * checked against the enclosing message: a declared length larger than what
   * is left (including "negative" 10-byte lengths) is rejected before any use.
   */
  lenEnd(field: string): number {
    const start = this.pos;
    const buf = this.buf;
    let p = start;
    const end = this.end;
    let len: number;
    if (p < end && buf[p]! < 0x80) {
      len = buf[p]!;
      p++;
    } else {
      len = 0;
      let mul = 1;
      let i = 0;
      for (;; i++) {
        if (i === 10) this.fail(field, 'length varint longer than 10 bytes', start);
        if (p >= end) this.fail(field, 'truncated length', start);
        const b = buf[p++]!;
        len += (b & 0x7f) * mul;
        if (b < 0x80) break;
        mul *= 128;
      }
    }
    if (len > end - p) this.fail(field, `declared length ${len} exceeds the ${end - p} bytes remaining`, start);
    this.pos = p;
    return p + len;
  }

  /** Decodes UTF-8 bytes [pos, e) as a string and moves past them. */
  string(field: string, e: number): string {
    const p = this.pos;
    this.pos = e;
    const n = e - p;
    if (n === 0) return '';
    const buf = this.buf;
    if (n <= MAX_INTERNED) {
      // One pass: ASCII check and the intern-table hash together.
      let h = 0x811c9dc5;
      let i = p;
      for (; i < e; i++) {
        const c = buf[i]!;
        if (c >= 0x80) break;
        h = Math.imul(h ^ c, 0x01000193);
      }
      if (i === e) {
        const interner = this.interner;
        if (interner !== null) {
          const hit = interner.get(h, buf, p, e);
          if (hit !== null) return hit;
        }
        const s = n <= 6 ? shortAscii(buf, p, n) : this.#latin1(p, e);
        if (interner !== null) interner.put(h, s);
        return s;
      }
    } else {
      let i = p;
      while (i < e && buf[i]! < 0x80) i++;
      if (i === e) return this.#latin1(p, e);
    }
    try {
      return utf8Fatal.decode(buf.subarray(p, e));
    } catch {
      return this.fail(field, 'invalid UTF-8 in string', p);
    }
  }

  #latin1(p: number, e: number): string {
    return latin1Slice !== null ? latin1Slice.call(this.nodeBuf, p, e) : this.nodeBuf.toString('latin1', p, e);
  }

  /** Skips one field's value of the given wire type (unknown fields must be skipped, not rejected). */
  skip(field: string, wireType: number, fieldNo: number, depth = 0): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.uint64Nonzero(field);
        return;
      case WIRE_I64:
        if (this.pos + 8 > this.end) this.fail(field, 'truncated fixed64');
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.pos = this.lenEnd(field);
        return;
      case WIRE_I32:
        if (this.pos + 4 > this.end) this.fail(field, 'truncated fixed32');
        this.pos += 4;
        return;
      case WIRE_SGROUP: {
        if (depth >= MAX_GROUP_DEPTH) this.fail(field, 'groups nested too deeply');
        for (;;) {
          if (this.pos >= this.end) this.fail(field, `unterminated group ${fieldNo}`);
          const t = this.tag(field);
          if ((t & 7) === WIRE_EGROUP) {
            if (t >>> 3 !== fieldNo) this.fail(field, `mismatched end of group ${t >>> 3}, expected ${fieldNo}`);
            return;
          }
          this.skip(field, t & 7, t >>> 3, depth + 1);
        }
      }
      case WIRE_EGROUP:
        return this.fail(field, `unexpected end of group ${fieldNo}`);
      default:
        return this.fail(field, `invalid wire type ${wireType}`);
    }
  }

  /** Throws unless the wire type is the expected one. */
  expect(field: string, wireType: number, expected: number, tagStart: number): void {
    if (wireType !== expected) this.fail(field, `wrong wire type ${wireType}, expected ${expected}`, tagStart);
  }
}

/**
 * Fixed-size cache of short ASCII strings keyed by an FNV-1a hash of their
 * bytes. Label names and common values repeat across series of a request, so
 * this avoids building (and retaining) thousands of identical strings.
 * Collisions simply overwrite the slot.
 */
export class StringInterner {
  readonly #slots: (string | undefined)[];
  readonly #mask: number;

  constructor(bits = 12) {
    this.#slots = new Array<string | undefined>(1 << bits);
    this.#mask = (1 << bits) - 1;
  }

  /** Looks up the ASCII bytes [p, e) whose FNV-1a hash is h. */
  get(h: number, buf: Uint8Array, p: number, e: number): string | null {
    const s = this.#slots[(h ^ (h >>> 15)) & this.#mask];
    if (s === undefined || s.length !== e - p) return null;
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== buf[p + i]) return null;
    return s;
  }

  put(h: number, s: string): void {
    this.#slots[(h ^ (h >>> 15)) & this.#mask] = s;
  }
}
