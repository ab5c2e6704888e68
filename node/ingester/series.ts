/**
 * One in-memory series: interned labels plus XOR chunks (a head chunk being
 * appended and a list of closed, immutable chunks). No object per sample.
 */
import type { Labels } from '../../query/model/labels.ts';
import { XorChunk, XorIterator, XOR_MAX_BYTES_SOFT } from '../chunk/xor.ts';
import { decodeXorRange } from '../chunk/xor-columns.ts';

/** A closed chunk: exact-size Prometheus XOR bytes plus its time bounds. */
export interface ClosedChunk {
  readonly bytes: Uint8Array;
  readonly minT: number;
  readonly maxT: number;
  readonly count: number;
  /**
   * Clock time (ms) at which the long-term store acknowledged this chunk (node/flush/);
   * undefined while it is held only here and in the WAL/checkpoint.
   */
  flushedAt?: number;
}

export class MemSeries {
  readonly ref: number;
  readonly labels: Labels;
  /** hashLabels(labels): the series table slot, kept to delete the entry on GC. */
  readonly hash: number;
  /** Closed chunks, oldest first (null until the first cut, to save memory). */
  closed: ClosedChunk[] | null = null;
  head: XorChunk | null = null;
  /** End (exclusive) of the chunk window the head chunk started in. */
  headWindowEnd = 0;
  /** Timestamp of the newest sample; -Infinity when empty. */
  lastT = -Infinity;
  /** True once a WAL write carrying this series' record has succeeded (or it was replayed). */
  persisted = false;

  constructor(ref: number, labels: Labels, hash: number) {
    this.ref = ref;
    this.labels = labels;
    this.hash = hash;
  }

  get minTime(): number {
    if (this.closed !== null && this.closed.length > 0) return this.closed[0]!.minT;
    return this.head !== null && this.head.count > 0 ? this.head.minTime : Infinity;
  }

  get maxTime(): number {
    return this.lastT;
  }

  /** True when `v` has the same bits as the newest sample's value. */
  lastValueIs(v: number): boolean {
    if (this.head !== null && this.head.count > 0) return this.head.lastValueIs(v);
    const cl = this.closed;
    if (cl === null || cl.length === 0) return false;
    const it = new XorIterator(cl[cl.length - 1]!.bytes);
    let last = NaN;
    while (it.next()) last = it.v;
    const a = new Float64Array([last, v]);
    const u = new Uint32Array(a.buffer);
    return u[0] === u[2] && u[1] === u[3];
  }

  get empty(): boolean {
    return (this.head === null || this.head.count === 0) && (this.closed === null || this.closed.length === 0);
  }

  /** Appends a sample with t > lastT, cutting a new chunk when the current one is full or t leaves its window. */
  append(t: number, v: number, maxSamples: number, windowMs: number): void {
    let h = this.head;
    if (h === null || h.count >= maxSamples || t >= this.headWindowEnd || h.byteLength >= XOR_MAX_BYTES_SOFT) {
      if (h !== null && h.count > 0) this.#close(h);
      h = new XorChunk(32);
      this.head = h;
      this.headWindowEnd = (Math.floor(t / windowMs) + 1) * windowMs;
    }
    h.append(t, v);
    this.lastT = t;
  }

