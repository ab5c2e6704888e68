/**
 * "Packed" chunk encoding for long-term storage (format: FORMAT.md, "Packed chunk format").
 * Values that are short decimals (counters, gauges with a few decimals, integers) become
 * integers m = v·10^e; timestamps and those integers are stored as zigzagged deltas or
 * delta-of-deltas, bit-packed in blocks of BLOCK with one width per block and "patches"
 * for the few outliers of a block (a rare jump must not widen the whole block). Anything
 * that is not such a decimal (NaN payloads, ±Inf, -0, long fractions) is an exception
 * kept as its raw 64 bits, so every float64 round-trips bit-exactly.
 *
 * All integer arithmetic is done in doubles kept below 2^53 (exact), no BigInt; the
 * decoder unpacks one block at a time into small scratch columns.
 */

/** Format byte written first; a decoder refuses any other. */
export const PACKED_VERSION = 1;
/** Samples per bit-packed block (patch indexes are one byte, so ≤ 256). */
const BLOCK = 64;
/** Largest sample count accepted by the encoder and by the header check. */
const MAX_SAMPLES = 1_000_000;
/** Decimal exponents 0..MAX_EXP; every 10^e up to 10^22 is an exact double. */
const MAX_EXP = 22;
const POW10: readonly number[] = Array.from({ length: MAX_EXP + 1 }, (_, e) => Number(`1e${e}`));
/** Scaled integers stay below this so deltas and delta-of-deltas (zigzagged) stay below 2^53. */
const M_LIMIT = 2 ** 50;
/** Timestamps with |t| below this use delta-of-deltas; others fall back to absolute varints. */
const T_LIMIT = 2 ** 50;
const MAX_WIDTH = 53;
const TWO24 = 16777216;
const TWO32 = 4294967296;
const TWO48 = 281474976710656;

const TS_REGULAR = 0; // every delta equals the header's first delta: no blocks
const TS_DOD = 1; // blocks of zigzagged delta-of-deltas
const TS_ABSOLUTE = 2; // blocks of signed varint absolute timestamps
const TS_STEP = 3; // blocks of zigzagged (delta - step)
const TS_GRID = 4; // blocks of zigzagged (t_i - (t_0 + i·step))

const V_LINEAR = 0; // m_i = m_0 + i·d1 (constant when d1 = 0): no blocks
const V_DELTA = 1; // blocks of zigzagged deltas of m
const V_DOD = 2; // blocks of zigzagged delta-of-deltas of m (first delta in the header)
const V_RAW = 3; // blocks of raw 64-bit values, little-endian
const V_RISE = 4; // blocks of deltas of m, all ≥ 0 (counters), not zigzagged: one bit less per sample

// Scratch columns for one block each. Not state: every use fills then reads them synchronously.
const TSB = new Float64Array(BLOCK);
const VSB = new Float64Array(BLOCK);
const HIST = new Int32Array(MAX_WIDTH + 1);

function zigzag(x: number): number {
  return x >= 0 ? x * 2 : -x * 2 - 1;
}

function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** Bits needed for a non-negative integer < 2^54. */
function bitLength(v: number): number {
  if (v < TWO32) return 32 - Math.clz32(v);
  return 64 - Math.clz32(Math.floor(v / TWO32));
}

