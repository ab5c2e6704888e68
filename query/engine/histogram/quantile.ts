/**
 * Statistics over one native histogram: quantile and fraction estimation
 * (exponential interpolation within exponential buckets, linear within custom
 * and zero buckets) and the estimated variance of the observations.
 */
import type { Bucket, FloatHistogram } from './float-histogram.ts';

/** The bucket bounds quantile/fraction interpolate within, with the zero bucket clipped to the populated side. */
function adjustZeroBucket(h: FloatHistogram, b: Bucket): Bucket {
  if (h.usesCustomBuckets() || !(b.lower < 0 && b.upper > 0)) return b;
  const hasNeg = h.negIdx.length > 0;
  const hasPos = h.posIdx.length > 0;
  if (!hasNeg && hasPos) return { ...b, lower: 0 };
  if (!hasPos && hasNeg) return { ...b, upper: 0 };
  return b;
}

/** Estimated q-quantile of the observations in h. */
export function histogramQuantile(q: number, h: FloatHistogram): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (h.count === 0 || q !== q) return NaN;
  const all = h.buckets();
  // Counting from the top is more precise for high quantiles, unless NaN observations
  // (a NaN sum) make the total count exceed what the buckets hold.
  const forward = h.sum !== h.sum || q < 0.5;
  let rank = forward ? q * h.count : (1 - q) * h.count;
  let count = 0;
  let bucket: Bucket | undefined;
  for (let k = 0; k < all.length; k++) {
    const b = all[forward ? k : all.length - 1 - k]!;
    bucket = b;
    if (b.count === 0) continue;
    count += b.count;
    if (count >= rank) break;
  }
  if (bucket === undefined) return NaN;
  let b = adjustZeroBucket(h, bucket);
  if (h.usesCustomBuckets()) {
    if (b.lower === -Infinity) {
      if (b.upper <= 0) return b.upper;
      b = { ...b, lower: 0 };
    } else if (b.upper === Infinity) {
      return b.lower;
    }
  }
  if (count > h.count) count = h.count;
  // Not reaching the rank means the missing observations are NaN: the quantile is among them.
  if (count < rank) return h.sum !== h.sum ? NaN : b.upper;
  if (forward) rank -= count - b.count;
  else rank = count - rank;
  const fraction = rank / b.count;
  if (h.usesCustomBuckets() || (b.lower <= 0 && b.upper >= 0)) return b.lower + (b.upper - b.lower) * fraction;
  const logLower = Math.log2(Math.abs(b.lower));
  const logUpper = Math.log2(Math.abs(b.upper));
  if (b.lower > 0) return 2 ** (logLower + (logUpper - logLower) * fraction);
  return -(2 ** (logUpper + (logLower - logUpper) * (1 - fraction)));
}

/** Estimated fraction of observations in h between lower and upper. */
export function histogramFraction(lower: number, upper: number, h: FloatHistogram): number {
  if (h.count === 0 || lower !== lower || upper !== upper) return NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  const custom = h.usesCustomBuckets();
  for (const b0 of h.buckets()) {
    let b = b0;
    let zeroBucket = false;
    if (!custom && b.lower <= 0 && b.upper >= 0) {
      zeroBucket = true;
      b = adjustZeroBucket(h, b);
    }
    if (custom && b.lower === -Infinity && b.upper > 0) b = { ...b, lower: 0 };
    const linear = (v: number): number => rank + (b.count * (v - b.lower)) / (b.upper - b.lower);
    const exponential = (v: number): number => {
      const logLower = Math.log2(Math.abs(b.lower));
      const logUpper = Math.log2(Math.abs(b.upper));
      const logV = Math.log2(Math.abs(v));
      const fraction = v > 0 ? (logV - logLower) / (logUpper - logLower) : 1 - (logV - logUpper) / (logLower - logUpper);
      return rank + b.count * fraction;
    };
    const interp = (v: number): number => {
      if (custom && b.upper === Infinity) return rank;
      if (custom && b.lower === -Infinity) return rank + b.count;
      return custom || zeroBucket ? linear(v) : exponential(v);
    };
    if (!lowerSet && b.lower >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && b.lower >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && b.lower < lower && b.upper > lower) {
      lowerRank = interp(lower);
      lowerSet = true;
    }
    if (!upperSet && b.lower < upper && b.upper > upper) {
      upperRank = interp(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank += b.count;
  }
  // NaN observations (a NaN sum) are in the count but in no bucket: they fall outside every range.
  const top = h.sum !== h.sum ? Math.min(rank, h.count) : h.count;
  if (!lowerSet) lowerRank = top;
  else if (lowerRank > h.count) lowerRank = h.count;
  if (!upperSet) upperRank = top;
  else if (upperRank > h.count) upperRank = h.count;
  return (upperRank - lowerRank) / h.count;
}

/** Estimated variance of the observations: bucket midpoints (geometric for exponential buckets) around the mean. */
export function histogramVariance(h: FloatHistogram): number {
  const mean = h.sum / h.count;
  let v = 0;
  let c = 0;
  for (const b of h.buckets()) {
    if (b.count === 0) continue;
    let val: number;
    if (h.usesCustomBuckets()) {
      let lo = b.lower;
      let hi = b.upper;
      if (lo === -Infinity) lo = hi > 0 ? 0 : hi;
      if (hi === Infinity) hi = lo;
      val = (hi + lo) / 2;
    } else if (b.lower <= 0 && b.upper >= 0) val = 0;
    else {
      val = Math.sqrt(b.upper * b.lower);
      if (b.upper < 0) val = -val;
    }
    const d = val - mean;
    const inc = b.count * d * d;
    const t = v + inc;
    if (t === Infinity || t === -Infinity) c = 0;
    else if (Math.abs(v) >= Math.abs(inc)) c += v - t + inc;
    else c += inc - t + v;
    v = t;
  }
  return (v + c) / h.count;
}
