/**
 * Bit stream over a growable Uint8Array, most-significant bit first within each
 * byte, as Prometheus's chunk encodings expect. Fields are at most 32 bits wide
 * so every operation stays in int32 arithmetic (no BigInt on the hot path).
 */
export class BitWriter {
  #buf: Uint8Array;
  #bits = 0;

  /** @param initialBytes starting capacity; the buffer doubles when full. @default 32 */
  constructor(initialBytes = 32) {
    this.#buf = new Uint8Array(Math.max(1, initialBytes));
  }

  /** Resumes writing after `bitLength` bits of `bytes` (the bits past it must be zero). */
  static resume(bytes: Uint8Array, bitLength: number): BitWriter {
    const w = new BitWriter(Math.max(bytes.length, 1));
    w.#buf.set(bytes);
    w.#bits = bitLength;
    return w;
  }

  get bitLength(): number {
    return this.#bits;
  }

  get byteLength(): number {
    return (this.#bits + 7) >>> 3;
  }

  /** The underlying buffer (capacity may exceed byteLength); used to patch headers in place. */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  #grow(needBits: number): void {
    const needBytes = (needBits + 7) >>> 3;
    let cap = this.#buf.length * 2;
    while (cap < needBytes) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf);
    this.#buf = next;
  }

  writeBit(bit: number): void {
    const pos = this.#bits;
    if ((pos >>> 3) >= this.#buf.length) this.#grow(pos + 1);
    if (bit) this.#buf[pos >>> 3]! |= 0x80 >>> (pos & 7);
    this.#bits = pos + 1;
  }

  /** Writes the low `n` bits of `v` (0 ≤ n ≤ 32), highest first. */
  writeBits(v: number, n: number): void {
    if (n === 0) return;
    let pos = this.#bits;
    const end = pos + n;
    if (((end + 7) >>> 3) > this.#buf.length) this.#grow(end);
    const buf = this.#buf;
    this.#bits = end;
    while (n > 0) {
      const idx = pos >>> 3;
      const free = 8 - (pos & 7);
      if (n >= free) {
        n -= free;
        buf[idx]! |= (v >>> n) & ((1 << free) - 1);
        pos += free;
      } else {
        buf[idx]! |= (v & ((1 << n) - 1)) << (free - n);
        n = 0;
      }
    }
  }

  /** Unsigned LEB128 of a non-negative integer number (exact up to 2^53). */
  writeUvarint(x: number): void {
    while (x >= 0x80) {
      this.writeBits((x % 0x80) | 0x80, 8);
      x = Math.floor(x / 0x80);
    }
    this.writeBits(x, 8);
  }

  /** Zigzag + LEB128 of an integer number (Go's binary.PutVarint). */
  writeVarint(x: number): void {
    this.writeUvarint(x >= 0 ? x * 2 : -x * 2 - 1);
  }

  /** A view of the written bytes (no copy; later writes may change or detach it). */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.byteLength);
  }

  /** An exact-size copy of the written bytes. */
  copy(): Uint8Array {
    return this.#buf.slice(0, this.byteLength);
  }
}

/** Reads what BitWriter wrote. Reading past the end yields zero bits; check `overrun`. */
export class BitReader {
  #buf: Uint8Array;
  #pos: number;

  constructor(buf: Uint8Array, bitOffset = 0) {
    this.#buf = buf;
    this.#pos = bitOffset;
  }

  get position(): number {
    return this.#pos;
  }

  /** True once more bits were read than the buffer holds (corrupt or truncated input). */
  get overrun(): boolean {
    return this.#pos > this.#buf.length * 8;
  }

  readBit(): number {
    const pos = this.#pos++;
    return ((this.#buf[pos >>> 3] ?? 0) >>> (7 - (pos & 7))) & 1;
  }

  /** Reads `n` bits (0 ≤ n ≤ 32) as an unsigned number. */
  readBits(n: number): number {
    let pos = this.#pos;
    this.#pos = pos + n;
    const buf = this.#buf;
    let r = 0;
    while (n > 0) {
      const avail = 8 - (pos & 7);
      const byte = (buf[pos >>> 3] ?? 0) & ((1 << avail) - 1);
      if (n >= avail) {
        r = (r << avail) | byte;
        n -= avail;
        pos += avail;
      } else {
        r = (r << n) | (byte >>> (avail - n));
        n = 0;
      }
    }
    return r >>> 0;
  }

  readUvarint(): number {
    let x = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.readBits(8);
      x += (b & 0x7f) * mul;
      if (b < 0x80) return x;
      mul *= 0x80;
    }
    throw new RangeError(`Invalid varint at bit offset ${this.#pos}: more than 10 bytes`);
  }

  readVarint(): number {
    const z = this.readUvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
}
