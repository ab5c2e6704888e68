/**
 * Native histograms as the engine computes with them: float counts, exponential
 * buckets (schema -4..8) or custom bucket bounds (schema -53).
 *
 * Buckets are kept sparse as parallel arrays of ascending bucket indexes and counts
 * instead of Prometheus's spans + deltas: arithmetic is then a merge of two sorted
 * lists, and spans are only needed at the edges (literals, comparison), where they
 * are derived from the indexes. Empty buckets may be present until compact().
 */

export type CounterResetHint = 'unknown' | 'reset' | 'not_reset' | 'gauge';

export const CUSTOM_BUCKETS_SCHEMA = -53;

/** One bucket as seen by iteration: bounds and count (lower/upper inclusivity follows Prometheus). */
export interface Bucket {
  lower: number;
  upper: number;
  count: number;
  /** Bucket index; undefined for the zero bucket. */
  index?: number;
}

export class HistogramError extends Error {
  override name = 'HistogramError';
}

/** Upper bound of exponential bucket `idx` at `schema`: 2^(idx * 2^-schema). */
export function bucketUpper(idx: number, schema: number): number {
  if (schema <= 0) {
    const exp = idx * 2 ** -schema;
    if (exp >= 1024) return exp === 1024 ? Number.MAX_VALUE : Infinity;
    return 2 ** exp;
  }
  const per = 2 ** schema;
  const q = Math.floor(idx / per);
  const frac = idx - q * per;
  const v = frac === 0 ? 1 : 2 ** (frac / per);
  if (q + 1 > 1023 && v === 1 && q === 1024) return Number.MAX_VALUE;
  return v * 2 ** q;
}

/** Bucket index at targetSchema that bucket idx of originSchema falls into (targetSchema <= originSchema). */
export function targetIndex(idx: number, originSchema: number, targetSchema: number): number {
  const shift = originSchema - targetSchema;
  if (shift <= 0) return idx;
  return Math.floor((idx - 1) / 2 ** shift) + 1;
}

function mergeInto(aIdx: number[], aCnt: number[], bIdx: readonly number[], bCnt: readonly number[], sign: number): { idx: number[]; cnt: number[] } {
  const idx: number[] = [];
  const cnt: number[] = [];
  let i = 0;
  let j = 0;
  while (i < aIdx.length || j < bIdx.length) {
    if (j >= bIdx.length || (i < aIdx.length && aIdx[i]! < bIdx[j]!)) {
      idx.push(aIdx[i]!);
      cnt.push(aCnt[i]!);
      i++;
    } else if (i >= aIdx.length || bIdx[j]! < aIdx[i]!) {
      idx.push(bIdx[j]!);
      cnt.push(sign * bCnt[j]!);
      j++;
    } else {
      idx.push(aIdx[i]!);
      cnt.push(aCnt[i]! + sign * bCnt[j]!);
      i++;
      j++;
    }
  }
  return { idx, cnt };
}

/** Re-buckets (idx, cnt) into coarser buckets given by a mapping function; the mapping must be monotonic. */
function remap(idx: readonly number[], cnt: readonly number[], to: (i: number) => number): { idx: number[]; cnt: number[] } {
  const oi: number[] = [];
  const oc: number[] = [];
  for (let k = 0; k < idx.length; k++) {
    const t = to(idx[k]!);
    if (oi.length > 0 && oi[oi.length - 1] === t) oc[oc.length - 1] += cnt[k]!;
    else {
      oi.push(t);
      oc.push(cnt[k]!);
    }
  }
  return { idx: oi, cnt: oc };
}

export class FloatHistogram {
  schema = 0;
  zeroThreshold = 0;
  zeroCount = 0;
  count = 0;
  sum = 0;
  posIdx: number[] = [];
  posCnt: number[] = [];
  negIdx: number[] = [];
  negCnt: number[] = [];
  /** Upper bounds of schema -53 buckets, without the implicit +Inf. */
  customValues: number[] | undefined;
  hint: CounterResetHint = 'unknown';

  usesCustomBuckets(): boolean {
    return this.schema === CUSTOM_BUCKETS_SCHEMA;
  }

