/**
 * Prometheus's JSON rendering of a native histogram in query results:
 * `{"count": "4", "sum": "5", "buckets": [[boundary_rule, "lower", "upper", "count"], ...]}`
 * with every number a string, empty buckets left out, and boundary_rule
 * 0 = (lower, upper], 1 = [lower, upper), 2 = (lower, upper), 3 = [lower, upper].
 */
import { formatFloat, formatG } from '../format.ts';
import type { FloatHistogram } from './float-histogram.ts';

export type PromJsonBucket = [number, string, string, string];

export interface PromJsonHistogram {
  count: string;
  sum: string;
  buckets?: PromJsonBucket[];
}

export function histogramJson(h: FloatHistogram): PromJsonHistogram {
  const out: PromJsonHistogram = { count: formatFloat(h.count), sum: formatFloat(h.sum) };
  const buckets: PromJsonBucket[] = [];
  for (const b of h.buckets()) {
    if (b.count === 0) continue;
    // Negative buckets are [lower, upper), positive ones (lower, upper], the zero bucket [-t, t].
    let rule = 0;
    if (b.index === undefined) rule = 3;
    else if (b.upper <= 0 && !h.usesCustomBuckets()) rule = 1;
    buckets.push([rule, formatFloat(b.lower), formatFloat(b.upper), formatFloat(b.count)]);
  }
  if (buckets.length > 0) out.buckets = buckets;
  return out;
}

/** Prometheus's FloatHistogram.String(): `{count:20, sum:10, [-2,-1):2, [-0.001,0.001]:2, (0.5,1]:1}` (count_values labels). */
export function histogramString(h: FloatHistogram): string {
  const parts = [`count:${formatG(h.count)}`, `sum:${formatG(h.sum)}`];
  for (const b of h.buckets()) {
    if (b.count === 0) continue;
    if (b.index === undefined) parts.push(`[${formatG(b.lower)},${formatG(b.upper)}]:${formatG(b.count)}`);
    else if (b.upper <= 0 && !h.usesCustomBuckets()) parts.push(`[${formatG(b.lower)},${formatG(b.upper)}):${formatG(b.count)}`);
    else parts.push(`(${formatG(b.lower)},${formatG(b.upper)}]:${formatG(b.count)}`);
  }
  return `{${parts.join(', ')}}`;
}
