/**
 * Prometheus XOR ("Gorilla") float chunks, byte-compatible with
 * tsdb/chunkenc/xor.go. Format: /work/shared/spec/chunk-format.md (see FORMAT.md).
 *
 * Values are handled as their raw 64-bit pattern split in two uint32 halves, so
 * NaN payloads (the stale marker 0x7ff0000000000002) and -0.0 survive exactly.
 */
import { BitReader, BitWriter } from './bstream.ts';

/** Encoding id of XOR chunks in block files and remote-read responses. */
export const XOR_ENCODING = 1;
/** Prometheus cuts a chunk before it would exceed 1024 bytes, i.e. at 1005. */
export const XOR_MAX_BYTES_SOFT = 1005;

// Shared scratch to move between a double and its two 32-bit halves. Not state:
// every use writes then reads it synchronously.
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('Big-endian platforms are not supported by the XOR chunk codec');
// Little-endian: U32[1] is the high (sign/exponent) word, U32[0] the low word.

const TWO32 = 4294967296;
const NO_WINDOW = 255;

function clz64(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

function ctz64(hi: number, lo: number): number {
  return lo !== 0 ? ctz32(lo) : 32 + ctz32(hi);
}

/** A float chunk being appended to. append() keeps the encoded bytes current at all times. */
export class XorChunk {
  #w: BitWriter;
  #count = 0;
  #minT = 0;
  #t = 0;
  #tDelta = 0;
  // The last value's halves as int32 (| 0): always a small integer in V8, never a
  // boxed heap number per chunk as uint32 values above 2^31 would be.
  #vHi = 0;
  #vLo = 0;
  #leading = NO_WINDOW;
  #trailing = 0;

  /** @param initialBytes starting buffer size; it doubles as needed. @default 32 */
  constructor(initialBytes = 32) {
    this.#w = new BitWriter(initialBytes);
    this.#w.writeBits(0, 16); // sample count, patched on every append
  }

  /**
   * Reopens encoded chunk bytes for appending. Like Prometheus, the encoder state
   * is rebuilt by decoding, so the result stays byte-identical to upstream's.
   */
  static fromBytes(bytes: Uint8Array): XorChunk {
    const it = new XorIterator(bytes);
    const c = new XorChunk(1);
    let first = true;
    while (it.next()) {
      if (first) {
        c.#minT = it.t;
        first = false;
      }
    }
    const st = it.state();
    c.#count = it.count;
    c.#t = it.t;
    c.#tDelta = st.tDelta;
    c.#vHi = st.vHi | 0;
    c.#vLo = st.vLo | 0;
    c.#leading = st.leading;
    c.#trailing = st.trailing;
    // Drop any bytes past the last sample (old Prometheus versions left one) before resuming.
    const used = (st.bitPos + 7) >>> 3;
    c.#w = BitWriter.resume(bytes.subarray(0, used), st.bitPos);
    return c;
  }

  get count(): number {
    return this.#count;
  }

  /** Timestamp of the first sample (undefined meaning when empty). */
  get minTime(): number {
    return this.#minT;
  }

  /** Timestamp of the last sample. */
  get maxTime(): number {
    return this.#t;
  }

  get byteLength(): number {
    return this.#w.byteLength;
  }

  /** True when `v` has the same 64-bit pattern as the last appended value. */
  lastValueIs(v: number): boolean {
    F64[0] = v;
    return (U32[1]! | 0) === this.#vHi && (U32[0]! | 0) === this.#vLo;
  }

  /** The last appended value. */
  get lastValue(): number {
    U32[1] = this.#vHi;
    U32[0] = this.#vLo;
    return F64[0]!;
  }

  /**
   * Appends one sample. `t` is an integer millisecond timestamp and must be greater
   * than the previous one (the caller checks ordering).
   */
  append(t: number, v: number): void {
    F64[0] = v;
    const hi = U32[1]!;
    const lo = U32[0]!;
    const w = this.#w;
    const n = this.#count;
    if (n === 0) {
      w.writeVarint(t);
      w.writeBits(hi, 32);
      w.writeBits(lo, 32);
      this.#minT = t;
    } else if (n === 1) {
      const delta = t - this.#t;
      w.writeUvarint(delta);
      this.#tDelta = delta;
      this.#writeValue(hi, lo);
    } else {
      const delta = t - this.#t;
      const dod = delta - this.#tDelta;
      if (dod === 0) {
        w.writeBit(0);
      } else if (dod >= -8191 && dod <= 8192) {
        w.writeBits(0b10, 2);
        w.writeBits(dod & 0x3fff, 14);
      } else if (dod >= -65535 && dod <= 65536) {
        w.writeBits(0b110, 3);
        w.writeBits(dod & 0x1ffff, 17);
      } else if (dod >= -524287 && dod <= 524288) {
        w.writeBits(0b1110, 4);
        w.writeBits(dod & 0xfffff, 20);
      } else {
        w.writeBits(0b1111, 4);
        const dhi = Math.floor(dod / TWO32);
        w.writeBits(dhi >>> 0, 32);
        w.writeBits((dod - dhi * TWO32) >>> 0, 32);
      }
      this.#tDelta = delta;
      this.#writeValue(hi, lo);
    }
    this.#t = t;
    this.#vHi = hi | 0;
    this.#vLo = lo | 0;
    const c = n + 1;
    this.#count = c;
    const buf = w.buffer;
    buf[0] = c >>> 8;
    buf[1] = c & 0xff;
  }

  #writeValue(hi: number, lo: number): void {
    const w = this.#w;
    const xh = (hi ^ this.#vHi) >>> 0;
    const xl = (lo ^ this.#vLo) >>> 0;
    if (xh === 0 && xl === 0) {
      w.writeBit(0);
      return;
    }
    let lead = clz64(xh, xl);
    if (lead > 31) lead = 31;
    const trail = ctz64(xh, xl);
    if (this.#leading !== NO_WINDOW && lead >= this.#leading && trail >= this.#trailing) {
      w.writeBits(0b10, 2);
      writeShifted(w, xh, xl, this.#trailing, 64 - this.#leading - this.#trailing);
      return;
    }
    const sig = 64 - lead - trail;
    w.writeBits(0b11, 2);
    w.writeBits(lead, 5);
    w.writeBits(sig & 63, 6);
    writeShifted(w, xh, xl, trail, sig);
    this.#leading = lead;
    this.#trailing = trail;
  }

  /** The exact Prometheus encoding (header + bit stream), as a view: copy it if you keep appending. */
  bytes(): Uint8Array {
    return this.#w.view();
  }

  /** An exact-size copy of the encoding, for closing a chunk. */
  copyBytes(): Uint8Array {
    return this.#w.copy();
  }

  iterator(): XorIterator {
    return new XorIterator(this.#w.view());
  }
}

/** Writes the `nbits` low bits of the 64-bit (hi:lo) value shifted right by `shift`. */
function writeShifted(w: BitWriter, hi: number, lo: number, shift: number, nbits: number): void {
  let sh: number;
  let sl: number;
  if (shift === 0) {
    sh = hi;
    sl = lo;
  } else if (shift >= 32) {
    sh = 0;
    sl = hi >>> (shift - 32);
  } else {
    sl = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
    sh = hi >>> shift;
  }
  if (nbits > 32) {
    w.writeBits(sh, nbits - 32);
    w.writeBits(sl, 32);
  } else {
    w.writeBits(sl, nbits);
  }
}

/** Decoder state exposed for resuming a chunk. */
export interface XorDecoderState {
  tDelta: number;
  vHi: number;
  vLo: number;
  leading: number;
  trailing: number;
  bitPos: number;
}

/**
 * Forward iterator over encoded XOR chunk bytes (ours or Prometheus's). Stops
 * after the header's sample count and ignores trailing bytes.
 */
export class XorIterator {
  #r: BitReader;
  #n: number;
  #i = 0;
  #t = 0;
  #tDelta = 0;
  #vHi = 0;
  #vLo = 0;
  #leading = 0;
  #trailing = 0;

  constructor(bytes: Uint8Array) {
    if (bytes.length < 2) throw new RangeError(`Invalid XOR chunk: ${bytes.length} bytes, want at least 2`);
    this.#n = (bytes[0]! << 8) | bytes[1]!;
    this.#r = new BitReader(bytes, 16);
  }

  /** Number of samples in the chunk (from its header). */
  get count(): number {
    return this.#n;
  }

  /** Timestamp of the current sample (after next() returned true). */
  get t(): number {
    return this.#t;
  }

  /** Value of the current sample. */
  get v(): number {
    U32[1] = this.#vHi;
    U32[0] = this.#vLo;
    return F64[0]!;
  }

  state(): XorDecoderState {
    return { tDelta: this.#tDelta, vHi: this.#vHi, vLo: this.#vLo, leading: this.#leading, trailing: this.#trailing, bitPos: this.#r.position };
  }

  /** Advances to the next sample; false at the end. Throws RangeError on truncated input. */
  next(): boolean {
    const i = this.#i;
    if (i >= this.#n) return false;
    const r = this.#r;
    if (i === 0) {
      this.#t = r.readVarint();
      this.#vHi = r.readBits(32);
      this.#vLo = r.readBits(32);
    } else {
      if (i === 1) {
        this.#tDelta = r.readUvarint();
      } else {
        let dod = 0;
        if (r.readBit() !== 0) {
          let nb: number;
          if (r.readBit() === 0) nb = 14;
          else if (r.readBit() === 0) nb = 17;
          else if (r.readBit() === 0) nb = 20;
          else nb = 64;
          if (nb === 64) {
            const hi = r.readBits(32) | 0;
            dod = hi * TWO32 + r.readBits(32);
          } else {
            const u = r.readBits(nb);
            dod = u > 1 << (nb - 1) ? u - (1 << nb) : u;
          }
        }
        this.#tDelta += dod;
      }
      this.#t += this.#tDelta;
      this.#readValue(r);
    }
    if (r.overrun) throw new RangeError(`Invalid XOR chunk: truncated at sample ${i} of ${this.#n}`);
    this.#i = i + 1;
    return true;
  }

  #readValue(r: BitReader): void {
    if (r.readBit() === 0) return;
    let sig: number;
    if (r.readBit() === 0) {
      sig = 64 - this.#leading - this.#trailing;
    } else {
      this.#leading = r.readBits(5);
      sig = r.readBits(6);
      if (sig === 0) sig = 64;
      this.#trailing = 64 - this.#leading - sig;
    }
    let mh = 0;
    let ml: number;
    if (sig > 32) {
      mh = r.readBits(sig - 32);
      ml = r.readBits(32);
    } else {
      ml = r.readBits(sig);
    }
    const tr = this.#trailing;
    let xh: number;
    let xl: number;
    if (tr === 0) {
      xh = mh;
      xl = ml;
    } else if (tr >= 32) {
      xh = ml << (tr - 32);
      xl = 0;
    } else {
      xh = (mh << tr) | (ml >>> (32 - tr));
      xl = ml << tr;
    }
    this.#vHi = (this.#vHi ^ xh) >>> 0;
    this.#vLo = (this.#vLo ^ xl) >>> 0;
  }

  /** Advances to the first sample with timestamp ≥ t (staying put if already there); false when none. */
  seek(t: number): boolean {
    if (this.#i > 0 && this.#t >= t) return true;
    while (this.next()) if (this.#t >= t) return true;
    return false;
  }

  /**
   * Decodes the remaining samples with minT ≤ t ≤ maxT into the columns from
   * `offset` on and returns how many were written. Stops at the first sample
   * after maxT. The caller sizes the arrays (count - samples already read suffices).
   */
  readInto(ts: Float64Array, vs: Float64Array, offset: number, minT = -Infinity, maxT = Infinity): number {
    let o = offset;
    while (this.next()) {
      const t = this.#t;
      if (t < minT) continue;
      if (t > maxT) break;
      ts[o] = t;
      U32[1] = this.#vHi;
      U32[0] = this.#vLo;
      vs[o] = F64[0]!;
      o++;
    }
    return o - offset;
  }
}

/** Decodes a whole chunk (e.g. one produced by Prometheus) into new columns. */
export function decodeXorChunk(bytes: Uint8Array): { timestamps: Float64Array; values: Float64Array } {
  const it = new XorIterator(bytes);
  const timestamps = new Float64Array(it.count);
  const values = new Float64Array(it.count);
  it.readInto(timestamps, values, 0);
  return { timestamps, values };
}

/** Encodes columns into a fresh chunk (timestamps strictly increasing). */
export function encodeXorChunk(timestamps: ArrayLike<number>, values: ArrayLike<number>): XorChunk {
  const c = new XorChunk(Math.max(32, timestamps.length * 2));
  for (let i = 0; i < timestamps.length; i++) c.append(timestamps[i]!, values[i]!);
  return c;
}