  copy(): FloatHistogram {
    const h = new FloatHistogram();
    h.schema = this.schema;
    h.zeroThreshold = this.zeroThreshold;
    h.zeroCount = this.zeroCount;
    h.count = this.count;
    h.sum = this.sum;
    h.posIdx = this.posIdx.slice();
    h.posCnt = this.posCnt.slice();
    h.negIdx = this.negIdx.slice();
    h.negCnt = this.negCnt.slice();
    h.customValues = this.customValues;
    h.hint = this.hint;
    return h;
  }

  /** Lower and upper bound of positive bucket idx. */
  positiveBounds(idx: number): [number, number] {
    if (this.usesCustomBuckets()) {
      const cv = this.customValues ?? [];
      return [idx === 0 ? -Infinity : cv[idx - 1]!, idx < cv.length ? cv[idx]! : Infinity];
    }
    return [bucketUpper(idx - 1, this.schema), bucketUpper(idx, this.schema)];
  }

  /** All buckets from lowest to highest bound: negative, zero (when it has observations), positive. */
  buckets(): Bucket[] {
    const out: Bucket[] = [];
    for (let k = this.negIdx.length - 1; k >= 0; k--) {
      const i = this.negIdx[k]!;
      out.push({ lower: -bucketUpper(i, this.schema), upper: -bucketUpper(i - 1, this.schema), count: this.negCnt[k]!, index: i });
    }
    if (this.zeroCount !== 0 && !this.usesCustomBuckets()) out.push({ lower: -this.zeroThreshold, upper: this.zeroThreshold, count: this.zeroCount });
    for (let k = 0; k < this.posIdx.length; k++) {
      const i = this.posIdx[k]!;
      const [lower, upper] = this.positiveBounds(i);
      out.push({ lower, upper, count: this.posCnt[k]!, index: i });
    }
    return out;
  }

  /** Removes buckets whose count is exactly 0 (Prometheus's Compact(0) as far as content goes). */
  compact(): this {
    const drop = (idx: number[], cnt: number[]): [number[], number[]] => {
      if (!cnt.includes(0)) return [idx, cnt];
      const oi: number[] = [];
      const oc: number[] = [];
      for (let k = 0; k < idx.length; k++) {
        if (cnt[k] === 0) continue;
        oi.push(idx[k]!);
        oc.push(cnt[k]!);
      }
      return [oi, oc];
    };
    [this.posIdx, this.posCnt] = drop(this.posIdx, this.posCnt);
    [this.negIdx, this.negCnt] = drop(this.negIdx, this.negCnt);
    return this;
  }

  /** Lowers the resolution to targetSchema (no-op when already at or below it; never for custom buckets). */
  reduceResolution(targetSchema: number): this {
    if (this.usesCustomBuckets() || targetSchema >= this.schema) return this;
    const from = this.schema;
    const p = remap(this.posIdx, this.posCnt, (i) => targetIndex(i, from, targetSchema));
    const n = remap(this.negIdx, this.negCnt, (i) => targetIndex(i, from, targetSchema));
    this.posIdx = p.idx;
    this.posCnt = p.cnt;
    this.negIdx = n.idx;
    this.negCnt = n.cnt;
    this.schema = targetSchema;
    return this;
  }

  /**
   * Widens the zero bucket to at least `threshold`, moving every bucket that lies
   * within it (or straddles it, which widens the threshold further) into the zero count.
   */
  widenZeroBucket(threshold: number): this {
    if (this.usesCustomBuckets() || threshold <= this.zeroThreshold) return this;
    let t = threshold;
    for (;;) {
      let changed = false;
      while (this.posIdx.length > 0) {
        const i = this.posIdx[0]!;
        const lower = bucketUpper(i - 1, this.schema);
        if (lower >= t) break;
        const upper = bucketUpper(i, this.schema);
        this.zeroCount += this.posCnt[0]!;
        this.posIdx.shift();
        this.posCnt.shift();
        if (upper > t) {
          t = upper;
          changed = true;
        }
      }
      while (this.negIdx.length > 0) {
        const i = this.negIdx[0]!;
        const lower = bucketUpper(i - 1, this.schema);
        if (lower >= t) break;
        const upper = bucketUpper(i, this.schema);
        this.zeroCount += this.negCnt[0]!;
        this.negIdx.shift();
        this.negCnt.shift();
        if (upper > t) {
          t = upper;
          changed = true;
        }
      }
      if (!changed) break;
    }
    this.zeroThreshold = t;
    return this;
  }

