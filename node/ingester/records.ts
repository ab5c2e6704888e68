/**
 * WAL record and state-key codecs of the ingester (layout in FORMAT.md). Record
 * type numbers are permanent: never renumber or reuse one.
 */
import type { Label, Labels } from '../../query/model/labels.ts';

export const RECORD_SERIES = 1;
export const RECORD_SAMPLES = 2;
export const RECORD_CHUNKS = 3;
export const RECORD_TOMBSTONES = 4;

/** State keyspace prefixes. */
const STATE_SERIES = 0x73; // 's'
const STATE_WATERMARK = 0x77; // 'w'

export const SAMPLE_BYTES = 20;

/** Growable little-endian byte writer. */
export class ByteWriter {
  #buf: Buffer;
  #dv: DataView;
  pos = 0;

  constructor(initial = 256) {
    this.#buf = Buffer.allocUnsafe(initial);
    this.#dv = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.length);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.#buf.copy(next, 0, 0, this.pos);
    this.#buf = next;
    this.#dv = new DataView(next.buffer, next.byteOffset, next.length);
  }

  uvarint(x: number): void {
    this.ensure(10);
    const b = this.#buf;
    while (x >= 0x80) {
      b[this.pos++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    b[this.pos++] = x;
  }

  u8(x: number): void {
    this.ensure(1);
    this.#buf[this.pos++] = x;
  }

  u32(x: number): void {
    this.ensure(4);
    this.#dv.setUint32(this.pos, x, true);
    this.pos += 4;
  }

  f64(x: number): void {
    this.ensure(8);
    this.#dv.setFloat64(this.pos, x, true);
    this.pos += 8;
  }

  /** One sample triple: ref u32, timestamp f64, value f64 (raw bits). */
  sample(ref: number, t: number, v: number): void {
    this.ensure(SAMPLE_BYTES);
    const dv = this.#dv;
    const p = this.pos;
    dv.setUint32(p, ref, true);
    dv.setFloat64(p + 4, t, true);
    dv.setFloat64(p + 12, v, true);
    this.pos = p + SAMPLE_BYTES;
  }

  str(s: string): void {
    const len = s.length;
    if (len < 0x80) {
      // Short ASCII (label names and values, tenants): copy char codes in JS; a native
      // Buffer.write per string costs more than the copy itself. Length fits one varint byte.
      this.ensure(len + 1);
      const b = this.#buf;
      const p = this.pos + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p + i] = c;
      }
      if (i === len) {
        b[p - 1] = len;
        this.pos = p + len;
        return;
      }
    }
    const n = Buffer.byteLength(s);
    this.uvarint(n);
    this.ensure(n);
    this.#buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
  }

  bytes(b: Uint8Array): void {
    this.uvarint(b.length);
    this.ensure(b.length);
    this.#buf.set(b, this.pos);
    this.pos += b.length;
  }

  patchU32(at: number, x: number): void {
    this.#dv.setUint32(at, x, true);
  }

  /** The written bytes (a view: do not reuse this writer afterwards). */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.pos);
  }
}

export class ByteReader {
  readonly buf: Buffer;
  readonly dv: DataView;
  pos = 0;

  constructor(data: Uint8Array) {
    this.buf = Buffer.from(data.buffer, data.byteOffset, data.length);
    this.dv = new DataView(data.buffer, data.byteOffset, data.length);
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  uvarint(): number {
    let x = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw new RangeError(`Truncated varint at offset ${this.pos}`);
      const b = this.buf[this.pos++]!;
      x += (b & 0x7f) * mul;
      if (b < 0x80) return x;
      mul *= 0x80;
    }
  }

  u8(): number {
    if (this.pos >= this.buf.length) throw new RangeError(`Truncated record at offset ${this.pos}`);
    return this.buf[this.pos++]!;
  }

  u32(): number {
    const x = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return x;
  }

  f64(): number {
    const x = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return x;
  }

