/**
 * The trim operators: `h </ x` keeps the observations below x, `h >/ x` those above.
 * Buckets beyond x go, the bucket holding x keeps the share on x's side
 * (exponential interpolation in exponential buckets, linear in custom and zero
 * buckets), and the sum is re-estimated from bucket midpoints. A trim that removes
 * nothing returns the histogram as it is.
 */
import type { FloatHistogram } from './float-histogram.ts';

interface Kept {
  /** Share of the bucket's count kept (0..1). */
  frac: number;
  lo: number;
  hi: number;
}

/** Log-scale position of v between the bounds of an exponential bucket (0 at lower, 1 at upper). */
function expPos(lower: number, upper: number, v: number): number {
  if (lower > 0) return (Math.log2(v) - Math.log2(lower)) / (Math.log2(upper) - Math.log2(lower));
  // Negative bucket: magnitudes shrink from lower to upper.
  return (Math.log2(-lower) - Math.log2(-v)) / (Math.log2(-lower) - Math.log2(-upper));
}

function cut(lower: number, upper: number, x: number, below: boolean, pos: (v: number) => number): Kept {
  if (below) {
    if (upper <= x) return { frac: 1, lo: lower, hi: upper };
    if (lower >= x) return { frac: 0, lo: lower, hi: lower };
    return { frac: pos(x), lo: lower, hi: x };
  }
  if (lower >= x) return { frac: 1, lo: lower, hi: upper };
  if (upper <= x) return { frac: 0, lo: upper, hi: upper };
  return { frac: 1 - pos(x), lo: x, hi: upper };
}

export function trimHistogram(h: FloatHistogram, x: number, below: boolean): FloatHistogram {
  const r = h.copy();
  const custom = h.usesCustomBuckets();
  let changed = false;
  let sum = 0;
  let count = 0;
  const account = (cnt: number, k: Kept, rep: (lo: number, hi: number) => number): number => {
    const c = cnt * k.frac;
    if (k.frac !== 1) changed = true;
    if (c !== 0) sum += c * rep(k.lo, k.hi);
    count += c;
    return c;
  };
  const geo = (lo: number, hi: number): number => (lo > 0 ? Math.sqrt(lo * hi) : -Math.sqrt(lo * hi));
  const mid = (lo: number, hi: number): number => (lo + hi) / 2;
  for (let k = 0; k < r.negIdx.length; k++) {
    const i = r.negIdx[k]!;
    const [l, u] = h.positiveBounds(i);
    const lower = -u;
    const upper = -l;
    r.negCnt[k] = account(r.negCnt[k]!, cut(lower, upper, x, below, (v) => expPos(lower, upper, v)), geo);
  }
  if (!custom && r.zeroCount !== 0) {
    let lower = -h.zeroThreshold;
    let upper = h.zeroThreshold;
    if (h.negIdx.length === 0 && h.posIdx.length > 0) lower = 0;
    else if (h.posIdx.length === 0 && h.negIdx.length > 0) upper = 0;
    r.zeroCount = account(r.zeroCount, cut(lower, upper, x, below, (v) => (v - lower) / (upper - lower)), mid);
  }
  for (let k = 0; k < r.posIdx.length; k++) {
    const i = r.posIdx[k]!;
    let [lower, upper] = h.positiveBounds(i);
    if (!custom) {
      r.posCnt[k] = account(r.posCnt[k]!, cut(lower, upper, x, below, (v) => expPos(lower, upper, v)), geo);
      continue;
    }
    const cnt = r.posCnt[k]!;
    let kept: Kept;
    if (upper === Infinity && lower < x && x < Infinity) {
      // The +Inf bucket cannot be interpolated: trimming from above drops it, trimming
      // from below keeps it whole, its observations placed at the cut.
      kept = below || lower === -Infinity ? { frac: 0, lo: lower, hi: lower } : { frac: 1, lo: x, hi: x };
    } else if (lower === -Infinity && !below && x > -Infinity && x < Math.min(upper, 0)) {
      // Trimming from below inside the open-ended negative part drops the first bucket.
      kept = { frac: 0, lo: lower, hi: lower };
    } else if (lower === -Infinity && upper <= 0) {
      // The first bucket reaching -Inf with a non-positive bound: kept whole while x is inside.
      kept = below ? (x > -Infinity ? { frac: 1, lo: -Infinity, hi: Math.min(upper, x) } : { frac: 0, lo: 0, hi: 0 }) : upper <= x ? { frac: 0, lo: 0, hi: 0 } : { frac: 1, lo: x, hi: upper };
    } else {
      if (lower === -Infinity) lower = 0;
      const lo = lower;
      const hi = upper;
      kept = cut(lo, hi, x, below, (v) => (v - lo) / (hi - lo));
    }
    r.posCnt[k] = account(cnt, kept, (lo, hi) => {
      if (lo === -Infinity) return hi;
      if (hi === Infinity) return lo;
      return (lo + hi) / 2;
    });
  }
  if (!changed) return h;
  r.count = count;
  r.sum = sum;
  return r.compact();
}