  /** Multiplies every count and the sum by f (in place). */
  mul(f: number): this {
    this.count *= f;
    this.sum *= f;
    this.zeroCount *= f;
    for (let k = 0; k < this.posCnt.length; k++) this.posCnt[k]! *= f;
    for (let k = 0; k < this.negCnt.length; k++) this.negCnt[k]! *= f;
    return this;
  }

  /** Divides every count and the sum by f (in place); f = 0 gives Inf/NaN like float division. */
  div(f: number): this {
    this.count /= f;
    this.sum /= f;
    this.zeroCount /= f;
    if (f === 0) {
      // Like Prometheus: division by zero removes all buckets (the zero bucket stays).
      this.posIdx = [];
      this.posCnt = [];
      this.negIdx = [];
      this.negCnt = [];
      return this;
    }
    for (let k = 0; k < this.posCnt.length; k++) this.posCnt[k]! /= f;
    for (let k = 0; k < this.negCnt.length; k++) this.negCnt[k]! /= f;
    return this;
  }

  /**
   * Adds (sign 1) or subtracts (sign -1) other in place. Schemas are reconciled to
   * the coarser one, zero buckets to the wider one, custom bounds to their common
   * subset. Returns flags the caller turns into annotations.
   */
  addOrSub(other: FloatHistogram, sign: 1 | -1): { counterResetCollision: boolean; customBucketsReconciled: boolean } {
    if (this.usesCustomBuckets() !== other.usesCustomBuckets()) throw new HistogramError('vector contains a mix of histograms with exponential and custom buckets schemas');
    let counterResetCollision = false;
    if (sign === 1) counterResetCollision = this.#adjustHint(other);
    let reconciled = false;
    let o = other;
    if (this.usesCustomBuckets()) {
      const a = this.customValues ?? [];
      const b = o.customValues ?? [];
      if (!sameValues(a, b)) {
        const common = a.filter((v) => b.includes(v));
        this.#rebucketCustom(common);
        o = o.copy();
        o.#rebucketCustom(common);
        reconciled = true;
      }
    } else {
      if (o.schema < this.schema) this.reduceResolution(o.schema);
      else if (o.schema > this.schema) o = o.copy().reduceResolution(this.schema);
      if (o.zeroThreshold > this.zeroThreshold) this.widenZeroBucket(o.zeroThreshold);
      if (this.zeroThreshold > o.zeroThreshold) {
        if (o === other) o = o.copy();
        o.widenZeroBucket(this.zeroThreshold);
        // Widening the other side may in turn widen beyond our threshold.
        if (o.zeroThreshold > this.zeroThreshold) this.widenZeroBucket(o.zeroThreshold);
      }
    }
    this.count += sign * o.count;
    this.sum += sign * o.sum;
    this.zeroCount += sign * o.zeroCount;
    const p = mergeInto(this.posIdx, this.posCnt, o.posIdx, o.posCnt, sign);
    this.posIdx = p.idx;
    this.posCnt = p.cnt;
    const n = mergeInto(this.negIdx, this.negCnt, o.negIdx, o.negCnt, sign);
    this.negIdx = n.idx;
    this.negCnt = n.cnt;
    return { counterResetCollision, customBucketsReconciled: reconciled };
  }

  add(other: FloatHistogram): { counterResetCollision: boolean; customBucketsReconciled: boolean } {
    return this.addOrSub(other, 1);
  }

  sub(other: FloatHistogram): { counterResetCollision: boolean; customBucketsReconciled: boolean } {
    return this.addOrSub(other, -1);
  }

