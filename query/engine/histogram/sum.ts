/**
 * Sum and average of several native histograms, as sum/avg and sum/avg_over_time
 * compute them: compensated summation of count, sum and zero count, and an
 * incremental mean for averages whose plain sum overflows.
 */
import type { FloatHistogram } from './float-histogram.ts';

export interface HistogramSum {
  h: FloatHistogram;
  counterResetCollision: boolean;
  customBucketsReconciled: boolean;
}

/** Sums (or averages) hs, which must not be empty. Throws HistogramError on incompatible schemas. */
export function sumHistograms(hs: readonly FloatHistogram[], average: boolean): HistogramSum {
  const acc = hs[0]!.copy();
  let collision = false;
  let reconciled = false;
  const comp = [0, 0, 0];
  const kahan = (i: number, a: number, inc: number): number => {
    const t = a + inc;
    if (t === Infinity || t === -Infinity) comp[i] = 0;
    else if (Math.abs(a) >= Math.abs(inc)) comp[i]! += a - t + inc;
    else comp[i]! += inc - t + a;
    return t;
  };
  let finiteInputs = Number.isFinite(acc.count) && Number.isFinite(acc.sum);
  for (let k = 1; k < hs.length; k++) {
    const h = hs[k]!;
    if (!Number.isFinite(h.count) || !Number.isFinite(h.sum)) finiteInputs = false;
    const s0 = acc.sum;
    const c0 = acc.count;
    const z0 = acc.zeroCount;
    const zt0 = acc.zeroThreshold;
    const r = acc.add(h);
    collision ||= r.counterResetCollision;
    reconciled ||= r.customBucketsReconciled;
    acc.sum = kahan(0, s0, h.sum);
    acc.count = kahan(1, c0, h.count);
    if (zt0 === acc.zeroThreshold && h.zeroThreshold === acc.zeroThreshold) acc.zeroCount = kahan(2, z0, h.zeroCount);
    else comp[2] = 0;
  }
  acc.sum += comp[0]!;
  acc.count += comp[1]!;
  acc.zeroCount += comp[2]!;
  // Like Prometheus: any reset hint next to any not_reset hint is a collision, even
  // when a gauge among the inputs made the sum a gauge.
  let seenReset = false;
  let seenNotReset = false;
  for (const h of hs) {
    if (h.hint === 'reset') seenReset = true;
    else if (h.hint === 'not_reset') seenNotReset = true;
  }
  collision ||= seenReset && seenNotReset;
  if (!average || hs.length === 1) return { h: acc, counterResetCollision: collision, customBucketsReconciled: reconciled };
  if (finiteInputs && (!Number.isFinite(acc.count) || !Number.isFinite(acc.sum))) {
    // The sum overflowed: an incremental mean stays in range.
    const mean = hs[0]!.copy();
    for (let k = 1; k < hs.length; k++) {
      const n = k + 1;
      const toAdd = hs[k]!.copy().div(n);
      toAdd.sub(mean.copy().div(n));
      mean.add(toAdd);
    }
    mean.hint = acc.hint;
    // The compensated sum of the sum field did not overflow: its mean is more precise.
    if (Number.isFinite(acc.sum)) mean.sum = acc.sum / hs.length;
    return { h: mean, counterResetCollision: collision, customBucketsReconciled: reconciled };
  }
  acc.div(hs.length);
  return { h: acc, counterResetCollision: collision, customBucketsReconciled: reconciled };
}
