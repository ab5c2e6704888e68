/** Binary searches over sorted sample timestamps, shared by the float and histogram range code. */

/** Index of the last sample at or before t within [0, n) (0 when none), like Prometheus's sort.Search(...)-1. */
export function lastAtOrBefore(ts: Float64Array, n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! > t) hi = mid;
    else lo = mid + 1;
  }
  return Math.max(0, lo - 1);
}

/** Index of the first sample at or after t within [0, n) (n when none). */
export function firstAtOrAfter(ts: Float64Array, n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! >= t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