  /** Maps custom buckets onto a subset of their bounds: each bucket goes to the first kept bound at or above its upper bound. */
  #rebucketCustom(bounds: number[]): void {
    const cv = this.customValues ?? [];
    const to = (i: number): number => {
      const upper = i < cv.length ? cv[i]! : Infinity;
      let k = 0;
      while (k < bounds.length && bounds[k]! < upper) k++;
      return k;
    };
    const p = remap(this.posIdx, this.posCnt, to);
    this.posIdx = p.idx;
    this.posCnt = p.cnt;
    this.customValues = bounds;
  }

  /** Prometheus's hint combination on addition; true on a reset/not_reset collision. */
  #adjustHint(other: FloatHistogram): boolean {
    const a = this.hint;
    const b = other.hint;
    if (a === b || a === 'gauge') return false;
    if (b === 'gauge') {
      this.hint = 'gauge';
      return false;
    }
    if (a === 'unknown') return false;
    if (b === 'unknown') {
      this.hint = 'unknown';
      return false;
    }
    this.hint = 'unknown';
    return true;
  }

  /** Whether this histogram (the later one) indicates a counter reset relative to previous. */
  detectReset(previous: FloatHistogram): boolean {
    if (this.hint === 'reset') return true;
    if (this.hint === 'not_reset') return false;
    if (this.count < previous.count) return true;
    if (this.usesCustomBuckets() !== previous.usesCustomBuckets()) return true;
    if (this.usesCustomBuckets() && !sameValues(this.customValues ?? [], previous.customValues ?? [])) {
      // Different bounds: compare on the bounds both share.
      const a = this.customValues ?? [];
      const common = a.filter((v) => (previous.customValues ?? []).includes(v));
      const cur = this.copy();
      cur.#rebucketCustom(common);
      const prev = previous.copy();
      prev.#rebucketCustom(common);
      return bucketsDecrease(prev.posIdx, prev.posCnt, cur.posIdx, cur.posCnt);
    }
    if (this.schema > previous.schema) return true;
    if (this.zeroThreshold < previous.zeroThreshold) return true;
    const prev = previous.copy().reduceResolution(this.schema);
    prev.widenZeroBucket(this.zeroThreshold);
    if (prev.zeroThreshold !== this.zeroThreshold && !this.usesCustomBuckets()) return true;
    if (this.zeroCount < prev.zeroCount) return true;
    return bucketsDecrease(prev.posIdx, prev.posCnt, this.posIdx, this.posCnt) || bucketsDecrease(prev.negIdx, prev.negCnt, this.negIdx, this.negCnt);
  }

  /** Same content (with bucket layout compared after dropping empty buckets); the hint only when checkHint. */
  equals(o: FloatHistogram, eq: (a: number, b: number) => boolean = (a, b) => a === b || (a !== a && b !== b), checkHint = false): boolean {
    if (this.schema !== o.schema) return false;
    if (!eq(this.count, o.count) || !eq(this.sum, o.sum)) return false;
    if (this.usesCustomBuckets() && !sameValues(this.customValues ?? [], o.customValues ?? [])) return false;
    if (this.zeroThreshold !== o.zeroThreshold || !eq(this.zeroCount, o.zeroCount)) return false;
    if (checkHint && this.hint !== o.hint) return false;
    const a = this.copy().compact();
    const b = o.copy().compact();
    const same = (ai: number[], ac: number[], bi: number[], bc: number[]): boolean => {
      if (ai.length !== bi.length) return false;
      for (let k = 0; k < ai.length; k++) if (ai[k] !== bi[k] || !eq(ac[k]!, bc[k]!)) return false;
      return true;
    };
    return same(a.posIdx, a.posCnt, b.posIdx, b.posCnt) && same(a.negIdx, a.negCnt, b.negIdx, b.negCnt);
  }
}

function sameValues(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** True when some bucket of prev (already at curr's schema) has more than curr's bucket of the same index. */
function bucketsDecrease(pi: readonly number[], pc: readonly number[], ci: readonly number[], cc: readonly number[]): boolean {
  let j = 0;
  for (let k = 0; k < pi.length; k++) {
    const p = pc[k]!;
    if (p === 0) continue;
    while (j < ci.length && ci[j]! < pi[k]!) j++;
    const c = j < ci.length && ci[j] === pi[k] ? cc[j]! : 0;
    if (c < p) return true;
  }
  return false;
}

export function sameCustomValues(a: FloatHistogram, b: FloatHistogram): boolean {
  return sameValues(a.customValues ?? [], b.customValues ?? []);
}
