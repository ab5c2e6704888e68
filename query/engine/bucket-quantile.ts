/**
 * Classic-histogram (le-bucket) math for histogram_quantile and histogram_fraction,
 * following Prometheus: sorted buckets, coalesced equal bounds, precision fix,
 * forced monotonicity, linear interpolation with a natural lower bound of 0.
 */
export interface Bucket {
  upper: number;
  count: number;
}

function sortAndCoalesce(buckets: Bucket[]): Bucket[] {
  buckets.sort((a, b) => (a.upper < b.upper ? -1 : a.upper > b.upper ? 1 : 0));
  const out: Bucket[] = [];
  for (const b of buckets) {
    const last = out[out.length - 1];
    if (last !== undefined && last.upper === b.upper) last.count += b.count;
    else out.push({ upper: b.upper, count: b.count });
  }
  return out;
}

function correctPrecisionErrors(buckets: Bucket[], tolerance: number): boolean {
  let fixed = false;
  let prev = buckets[0]!.count;
  for (let i = 1; i < buckets.length; i++) {
    const curr = buckets[i]!.count;
    const delta = Math.abs(curr - prev);
    if (delta === 0) continue;
    if (delta / curr <= tolerance) {
      buckets[i]!.count = prev;
      fixed = true;
    } else prev = curr;
  }
  return fixed;
}

function ensureMonotonic(buckets: Bucket[]): boolean {
  let forced = false;
  let max = buckets[0]!.count;
  for (let i = 1; i < buckets.length; i++) {
    const c = buckets[i]!.count;
    if (c > max) max = c;
    else if (c < max) {
      buckets[i]!.count = max;
      forced = true;
    }
  }
  return forced;
}

export interface BucketQuantileResult {
  value: number;
  forcedMonotonic: boolean;
}

export function bucketQuantile(q: number, input: Bucket[]): BucketQuantileResult {
  if (q !== q) return { value: NaN, forcedMonotonic: false };
  if (q < 0) return { value: -Infinity, forcedMonotonic: false };
  if (q > 1) return { value: Infinity, forcedMonotonic: false };
  if (input.length === 0) return { value: NaN, forcedMonotonic: false };
  let buckets = sortAndCoalesce(input);
  if (buckets[buckets.length - 1]!.upper !== Infinity) return { value: NaN, forcedMonotonic: false };
  correctPrecisionErrors(buckets, 1e-12);
  const forced = ensureMonotonic(buckets);
  if (buckets.length < 2) return { value: NaN, forcedMonotonic: false };
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return { value: NaN, forcedMonotonic: false };
  let rank = q * observations;
  // First bucket (excluding +Inf) whose cumulative count reaches the rank.
  let b = 0;
  const limit = buckets.length - 1;
  {
    let lo = 0;
    let hi = limit;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (buckets[mid]!.count >= rank) hi = mid;
      else lo = mid + 1;
    }
    b = lo;
  }
  if (b === buckets.length - 1) return { value: buckets[buckets.length - 2]!.upper, forcedMonotonic: forced };
  if (b === 0 && buckets[0]!.upper <= 0) return { value: buckets[0]!.upper, forcedMonotonic: forced };
  let bucketStart = 0;
  const bucketEnd = buckets[b]!.upper;
  let count = buckets[b]!.count;
  if (b > 0) {
    bucketStart = buckets[b - 1]!.upper;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  buckets = [];
  return { value: bucketStart + (bucketEnd - bucketStart) * (rank / count), forcedMonotonic: forced };
}

export function bucketFraction(lower: number, upper: number, input: Bucket[]): number {
  if (input.length === 0) return NaN;
  const buckets = sortAndCoalesce(input);
  if (buckets[buckets.length - 1]!.upper !== Infinity) return NaN;
  const count = buckets[buckets.length - 1]!.count;
  if (count === 0 || lower !== lower || upper !== upper) return NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i]!;
    let lowerBound = i > 0 ? buckets[i - 1]!.upper : -Infinity;
    // Natural lower bound of 0 for the lowest bucket, as histogram_quantile assumes.
    if (i === 0 && b.upper > 0) lowerBound = 0;
    const upperBound = b.upper;
    // No interpolation inside a bucket of infinite width: the lowest bucket counts as entirely
    // below any bound inside it, the +Inf bucket as entirely above.
    const infiniteRank = lowerBound === -Infinity ? b.count : upperBound === Infinity ? rank : undefined;
    const interpolate = (v: number): number => rank + ((b.count - rank) * (v - lowerBound)) / (upperBound - lowerBound);
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = infiniteRank ?? interpolate(lower);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = infiniteRank ?? interpolate(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}

/** Prometheus's quantile over plain values (aggregation and quantile_over_time). Sorts `values`. */
export function quantileOf(q: number, values: number[]): number {
  if (values.length === 0 || q !== q) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  // NaN sorts first, like Prometheus's vectorByValueHeap.
  values.sort((a, b) => (a !== a ? (b !== b ? 0 : -1) : b !== b ? 1 : a - b));
  const n = values.length;
  const rank = q * (n - 1);
  const lowerIndex = Math.max(0, Math.floor(rank));
  const upperIndex = Math.min(n - 1, lowerIndex + 1);
  const weight = rank - Math.floor(rank);
  return values[lowerIndex]! * (1 - weight) + values[upperIndex]! * weight;
}

/**
 * quantileOf over vs[lo, hi) without allocating per call: `scratch` is reused
 * (grown as needed) and returned. NaNs sort first, as in Prometheus.
 */
export function quantileOfRange(q: number, vs: Float64Array, lo: number, hi: number, scratch: { buf: Float64Array }): number {
  const n = hi - lo;
  if (n === 0 || q !== q) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (scratch.buf.length < n) scratch.buf = new Float64Array(Math.max(n, scratch.buf.length * 2));
  const buf = scratch.buf;
  let nans = 0;
  let k = 0;
  for (let i = lo; i < hi; i++) {
    const v = vs[i]!;
    if (v !== v) nans++;
    else buf[k++] = v;
  }
  // Non-NaN values sorted ascending after the NaN prefix.
  const sorted = buf.subarray(0, k).sort();
  const at = (idx: number): number => (idx < nans ? NaN : sorted[idx - nans]!);
  const rank = q * (n - 1);
  const lowerIndex = Math.max(0, Math.floor(rank));
  const upperIndex = Math.min(n - 1, lowerIndex + 1);
  const weight = rank - Math.floor(rank);
  return at(lowerIndex) * (1 - weight) + at(upperIndex) * weight;
}