  #close(h: XorChunk): void {
    const c: ClosedChunk = { bytes: h.copyBytes(), minT: h.minTime, maxT: h.maxTime, count: h.count };
    if (this.closed === null) this.closed = [c];
    else this.closed.push(c);
  }

  /** Closes the head chunk now (flush of an idle or old head); the next append starts a new one. */
  closeHead(): void {
    const h = this.head;
    if (h !== null && h.count > 0) this.#close(h);
    this.head = null;
  }

  /**
   * Drops closed chunks the store acknowledged at or before `flushedBefore` (their
   * samples are served by the store from now on). Returns how many were dropped.
   */
  dropFlushed(flushedBefore: number): number {
    const cl = this.closed;
    if (cl === null) return 0;
    // Most sweeps drop nothing: check before allocating.
    if (!cl.some((c) => c.flushedAt !== undefined && c.flushedAt <= flushedBefore)) return 0;
    const keep = cl.filter((c) => c.flushedAt === undefined || c.flushedAt > flushedBefore);
    const n = cl.length - keep.length;
    if (n > 0) this.closed = keep.length === 0 ? null : keep;
    return n;
  }

  /** Restores a checkpointed chunk (oldest first); `open` marks the head chunk to keep appending to. */
  restoreChunk(bytes: Uint8Array, minT: number, maxT: number, open: boolean, windowMs: number): void {
    if (maxT <= this.lastT) return; // already present (replayed twice)
    if (this.head !== null && this.head.count > 0) this.#close(this.head);
    this.head = null;
    if (open) {
      const h = XorChunk.fromBytes(bytes);
      this.head = h;
      this.headWindowEnd = (Math.floor(h.minTime / windowMs) + 1) * windowMs;
    } else {
      const count = (bytes[0]! << 8) | bytes[1]!;
      const c: ClosedChunk = { bytes, minT, maxT, count };
      if (this.closed === null) this.closed = [c];
      else this.closed.push(c);
    }
    this.lastT = maxT;
  }

  /** Drops closed chunks entirely before `cutoff`; the whole series when even its newest sample is. Returns true if now empty. */
  dropBefore(cutoff: number, keepUnflushed = false): boolean {
    if (keepUnflushed) {
      // Flushing on: only chunks the store acknowledged may go; the rest wait for the flusher.
      const cl = this.closed;
      const gone = (c: ClosedChunk) => c.maxT < cutoff && c.flushedAt !== undefined;
      if (cl !== null && cl.some(gone)) {
        const keep = cl.filter((c) => !gone(c));
        this.closed = keep.length === 0 ? null : keep;
      }
      return this.empty;
    }
    if (this.lastT < cutoff) {
      this.closed = null;
      this.head = null;
      return true;
    }
    const cl = this.closed;
    if (cl !== null) {
      let i = 0;
      while (i < cl.length && cl[i]!.maxT < cutoff) i++;
      if (i > 0) this.closed = i === cl.length ? null : cl.slice(i);
    }
    return false;
  }

  /** Visits chunk bytes overlapping [start, end], oldest first (head chunk bytes are a live view). */
  forEachChunk(start: number, end: number, fn: (bytes: Uint8Array, count: number, minT: number, maxT: number) => void): void {
    if (this.closed !== null) {
      for (const c of this.closed) if (c.maxT >= start && c.minT <= end) fn(c.bytes, c.count, c.minT, c.maxT);
    }
    const h = this.head;
    if (h !== null && h.count > 0 && h.maxTime >= start && h.minTime <= end) fn(h.bytes(), h.count, h.minTime, h.maxTime);
  }

  /** An upper bound of the samples in [start, end]: the counts of the chunks overlapping it. */
  sampleBound(start: number, end: number): number {
    const cl = this.closed;
    const h = this.head;
    let total = h !== null && h.count > 0 && h.maxTime >= start && h.minTime <= end ? h.count : 0;
    if (cl !== null) for (let i = 0; i < cl.length; i++) if (cl[i]!.maxT >= start && cl[i]!.minT <= end) total += cl[i]!.count;
    return total;
  }

  /**
   * Decodes the samples in [start, end] into the columns from `offset` on (room for
   * sampleBound(start, end) needed) and returns how many were written. Hot path of
   * every query: no closures, and the head's byte view is taken once.
   */
  readInto(start: number, end: number, ts: Float64Array, vs: Float64Array, offset: number): number {
    const cl = this.closed;
    let o = offset;
    if (cl !== null) {
      for (let i = 0; i < cl.length; i++) {
        const c = cl[i]!;
        if (c.maxT >= start && c.minT <= end) o += decodeXorRange(c.bytes, ts, vs, o, start, end);
      }
    }
    const h = this.head;
    if (h !== null && h.count > 0 && h.maxTime >= start && h.minTime <= end) o += decodeXorRange(h.bytes(), ts, vs, o, start, end);
    return o - offset;
  }

  /** Samples in [start, end] as columns. */
  read(start: number, end: number): { timestamps: Float64Array; values: Float64Array } {
    const total = this.sampleBound(start, end);
    let ts = new Float64Array(total);
    let vs = new Float64Array(total);
    const o = this.readInto(start, end, ts, vs, 0);
    if (o < total) {
      // Don't pin whole chunks' worth of columns for a narrow range.
      ts = o * 2 < total ? ts.slice(0, o) : ts.subarray(0, o);
      vs = o * 2 < total ? vs.slice(0, o) : vs.subarray(0, o);
    }
    return { timestamps: ts, values: vs };
  }

  /** True when the series has at least one sample in [start, end] (checks exact timestamps of edge chunks). */
  hasSamplesIn(start: number, end: number): boolean {
    if (this.lastT < start || this.minTime > end) return false;
    const cl = this.closed;
    if (cl !== null) {
      for (let i = 0; i < cl.length; i++) {
        const c = cl[i]!;
        if (c.maxT < start || c.minT > end) continue;
        if (c.minT >= start || c.maxT <= end) return true; // an endpoint lies inside the range
        const it = new XorIterator(c.bytes);
        if (it.seek(start) && it.t <= end) return true;
      }
    }
    const h = this.head;
    if (h === null || h.count === 0 || h.maxTime < start || h.minTime > end) return false;
    if (h.minTime >= start || h.maxTime <= end) return true;
    const it = new XorIterator(h.bytes());
    return it.seek(start) && it.t <= end;
  }
}
