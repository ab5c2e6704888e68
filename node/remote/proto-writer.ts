/**
 * Growable protobuf wire writer. Nested messages are written in place after a
 * one-byte length placeholder (fork/join); when the finished length needs a
 * longer varint the child bytes are shifted right once. Small children
 * (labels, samples) never move, so there is no size pre-pass.
 */
import { WIRE_I64, WIRE_LEN, WIRE_VARINT } from './proto-reader.ts';

const TWO_32 = 4294967296;

export class ProtoWriter {
  #buf: Buffer;
  #pos = 0;
  readonly #scratch = new Float64Array(1);
  readonly #scratchBits = new Uint32Array(this.#scratch.buffer);

  constructor(initialSize = 1024) {
    this.#buf = Buffer.allocUnsafe(Math.max(16, initialSize));
  }

  get length(): number {
    return this.#pos;
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#pos + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  /** Unsigned varint of a value below 2^32. */
  #varint32(v: number): void {
    const buf = this.#buf;
    let p = this.#pos;
    while (v >= 0x80) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p++] = v;
    this.#pos = p;
  }

  tag(fieldNo: number, wireType: number): void {
    this.#ensure(5);
    this.#varint32(((fieldNo << 3) | wireType) >>> 0);
  }

  /** int64 varint from a safe integer (negatives take 10 bytes, two's complement). */
  int64(v: number): void {
    if (!Number.isSafeInteger(v)) throw new RangeError(`Cannot encode int64: ${v} is not a safe integer`);
    this.#ensure(10);
    if (v >= 0 && v < 0x80000000) {
      this.#varint32(v);
      return;
    }
    let hi = Math.floor(v / TWO_32);
    let lo = (v - hi * TWO_32) >>> 0;
    hi >>>= 0;
    const buf = this.#buf;
    let p = this.#pos;
    while (hi !== 0 || lo >= 0x80) {
      buf[p++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[p++] = lo;
    this.#pos = p;
  }

  uint32(v: number): void {
    this.#ensure(5);
    this.#varint32(v >>> 0);
  }

  /** Writes a double's 8 bytes little-endian from its raw 32-bit halves. */
  doubleBits(lo: number, hi: number): void {
    this.#ensure(8);
    const buf = this.#buf;
    const p = this.#pos;
    buf[p] = lo;
    buf[p + 1] = lo >>> 8;
    buf[p + 2] = lo >>> 16;
    buf[p + 3] = lo >>> 24;
    buf[p + 4] = hi;
    buf[p + 5] = hi >>> 8;
    buf[p + 6] = hi >>> 16;
    buf[p + 7] = hi >>> 24;
    this.#pos = p + 8;
  }

  double(v: number): void {
    this.#scratch[0] = v;
    this.doubleBits(this.#scratchBits[0]!, this.#scratchBits[1]!);
  }

  /** Writes field tag + length + UTF-8 bytes. */
  stringField(fieldNo: number, s: string): void {
    this.tag(fieldNo, WIRE_LEN);
    const n = s.length;
    this.#ensure(5 + n * 3);
    const buf = this.#buf;
    const lenAt = this.#pos;
    let p = lenAt + 1;
    let i = 0;
    if (n < 128) {
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
    }
    if (i === n && n < 128) {
      buf[lenAt] = n;
      this.#pos = p;
      return;
    }
    const bytes = buf.write(s, lenAt + 1, 'utf8');
    this.#pos = lenAt + 1 + bytes;
    this.#fixLength(lenAt, bytes);
  }

  bytesField(fieldNo: number, data: Uint8Array): void {
    this.tag(fieldNo, WIRE_LEN);
    this.uint32(data.length);
    this.#ensure(data.length);
    this.#buf.set(data, this.#pos);
    this.#pos += data.length;
  }

  /** Starts a nested message under fieldNo; returns the token for join(). */
  fork(fieldNo: number): number {
    this.tag(fieldNo, WIRE_LEN);
    this.#ensure(1);
    return this.#pos++;
  }

  /** Ends the nested message started by fork(). */
  join(lenAt: number): void {
    this.#fixLength(lenAt, this.#pos - lenAt - 1);
  }

  #fixLength(lenAt: number, len: number): void {
    if (len < 0x80) {
      this.#buf[lenAt] = len;
      return;
    }
    let extra = 0;
    for (let v = len >>> 7; v > 0; v >>>= 7) extra++;
    this.#ensure(extra);
    const buf = this.#buf;
    buf.copyWithin(lenAt + 1 + extra, lenAt + 1, this.#pos);
    let v = len;
    let p = lenAt;
    while (v >= 0x80) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p] = v;
    this.#pos += extra;
  }

  /** The encoded bytes (a fresh, exactly sized copy). */
  finish(): Uint8Array {
    const out = new Uint8Array(this.#pos);
    out.set(this.#buf.subarray(0, this.#pos));
    return out;
  }
}

export { WIRE_I64, WIRE_LEN, WIRE_VARINT };