function uvarintLen(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Growable output buffer. */
class ByteWriter {
  buf: Uint8Array;
  len = 0;
  #acc = 0;
  #nacc = 0;
  constructor(cap: number) {
    this.buf = new Uint8Array(Math.max(64, cap));
  }
  ensure(k: number): void {
    if (this.len + k <= this.buf.length) return;
    const nb = new Uint8Array(Math.max(this.buf.length * 2, this.len + k + 64));
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  uvarint(v: number): void {
    this.ensure(10);
    while (v >= 128) {
      this.buf[this.len++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
  }
  /**
   * Signed varint for any safe integer: the first byte holds the sign (bit 6) and the low 6
   * magnitude bits, later bytes 7 bits each. Zigzag would not be exact near ±2^53.
   */
  svarint(v: number): void {
    this.ensure(10);
    let a = Math.abs(v);
    const sign = v < 0 ? 0x40 : 0;
    const low = a % 64;
    a = (a - low) / 64;
    this.buf[this.len++] = low | sign | (a > 0 ? 0x80 : 0);
    while (a > 0) {
      const b = a % 128;
      a = (a - b) / 128;
      this.buf[this.len++] = b | (a > 0 ? 0x80 : 0);
    }
  }
  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    b[this.len] = v & 0xff;
    b[this.len + 1] = (v >>> 8) & 0xff;
    b[this.len + 2] = (v >>> 16) & 0xff;
    b[this.len + 3] = v >>> 24;
    this.len += 4;
  }
  /** Appends the low k (≤ 24) bits of v, least significant bit first. */
  bits(v: number, k: number): void {
    this.#acc |= v << this.#nacc;
    this.#nacc += k;
    while (this.#nacc >= 8) {
      this.buf[this.len++] = this.#acc & 0xff;
      this.#acc >>>= 8;
      this.#nacc -= 8;
    }
  }
  /** Pads the bit accumulator to a byte boundary. */
  flushBits(): void {
    if (this.#nacc > 0) this.buf[this.len++] = this.#acc & 0xff;
    this.#acc = 0;
    this.#nacc = 0;
  }
}

/** Best width and byte cost of one block of non-negative integers (width + patches for larger values). */
function planBlock(vals: Float64Array, start: number, cnt: number): { width: number; cost: number; maxBits: number } {
  HIST.fill(0);
  let maxBits = 0;
  for (let j = 0; j < cnt; j++) {
    const b = bitLength(vals[start + j]!);
    HIST[b]!++;
    if (b > maxBits) maxBits = b;
  }
  let best = 1 + Math.ceil((cnt * maxBits) / 8);
  let bestW = maxBits;
  // Below maxBits, values wider than w become patches: index byte + varint of the high bits.
  let patched = 0;
  for (let w = maxBits - 1; w >= 0; w--) {
    let patchBytes = 0;
    patched += HIST[w + 1]!;
    for (let b = w + 1; b <= maxBits; b++) {
      const c = HIST[b]!;
      if (c !== 0) patchBytes += c * (1 + Math.ceil((b - w) / 7));
    }
    const cost = 2 + Math.ceil((cnt * w) / 8) + patchBytes;
    if (cost < best) {
      best = cost;
      bestW = w;
    }
    if (patched === cnt) break; // every value is a patch: narrower widths only cost more
  }
  return { width: bestW, cost: best, maxBits };
}

function streamCost(vals: Float64Array, count: number): number {
  let c = 0;
  for (let s = 0; s < count; s += BLOCK) c += planBlock(vals, s, Math.min(BLOCK, count - s)).cost;
  return c;
}

/** Header byte: width in bits 0..5, bit 7 = a patch count byte follows; then packed bits; then patches. */
function writeBlock(w: ByteWriter, vals: Float64Array, start: number, cnt: number): void {
  const { width, maxBits } = planBlock(vals, start, cnt);
  const pw = 2 ** width;
  let patches = 0;
  if (width < maxBits) for (let j = 0; j < cnt; j++) if (vals[start + j]! >= pw) patches++;
  w.ensure(2 + Math.ceil((cnt * width) / 8) + patches * 9 + 8);
  w.byte(width | (patches > 0 ? 0x80 : 0));
  if (patches > 0) w.byte(patches);
  if (width > 0) {
    for (let j = 0; j < cnt; j++) {
      let v = vals[start + j]!;
      if (v >= pw) v = v % pw;
      if (width <= 24) w.bits(v, width);
      else {
        const lo = v % TWO24;
        let hi = (v - lo) / TWO24;
        w.bits(lo, 24);
        if (width <= 48) w.bits(hi, width - 24);
        else {
          const mid = hi % TWO24;
          hi = (hi - mid) / TWO24;
          w.bits(mid, 24);
          w.bits(hi, width - 48);
        }
      }
    }
    w.flushBits();
  }
  if (patches > 0) {
    for (let j = 0; j < cnt; j++) {
      const v = vals[start + j]!;
      if (v < pw) continue;
      w.byte(j);
      w.uvarint(Math.floor(v / pw));
    }
  }
}

/** Smallest e with v = round(v·10^e) / 10^e bit-exactly and |m| < 2^50, or -1 (exception). */
function minExponent(v: number): number {
  if (v !== v || v === Infinity || v === -Infinity) return -1;
  if (v === 0) return 1 / v > 0 ? 0 : -1;
  for (let e = 0; e <= MAX_EXP; e++) {
    const p = POW10[e]!;
    const m = Math.round(v * p);
    if (Math.abs(m) >= M_LIMIT) return -1;
    if (m / p === v) return e;
  }
  return -1;
}

interface ValuePlan {
  mode: number;
  e: number;
  cost: number;
}

/**
 * Fills m (scaled integers, exceptions as a repeat of the previous m) and exc (1 = exception)
 * for exponent e; returns the exception section's byte cost.
 */
function scaleValues(vs: Float64Array, bits: Uint32Array, exps: Int8Array, e: number, m: Float64Array, exc: Uint8Array): number {
  const n = vs.length;
  const p = POW10[e]!;
  let prev = NaN;
  let excCost = 0;
  let lastExc = -1;
  let lastLo = 0;
  let lastHi = 0;
  let haveLast = false;
  for (let i = 0; i < n; i++) {
    const v = vs[i]!;
    const ei = exps[i]!;
    let ok = ei >= 0 && ei <= e;
    let mi = 0;
    if (ok) {
      mi = Math.round(v * p);
      ok = ei === e || (Math.abs(mi) < M_LIMIT && mi / p === v);
    }
    if (ok) {
      m[i] = mi;
      exc[i] = 0;
      if (prev !== prev) for (let k = 0; k < i; k++) m[k] = mi; // leading exceptions repeat the first m
      prev = mi;
    } else {
      m[i] = prev !== prev ? 0 : prev;
      exc[i] = 1;
      const lo = bits[2 * i]!;
      const hi = bits[2 * i + 1]!;
      const same = haveLast && lo === lastLo && hi === lastHi;
      excCost += uvarintLen((i - lastExc - 1) * 2 + (same ? 1 : 0)) + (same ? 0 : 8);
      lastExc = i;
      lastLo = lo;
      lastHi = hi;
      haveLast = true;
    }
  }
  return excCost;
}

/** Zigzagged deltas (for i ≥ 1, at index i-1) of m into out. */
function deltas(m: Float64Array, n: number, out: Float64Array): void {
  for (let i = 1; i < n; i++) out[i - 1] = zigzag(m[i]! - m[i - 1]!);
}

/** Plain deltas of m into out if none is negative (returns false otherwise). */
function risingDeltas(m: Float64Array, n: number, out: Float64Array): boolean {
  for (let i = 1; i < n; i++) {
    const d = m[i]! - m[i - 1]!;
    if (d < 0) return false;
    out[i - 1] = d;
  }
  return true;
}

/** Median of the deltas of strictly increasing timestamps (n ≥ 2). */
function medianDelta(ts: ArrayLike<number>, n: number): number {
  const d = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) d[i - 1] = ts[i]! - ts[i - 1]!;
  d.sort();
  return d[(n - 1) >> 1]!;
}

/**
 * Zigzagged differences against a fixed step (TS_STEP: d_i - step) or a fixed grid
 * (TS_GRID: t_i - (t0 + i·step)) into out; false unless the decoder's own arithmetic
 * reproduces every timestamp exactly (keeps doubles exact for odd inputs).
 */
function stepStream(ts: ArrayLike<number>, n: number, step: number, mode: number, out: Float64Array): boolean {
  const t0 = ts[0]!;
  let t = t0;
  for (let i = 1; i < n; i++) {
    const x = mode === TS_STEP ? ts[i]! - ts[i - 1]! - step : ts[i]! - (t0 + i * step);
    if (Math.abs(x) >= 2 ** 52) return false;
    const z = zigzag(x);
    const back = unzigzag(z);
    t = mode === TS_STEP ? t + (step + back) : t0 + i * step + back;
    if (t !== ts[i]) return false;
    out[i - 1] = z;
  }
  return true;
}

/** Zigzagged delta-of-deltas (for i ≥ 1, at index i-1; the one for i = 1 is 0 against the header's first delta). */
function dods(m: ArrayLike<number>, n: number, out: Float64Array): void {
  if (n < 2) return;
  let pd = m[1]! - m[0]!;
  out[0] = 0;
  for (let i = 2; i < n; i++) {
    const d = m[i]! - m[i - 1]!;
    out[i - 1] = zigzag(d - pd);
    pd = d;
  }
}

function allZero(a: Float64Array, count: number): boolean {
  for (let i = 0; i < count; i++) if (a[i] !== 0) return false;
  return true;
}

/**
 * Encodes strictly increasing safe-integer ms timestamps ts[i] with values vs[i] (same length,
 * 1..1_000_000 samples). Always succeeds; round trip is bit-exact for every float64.
 */
export function encodePackedChunk(ts: ArrayLike<number>, vs: Float64Array): Uint8Array {
  const n = vs.length;
  if (ts.length !== n) throw new RangeError(`Invalid packed chunk input: ${ts.length} timestamps but ${n} values`);
  if (n < 1 || n > MAX_SAMPLES) throw new RangeError(`Invalid packed chunk input: ${n} samples, want 1..${MAX_SAMPLES}`);
  const bits = new Uint32Array(vs.buffer, vs.byteOffset, n * 2);
  const w = new ByteWriter(64 + n * 2);
  w.byte(PACKED_VERSION);
  w.uvarint(n);

  // Timestamps.
  let tMode = TS_REGULAR;
  for (let i = 0; i < n; i++) {
    const t = ts[i]!;
    if (!Number.isSafeInteger(t)) throw new RangeError(`Invalid packed chunk input: timestamp "${t}" at sample ${i} is not a safe integer`);
    if (Math.abs(t) >= T_LIMIT) tMode = TS_ABSOLUTE;
  }
  const tStream = new Float64Array(Math.max(1, n - 1));
  const t0 = ts[0]!;
  let tStep = n > 1 ? ts[1]! - t0 : 0;
  if (tMode !== TS_ABSOLUTE && n > 1) {
    dods(ts, n, tStream);
    if (allZero(tStream, n - 1)) tMode = TS_REGULAR;
    else {
      // Scrape jitter: one late scrape costs two delta-of-deltas, but one entry against a
      // fixed step (a late scrape that shifts the schedule) or a fixed grid (it does not).
      tMode = TS_DOD;
      let best = streamCost(tStream, n - 1);
      const step = medianDelta(ts, n);
      const alt = new Float64Array(n - 1);
      for (const mode of [TS_STEP, TS_GRID]) {
        if (!stepStream(ts, n, step, mode, alt)) continue;
        const cost = streamCost(alt, n - 1);
        if (cost < best) {
          best = cost;
          tMode = mode;
          tStep = step;
          tStream.set(alt);
        }
      }
    }
  }
  w.byte(tMode);
  w.svarint(t0);
  if (tMode !== TS_ABSOLUTE && n > 1) w.uvarint(zigzag(tStep));
  if (tMode === TS_ABSOLUTE) for (let i = 1; i < n; i++) tStream[i - 1] = ts[i]!;

  // Values: try each decimal exponent some value needs, keep the cheapest mode.
  const exps = new Int8Array(n);
  const seen = new Uint8Array(MAX_EXP + 1);
  let pv = NaN;
  let pe = -1;
  for (let i = 0; i < n; i++) {
    const v = vs[i]!;
    const e = v === pv && v !== 0 ? pe : minExponent(v); // 0 === -0, but -0 is an exception
    exps[i] = e;
    if (e >= 0) seen[e] = 1;
    pv = v;
    pe = e;
  }
  const m = new Float64Array(n);
  const exc = new Uint8Array(n);
  const s1 = new Float64Array(Math.max(1, n - 1));
  let best: ValuePlan = { mode: V_RAW, e: 0, cost: n * 8 };
  for (let e = 0; e <= MAX_EXP; e++) {
    if (seen[e] === 0) continue;
    const excCost = scaleValues(vs, bits, exps, e, m, exc);
    const head = 1 + uvarintLen(zigzag(m[0]!)) + excCost;
    if (head >= best.cost) continue;
    dods(m, n, s1);
    const md1 = n > 1 ? uvarintLen(zigzag(m[1]! - m[0]!)) : 1;
    if (allZero(s1, n - 1)) {
      if (head + md1 < best.cost) best = { mode: V_LINEAR, e, cost: head + md1 };
      continue;
    }
    const dodCost = head + md1 + streamCost(s1, n - 1);
    if (dodCost < best.cost) best = { mode: V_DOD, e, cost: dodCost };
    deltas(m, n, s1);
    const deltaCost = head + streamCost(s1, n - 1);
    if (deltaCost < best.cost) best = { mode: V_DELTA, e, cost: deltaCost };
    if (risingDeltas(m, n, s1)) {
      const riseCost = head + streamCost(s1, n - 1);
      if (riseCost < best.cost) best = { mode: V_RISE, e, cost: riseCost };
    }
  }
  w.byte(best.mode);
  if (best.mode === V_RAW) {
    w.u32(bits[0]!);
    w.u32(bits[1]!);
  } else {
    scaleValues(vs, bits, exps, best.e, m, exc);
    w.byte(best.e);
    w.uvarint(zigzag(m[0]!));
    if (best.mode === V_LINEAR || best.mode === V_DOD) w.uvarint(zigzag(n > 1 ? m[1]! - m[0]! : 0));
    let k = 0;
    for (let i = 0; i < n; i++) k += exc[i]!;
    w.uvarint(k);
    let lastExc = -1;
    let lastLo = 0;
    let lastHi = 0;
    for (let i = 0; i < n; i++) {
      if (exc[i] === 0) continue;
      const lo = bits[2 * i]!;
      const hi = bits[2 * i + 1]!;
      const same = lastExc >= 0 && lo === lastLo && hi === lastHi;
      w.uvarint((i - lastExc - 1) * 2 + (same ? 1 : 0));
      if (!same) {
        w.u32(lo);
        w.u32(hi);
      }
      lastExc = i;
      lastLo = lo;
      lastHi = hi;
    }
    if (best.mode === V_DELTA) deltas(m, n, s1);
    else if (best.mode === V_DOD) dods(m, n, s1);
    else if (best.mode === V_RISE) risingDeltas(m, n, s1);
  }

  // Blocks for samples 1..n-1, timestamps and values interleaved so one cursor reads both.
  for (let s = 0; s < n - 1; s += BLOCK) {
    const cnt = Math.min(BLOCK, n - 1 - s);
    if (tMode === TS_DOD || tMode === TS_STEP || tMode === TS_GRID) writeBlock(w, tStream, s, cnt);
    else if (tMode === TS_ABSOLUTE) for (let j = 0; j < cnt; j++) w.svarint(tStream[s + j]!);
    if (best.mode === V_DELTA || best.mode === V_DOD || best.mode === V_RISE) writeBlock(w, s1, s, cnt);
    else if (best.mode === V_RAW) {
      for (let j = 1; j <= cnt; j++) {
        w.u32(bits[2 * (s + j)]!);
        w.u32(bits[2 * (s + j) + 1]!);
      }
    }
  }
  return w.buf.slice(0, w.len);
}

// ---------------------------------------------------------------------------------------------
// Decoding

/**
 * Walks a chunk's exception list (validated by the caller): `next` is the sample index of
 * the next exception (`n` when none is left), `val` the byte offset of its raw value. A
 * class rather than a closure: the decoder runs once per chunk, thousands of times a query.
 */
class ExceptionCursor {
  next = 0;
  val = -1;
  #c: Cursor;
  #left: number;
  #n: number;
  #lastIdx = -1;
  constructor(buf: Uint8Array, pos: number, count: number, n: number) {
    this.#c = new Cursor(buf, pos);
    this.#left = count;
    this.#n = n;
    this.advance();
  }
  advance(): void {
    if (this.#left === 0) {
      this.next = this.#n;
      return;
    }
    this.#left--;
    const g = this.#c.uvarint();
    this.#lastIdx += Math.floor(g / 2) + 1;
    this.next = this.#lastIdx;
    if (g % 2 === 0) {
      this.val = this.#c.pos;
      this.#c.pos += 8;
    }
  }
}

class Cursor {
  pos: number;
  readonly buf: Uint8Array;
  constructor(buf: Uint8Array, pos: number) {
    this.buf = buf;
    this.pos = pos;
  }
  byte(): number {
    if (this.pos >= this.buf.length) throw new RangeError(`Invalid packed chunk: truncated at byte ${this.pos}`);
    return this.buf[this.pos++]!;
  }
  /** Unsigned varint up to 2^56 (8 bytes), read into a double. */
  uvarint(): number {
    const buf = this.buf;
    let x = 0;
    let mul = 1;
    for (let k = 0; k < 8; k++) {
      if (this.pos >= buf.length) throw new RangeError(`Invalid packed chunk: truncated varint at byte ${this.pos}`);
      const b = buf[this.pos++]!;
      x += (b & 0x7f) * mul;
      if (b < 0x80) return x;
      mul *= 128;
    }
    throw new RangeError(`Invalid packed chunk: varint longer than 8 bytes at byte ${this.pos}`);
  }
  /** The signed varint ByteWriter.svarint writes (at most 8 bytes). */
  svarint(): number {
    const b0 = this.byte();
    let x = b0 & 0x3f;
    let mul = 64;
    let b = b0;
    for (let k = 1; b >= 0x80; k++) {
      if (k === 8) throw new RangeError(`Invalid packed chunk: signed varint longer than 8 bytes at byte ${this.pos}`);
      b = this.byte();
      x += (b & 0x7f) * mul;
      mul *= 128;
    }
    return (b0 & 0x40) !== 0 ? -x : x;
  }
  need(k: number): void {
    if (this.pos + k > this.buf.length) throw new RangeError(`Invalid packed chunk: truncated at byte ${this.pos}, want ${k} more bytes`);
  }
}

/** Reads k ≤ 25 bits at bit offset bp (least significant first); bytes past the end read as 0. */
function bitsAt(buf: Uint8Array, bp: number, k: number): number {
  const i = bp >>> 3;
  const w = (buf[i]! | 0) | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
  return (w >>> (bp & 7)) & ((1 << k) - 1);
}

/** Reads one block of cnt integers into out, undoing the zigzag mapping unless `unsigned`. */
function readBlock(c: Cursor, cnt: number, out: Float64Array, unsigned: boolean): void {
  const h = c.byte();
  const width = h & 0x3f;
  if (width > MAX_WIDTH || (h & 0x40) !== 0) throw new RangeError(`Invalid packed chunk: block width byte ${h} at byte ${c.pos - 1}`);
  const patches = (h & 0x80) !== 0 ? c.byte() : 0;
  if (patches > cnt) throw new RangeError(`Invalid packed chunk: ${patches} patches in a block of ${cnt} at byte ${c.pos - 1}`);
  const buf = c.buf;
  const nbytes = Math.ceil((cnt * width) / 8);
  c.need(nbytes);
  let bp = c.pos * 8;
  c.pos += nbytes;
  if (patches === 0) {
    if (width === 0) {
      out.fill(0, 0, cnt);
    } else if (unsigned) {
      if (width <= 25) for (let j = 0; j < cnt; j++, bp += width) out[j] = bitsAt(buf, bp, width);
      else for (let j = 0; j < cnt; j++, bp += width) out[j] = wideAt(buf, bp, width);
    } else if (width <= 25) {
      for (let j = 0; j < cnt; j++, bp += width) {
        const z = bitsAt(buf, bp, width);
        out[j] = (z >>> 1) ^ -(z & 1);
      }
    } else {
      for (let j = 0; j < cnt; j++, bp += width) out[j] = unzigzag(wideAt(buf, bp, width));
    }
    return;
  }
  if (width === 0) out.fill(0, 0, cnt);
  else if (width <= 25) for (let j = 0; j < cnt; j++, bp += width) out[j] = bitsAt(buf, bp, width);
  else for (let j = 0; j < cnt; j++, bp += width) out[j] = wideAt(buf, bp, width);
  const pw = 2 ** width;
  for (let k = 0; k < patches; k++) {
    const j = c.byte();
    if (j >= cnt) throw new RangeError(`Invalid packed chunk: patch index ${j} in a block of ${cnt} at byte ${c.pos - 1}`);
    out[j] = out[j]! + c.uvarint() * pw;
  }
  if (!unsigned) for (let j = 0; j < cnt; j++) out[j] = unzigzag(out[j]!);
}

function wideAt(buf: Uint8Array, bp: number, width: number): number {
  const lo = bitsAt(buf, bp, 24);
  if (width <= 48) return lo + bitsAt(buf, bp + 24, width - 24) * TWO24;
  return lo + bitsAt(buf, bp + 24, 24) * TWO24 + bitsAt(buf, bp + 48, width - 48) * TWO48;
}

function u32At(buf: Uint8Array, p: number): number {
  return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
}

/** Reads version and sample count; returns the count and the cursor after it. */
function readHeader(bytes: Uint8Array): Cursor {
  const c = new Cursor(bytes, 0);
  const v = c.byte();
  if (v !== PACKED_VERSION) throw new RangeError(`Invalid packed chunk: version ${v}, want ${PACKED_VERSION}`);
  return c;
}

function readCount(c: Cursor): number {
  const n = c.uvarint();
  if (n < 1 || n > MAX_SAMPLES) throw new RangeError(`Invalid packed chunk: sample count ${n}, want 1..${MAX_SAMPLES}`);
  return n;
}

/** Sample count from the header (cheap, no decode). Throws RangeError on a malformed header. */
export function packedSampleCount(bytes: Uint8Array): number {
  return readCount(readHeader(bytes));
}

/**
 * Writes the samples with minT ≤ t ≤ maxT into ts/vs from `offset` on and returns how many
 * it wrote; stops at the first sample after maxT. The caller sizes the columns with
 * packedSampleCount. Throws RangeError on truncated or corrupt input.
 */
export function decodePackedRange(bytes: Uint8Array, ts: Float64Array, vs: Float64Array, offset: number, minT: number, maxT: number): number {
  const c = readHeader(bytes);
  const n = readCount(c);
  const buf = bytes;
  const tMode = c.byte();
  if (tMode > TS_GRID) throw new RangeError(`Invalid packed chunk: timestamp mode ${tMode}`);
  let t = c.svarint();
  const t0 = t;
  let tDelta = tMode !== TS_ABSOLUTE && n > 1 ? unzigzag(c.uvarint()) : 0;
  const vMode = c.byte();
  if (vMode > V_RISE) throw new RangeError(`Invalid packed chunk: value mode ${vMode}`);
  let p = 1;
  let mv = 0;
  let vDelta = 0;
  let excLeft = 0;
  let excNext = n; // index of the next exception (n = none)
  let excPos = 0; // cursor into the exception list
  let excVal = -1; // byte offset of the current exception's raw value
  let raw0 = 0; // byte offset of sample 0's raw value (raw mode)
  if (vMode === V_RAW) {
    c.need(8);
    raw0 = c.pos;
    c.pos += 8;
  } else {
    const e = c.byte();
    if (e > MAX_EXP) throw new RangeError(`Invalid packed chunk: decimal exponent ${e}`);
    p = POW10[e]!;
    mv = unzigzag(c.uvarint());
    if (vMode === V_LINEAR || vMode === V_DOD) vDelta = unzigzag(c.uvarint());
    excLeft = c.uvarint();
    if (excLeft > n) throw new RangeError(`Invalid packed chunk: ${excLeft} exceptions for ${n} samples`);
    // Validate the exception list once and find where the blocks start.
    excPos = c.pos;
    let idx = -1;
    let haveVal = false;
    for (let k = 0; k < excLeft; k++) {
      const g = c.uvarint();
      idx += Math.floor(g / 2) + 1;
      if (idx >= n) throw new RangeError(`Invalid packed chunk: exception index ${idx} for ${n} samples`);
      if (g % 2 === 1) {
        if (!haveVal) throw new RangeError(`Invalid packed chunk: exception ${k} repeats a missing value`);
      } else {
        c.need(8);
        c.pos += 8;
        haveVal = true;
      }
    }
  }
  const blocksStart = c.pos;
  // Exceptions are written through a 32-bit view so NaN payloads stay exact.
  let v32: Uint32Array | undefined;
  const exc = new ExceptionCursor(buf, excPos, excLeft, n);
  excNext = exc.next;
  excVal = exc.val;
  c.pos = blocksStart;

  let o = offset;
  // Sample 0.
  if (t > maxT) return 0;
  if (vMode === V_RAW) {
    if (t >= minT) {
      v32 ??= new Uint32Array(vs.buffer, vs.byteOffset, vs.length * 2);
      ts[o] = t;
      v32[2 * o] = u32At(buf, raw0);
      v32[2 * o + 1] = u32At(buf, raw0 + 4);
      o++;
    }
  } else if (t >= minT) {
    ts[o] = t;
    if (excNext === 0) {
      v32 ??= new Uint32Array(vs.buffer, vs.byteOffset, vs.length * 2);
      v32[2 * o] = u32At(buf, excVal);
      v32[2 * o + 1] = u32At(buf, excVal + 4);
    } else vs[o] = mv / p;
    o++;
  }
  if (excNext === 0) {
    exc.advance();
    excNext = exc.next;
    excVal = exc.val;
  }

  for (let s = 0; s < n - 1; s += BLOCK) {
    const cnt = n - 1 - s < BLOCK ? n - 1 - s : BLOCK;
    if (tMode === TS_DOD || tMode === TS_STEP || tMode === TS_GRID) readBlock(c, cnt, TSB, false);
    else if (tMode === TS_ABSOLUTE) for (let j = 0; j < cnt; j++) TSB[j] = c.svarint();
    let rawPos = 0;
    if (vMode === V_DELTA || vMode === V_DOD) readBlock(c, cnt, VSB, false);
    else if (vMode === V_RISE) readBlock(c, cnt, VSB, true);
    else if (vMode === V_RAW) {
      c.need(cnt * 8);
      rawPos = c.pos;
      c.pos += cnt * 8;
    }
    for (let j = 0; j < cnt; j++) {
      const i = s + j + 1;
      if (tMode === TS_DOD) {
        tDelta += TSB[j]!;
        t += tDelta;
      } else if (tMode === TS_REGULAR) t += tDelta;
      else if (tMode === TS_STEP) t += tDelta + TSB[j]!;
      else if (tMode === TS_GRID) t = t0 + i * tDelta + TSB[j]!;
      else t = TSB[j]!;
      if (vMode === V_DELTA || vMode === V_RISE) mv += VSB[j]!;
      else if (vMode === V_DOD) {
        vDelta += VSB[j]!;
        mv += vDelta;
      } else if (vMode === V_LINEAR) mv += vDelta;
      if (t < minT) {
        if (i === excNext) {
          exc.advance();
          excNext = exc.next;
          excVal = exc.val;
        }
        continue;
      }
      if (t > maxT) return o - offset;
      ts[o] = t;
      if (vMode === V_RAW) {
        v32 ??= new Uint32Array(vs.buffer, vs.byteOffset, vs.length * 2);
        v32[2 * o] = u32At(buf, rawPos + j * 8);
        v32[2 * o + 1] = u32At(buf, rawPos + j * 8 + 4);
      } else if (i === excNext) {
        v32 ??= new Uint32Array(vs.buffer, vs.byteOffset, vs.length * 2);
        v32[2 * o] = u32At(buf, excVal);
        v32[2 * o + 1] = u32At(buf, excVal + 4);
        exc.advance();
        excNext = exc.next;
        excVal = exc.val;
      } else vs[o] = mv / p;
      o++;
    }
  }
  return o - offset;
}
