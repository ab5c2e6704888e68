/**
 * Minimal remote-write 1.0 `WriteRequest` encoder for the load generator.
 *
 * The load generator sends the same series every round with a new timestamp and value,
 * so instead of encoding each request from scratch we build a `WriteRequestTemplate`
 * once per batch of series (labels encoded a single time) and then patch the 8-byte value
 * and the timestamp varint in place for every round. Only the per-round snappy
 * compression allocates. Wire layout: see ../../../shared/spec/remote-write.md section 5
 * and ./README.md.
 */

/** One label pair; a series is an array of these sorted by name (remote write requires it). */
export interface LabelPair {
  readonly name: string;
  readonly value: string;
}

const TEXT = new TextEncoder();

/** Number of bytes the unsigned LEB128 varint of `n` takes (n ≥ 0, n < 2^53). */
export function varintLength(n: number): number {
  let len = 1;
  // Division instead of >>> because timestamps exceed 32 bits.
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** Writes the unsigned varint of `n` (n ≥ 0, n < 2^53) at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Encodes the repeated `TimeSeries.labels` fields (tag 0x0a each) of one series. */
export function encodeLabelFields(labels: readonly LabelPair[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const { name, value } of labels) {
    const n = TEXT.encode(name);
    const v = TEXT.encode(value);
    const inner = 1 + varintLength(n.length) + n.length + 1 + varintLength(v.length) + v.length;
    const field = new Uint8Array(1 + varintLength(inner) + inner);
    let p = 0;
    field[p++] = 0x0a; // TimeSeries.labels
    p = writeVarint(field, p, inner);
    field[p++] = 0x0a; // Label.name
    p = writeVarint(field, p, n.length);
    field.set(n, p);
    p += n.length;
    field[p++] = 0x12; // Label.value
    p = writeVarint(field, p, v.length);
    field.set(v, p);
    parts.push(field);
    total += field.length;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const part of parts) {
    out.set(part, off);
    off += part.length;
  }
  return out;
}

/**
 * A pre-encoded `WriteRequest` holding one sample per series, for a fixed list of series.
 * `encode()` rewrites only the sample values and timestamps and returns a view of the
 * internal buffer: the view is valid until the next `encode()` call (callers compress or
 * copy it before that).
 */
export class WriteRequestTemplate {
  readonly seriesCount: number;
  #buf: Uint8Array;
  #view: DataView;
  /** Byte offset of each series' 8-byte little-endian double (the timestamp varint follows the next tag byte). */
  #valueOffsets: Uint32Array;
  /**
   * Encoded label fields of all series back to back (series i is bytes labelEnds[i-1]..labelEnds[i]),
   * kept to rebuild when the timestamp varint length changes. One buffer, not one per series.
   */
  #labelBlob: Uint8Array;
  #labelEnds: Uint32Array;
  #timestampLength = -1;

  constructor(series: readonly (readonly LabelPair[])[]) {
    this.seriesCount = series.length;
    const fields = series.map((labels) => encodeLabelFields(labels));
    this.#labelEnds = new Uint32Array(series.length);
    let total = 0;
    fields.forEach((f, i) => (this.#labelEnds[i] = total += f.length));
    this.#labelBlob = new Uint8Array(total);
    fields.forEach((f, i) => this.#labelBlob.set(f, i === 0 ? 0 : this.#labelEnds[i - 1]!));
    this.#valueOffsets = new Uint32Array(series.length);
    this.#buf = new Uint8Array(0);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Size in bytes of the last encoded request. */
  get byteLength(): number {
    return this.#buf.length;
  }

  /**
   * Fills in one sample per series at `timestampMs` (integer ms ≥ 0), with `values[i]` for
   * series i, and returns the encoded `WriteRequest` (a view of the internal buffer).
   */
  encode(timestampMs: number, values: ArrayLike<number>): Uint8Array {
    if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) {
      throw new RangeError(`Invalid timestamp: "${timestampMs}" is not a non-negative integer of milliseconds`);
    }
    if (values.length < this.seriesCount) {
      throw new RangeError(`Too few values: got ${values.length} for ${this.seriesCount} series`);
    }
    const tsLen = varintLength(timestampMs);
    if (tsLen !== this.#timestampLength) this.#layout(tsLen);
    const buf = this.#buf;
    const view = this.#view;
    const offsets = this.#valueOffsets;
    for (let i = 0; i < offsets.length; i++) {
      const off = offsets[i]!;
      view.setFloat64(off, values[i]!, true);
      writeVarint(buf, off + 9, timestampMs);
    }
    return buf;
  }

  /** Lays out the whole message for timestamps whose varint takes `tsLen` bytes. */
  #layout(tsLen: number): void {
    const sampleLen = 1 + 8 + 1 + tsLen; // 0x09 double, 0x10 varint
    const sampleField = 1 + varintLength(sampleLen) + sampleLen;
    const ends = this.#labelEnds;
    let total = 0;
    for (let i = 0; i < ends.length; i++) {
      const body = ends[i]! - (i === 0 ? 0 : ends[i - 1]!) + sampleField;
      total += 1 + varintLength(body) + body;
    }
    const buf = new Uint8Array(total);
    let p = 0;
    for (let i = 0; i < ends.length; i++) {
      const lf = this.#labelBlob.subarray(i === 0 ? 0 : ends[i - 1]!, ends[i]!);
      buf[p++] = 0x0a; // WriteRequest.timeseries
      p = writeVarint(buf, p, lf.length + sampleField);
      buf.set(lf, p);
      p += lf.length;
      buf[p++] = 0x12; // TimeSeries.samples
      p = writeVarint(buf, p, sampleLen);
      buf[p++] = 0x09; // Sample.value (double)
      this.#valueOffsets[i] = p;
      p += 8;
      buf[p++] = 0x10; // Sample.timestamp (varint)
      p += tsLen;
    }
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#timestampLength = tsLen;
  }
}