  str(): string {
    const n = this.uvarint();
    if (this.pos + n > this.buf.length) throw new RangeError(`Truncated string at offset ${this.pos}`);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  bytes(): Uint8Array {
    const n = this.uvarint();
    if (this.pos + n > this.buf.length) throw new RangeError(`Truncated bytes at offset ${this.pos}`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

export function writeLabels(w: ByteWriter, ls: Labels): void {
  w.uvarint(ls.length);
  for (const l of ls) {
    w.str(l.name);
    w.str(l.value);
  }
}

export function readLabels(r: ByteReader): Label[] {
  const n = r.uvarint();
  const out: Label[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const name = r.str();
    out[i] = { name, value: r.str() };
  }
  return out;
}

// ---- Series record: tenant, n, n × (ref, labels)

export function encodeSeriesRecord(tenant: string, series: readonly { ref: number; labels: Labels }[]): Uint8Array {
  const w = new ByteWriter(64 + series.length * 128);
  w.str(tenant);
  w.uvarint(series.length);
  for (const s of series) {
    w.uvarint(s.ref);
    writeLabels(w, s.labels);
  }
  return w.finish();
}

export function decodeSeriesRecord(data: Uint8Array, fn: (tenant: string, ref: number, labels: Label[]) => void): void {
  const r = new ByteReader(data);
  const tenant = r.str();
  const n = r.uvarint();
  for (let i = 0; i < n; i++) {
    const ref = r.uvarint();
    fn(tenant, ref, readLabels(r));
  }
}

// ---- Samples record: tenant, u32 count, count × (u32 ref, f64 t, f64 v)

/** Starts a samples record; call w.sample() per sample, then finishSamplesRecord. */
export function beginSamplesRecord(tenant: string, expected: number): { w: ByteWriter; countAt: number } {
  const w = new ByteWriter(16 + tenant.length * 3 + expected * SAMPLE_BYTES);
  w.str(tenant);
  const countAt = w.pos;
  w.u32(0);
  return { w, countAt };
}

export function finishSamplesRecord(rec: { w: ByteWriter; countAt: number }, count: number): Uint8Array {
  rec.w.patchU32(rec.countAt, count);
  return rec.w.finish();
}

/** Decodes a samples record; `fn` gets each triple (no object per sample). */
export function decodeSamplesRecord(data: Uint8Array, onTenant: (tenant: string) => void, fn: (ref: number, t: number, v: number) => void): void {
  const r = new ByteReader(data);
  onTenant(r.str());
  const n = r.u32();
  if (r.pos + n * SAMPLE_BYTES > data.length) throw new RangeError(`Truncated samples record: ${n} samples need ${n * SAMPLE_BYTES} bytes, have ${data.length - r.pos}`);
  const dv = r.dv;
  let p = r.pos;
  for (let i = 0; i < n; i++) {
    fn(dv.getUint32(p, true), dv.getFloat64(p + 4, true), dv.getFloat64(p + 12, true));
    p += SAMPLE_BYTES;
  }
}

// ---- Chunks record (checkpoints): tenant, n, n × (ref, flags u8, f64 minT, f64 maxT, bytes)

export const CHUNK_FLAG_OPEN = 1;

export interface ChunkEntry {
  ref: number;
  open: boolean;
  minT: number;
  maxT: number;
  bytes: Uint8Array;
}

export function encodeChunksRecord(tenant: string, chunks: readonly ChunkEntry[]): Uint8Array {
  let size = 16 + tenant.length * 3;
  for (const c of chunks) size += 32 + c.bytes.length;
  const w = new ByteWriter(size);
  w.str(tenant);
  w.uvarint(chunks.length);
  for (const c of chunks) {
    w.uvarint(c.ref);
    w.u8(c.open ? CHUNK_FLAG_OPEN : 0);
    w.f64(c.minT);
    w.f64(c.maxT);
    w.bytes(c.bytes);
  }
  return w.finish();
}

/** Decodes a chunks record; chunk bytes are copied so the record buffer can be released. */
export function decodeChunksRecord(data: Uint8Array, fn: (tenant: string, c: ChunkEntry) => void): void {
  const r = new ByteReader(data);
  const tenant = r.str();
  const n = r.uvarint();
  for (let i = 0; i < n; i++) {
    const ref = r.uvarint();
    const flags = r.u8();
    const minT = r.f64();
    const maxT = r.f64();
    const bytes = r.bytes().slice();
    fn(tenant, { ref, open: (flags & CHUNK_FLAG_OPEN) !== 0, minT, maxT, bytes });
  }
}

// ---- Tombstones record: tenant, n, n × ref

export function encodeTombstonesRecord(tenant: string, refs: readonly number[]): Uint8Array {
  const w = new ByteWriter(16 + refs.length * 5);
  w.str(tenant);
  w.uvarint(refs.length);
  for (const r of refs) w.uvarint(r);
  return w.finish();
}

export function decodeTombstonesRecord(data: Uint8Array): { tenant: string; refs: number[] } {
  const r = new ByteReader(data);
  const tenant = r.str();
  const n = r.uvarint();
  const refs: number[] = new Array(n);
  for (let i = 0; i < n; i++) refs[i] = r.uvarint();
  return { tenant, refs };
}

// ---- State keyspace

/**
 * Series are persisted in blocks of STATE_BLOCK_REFS consecutive refs, one state
 * key per block, so creating 1000 series costs ~16 LevelDB puts, not 1000, and a
 * restart reads few large values. Key: 's' tenant 0x00 block(u32 BE).
 */
export const STATE_BLOCK_REFS = 64;

export function seriesBlockKey(tenant: string, block: number): Uint8Array {
  const t = Buffer.from(tenant, 'utf8');
  const k = Buffer.allocUnsafe(t.length + 6);
  k[0] = STATE_SERIES;
  t.copy(k, 1);
  k[t.length + 1] = 0;
  k.writeUInt32BE(block, t.length + 2);
  return k;
}

/** Value of a series block: n, n × (ref, labels). */
export function encodeSeriesBlock(series: readonly { ref: number; labels: Labels }[]): Uint8Array {
  const w = new ByteWriter(16 + series.length * 160);
  w.uvarint(series.length);
  for (const s of series) {
    w.uvarint(s.ref);
    writeLabels(w, s.labels);
  }
  return w.finish();
}

export function decodeSeriesBlock(key: Uint8Array, value: Uint8Array, fn: (tenant: string, ref: number, labels: Label[]) => void): void {
  const k = Buffer.from(key.buffer, key.byteOffset, key.length);
  const tenant = k.toString('utf8', 1, k.length - 5);
  const r = new ByteReader(value);
  const n = r.uvarint();
  for (let i = 0; i < n; i++) {
    const ref = r.uvarint();
    fn(tenant, ref, readLabels(r));
  }
}

export const SERIES_STATE_PREFIX: Uint8Array = Uint8Array.of(STATE_SERIES);
export const WATERMARK_STATE_PREFIX: Uint8Array = Uint8Array.of(STATE_WATERMARK);

/** 'w' tenant → f64 LE: GC cut-off; samples older are never replayed or accepted. */
export function watermarkStateKey(tenant: string): Uint8Array {
  const t = Buffer.from(tenant, 'utf8');
  const k = Buffer.allocUnsafe(t.length + 1);
  k[0] = STATE_WATERMARK;
  t.copy(k, 1);
  return k;
}

export function encodeF64(x: number): Uint8Array {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleLE(x, 0);
  return b;
}

export function decodeWatermark(key: Uint8Array, value: Uint8Array): { tenant: string; cutoff: number } {
  const k = Buffer.from(key.buffer, key.byteOffset, key.length);
  const v = Buffer.from(value.buffer, value.byteOffset, value.length);
  return { tenant: k.toString('utf8', 1), cutoff: v.readDoubleLE(0) };
}
