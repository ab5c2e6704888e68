/** Nearest-rank percentile (p in 0..100) of `sorted` (ascending); NaN when empty. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Median of `values` (does not modify it); NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = Float64Array.from(values).sort();
  return percentile(sorted, 50);
}

/** Rounds to `digits` decimals for printing figures. */
export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
