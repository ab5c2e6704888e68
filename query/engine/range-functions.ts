/**
 * Functions over range vectors. Each kernel sees one series' points in the
 * window [lo, hi) of its column arrays and returns the step's value, or
 * undefined for "no output at this step".
 */
import { quantileOf, quantileOfRange } from './bucket-quantile.ts';

export interface WindowContext {
  /** Evaluation time of the step (ms). */
  t: number;
  /** Window is (rangeStart, rangeEnd]. */
  rangeStart: number;
  rangeEnd: number;
  rangeMs: number;
  /** Scalar arguments at this step, in argument order (matrix argument excluded). */
  scalars: number[];
  /** Reusable buffer for kernels that sort a window. */
  scratch: { buf: Float64Array };
}

export type RangeKernel = (ts: Float64Array, vs: Float64Array, lo: number, hi: number, c: WindowContext) => number | undefined;

/** Neumaier-compensated summation step, as Prometheus's kahansum.Inc. */
export class Kahan {
  sum = 0;
  c = 0;
  add(inc: number): void {
    const t = this.sum + inc;
    if (t === Infinity || t === -Infinity) this.c = 0;
    else if (Math.abs(this.sum) >= Math.abs(inc)) this.c += this.sum - t + inc;
    else this.c += inc - t + this.sum;
    this.sum = t;
  }
}

function extrapolatedRate(ts: Float64Array, vs: Float64Array, lo: number, hi: number, c: WindowContext, isCounter: boolean, isRate: boolean): number | undefined {
  const n = hi - lo;
  if (n < 2) return undefined;
  const firstT = ts[lo]!;
  const lastT = ts[hi - 1]!;
  let result = vs[hi - 1]! - vs[lo]!;
  if (isCounter) {
    for (let i = lo + 1; i < hi; i++) if (vs[i]! < vs[i - 1]!) result += vs[i - 1]!;
  }
  let durationToStart = (firstT - c.rangeStart) / 1000;
  let durationToEnd = (c.rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const avg = sampledInterval / (n - 1);
  const threshold = avg * 1.1;
  if (durationToStart >= threshold) durationToStart = avg / 2;
  if (isCounter) {
    let durationToZero = durationToStart;
    if (result > 0 && vs[lo]! >= 0) durationToZero = sampledInterval * (vs[lo]! / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= threshold) durationToEnd = avg / 2;
  let factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= c.rangeMs / 1000;
  return result * factor;
}

function instantValue(ts: Float64Array, vs: Float64Array, lo: number, hi: number, isRate: boolean): number | undefined {
  if (hi - lo < 2) return undefined;
  const t1 = ts[hi - 1]!;
  const t0 = ts[hi - 2]!;
  const v1 = vs[hi - 1]!;
  const v0 = vs[hi - 2]!;
  const interval = t1 - t0;
  if (interval === 0) return undefined;
  let r = v1;
  if (!isRate || !(v1 < v0)) r = v1 - v0;
  if (isRate) r /= interval / 1000;
  return r;
}

/** Least squares with Kahan sums, x relative to interceptTime in seconds. Returns [slope, intercept]. */
export function linearRegression(ts: Float64Array, vs: Float64Array, lo: number, hi: number, interceptTime: number): [number, number] {
  let n = 0;
  const sx = new Kahan();
  const sy = new Kahan();
  const sxy = new Kahan();
  const sx2 = new Kahan();
  const initY = vs[lo]!;
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const y = vs[i]!;
    if (constY && i > lo && y !== initY) constY = false;
    n += 1;
    const x = (ts[i]! - interceptTime) / 1e3;
    sx.add(x);
    sy.add(y);
    sxy.add(x * y);
    sx2.add(x * x);
  }
  if (constY) {
    if (initY === Infinity || initY === -Infinity) return [NaN, NaN];
    return [0, initY];
  }
  const sumX = sx.sum + sx.c;
  const sumY = sy.sum + sy.c;
  const sumXY = sxy.sum + sxy.c;
  const sumX2 = sx2.sum + sx2.c;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

function avgOverTime(vs: Float64Array, lo: number, hi: number): number {
  let sum = vs[lo]!;
  let count = 1;
  let mean = 0;
  let kc = 0;
  let incremental = false;
  for (let i = lo + 1; i < hi; i++) {
    const f = vs[i]!;
    count = i - lo + 1;
    if (!incremental) {
      const t = sum + f;
      let nc = kc;
      if (t === Infinity || t === -Infinity) nc = 0;
      else if (Math.abs(sum) >= Math.abs(f)) nc += sum - t + f;
      else nc += f - t + sum;
      if (!(t === Infinity || t === -Infinity)) {
        sum = t;
        kc = nc;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      kc /= count - 1;
    }
    const q = (count - 1) / count;
    const inc = f / count;
    const s0 = q * mean;
    let c0 = q * kc;
    const t = s0 + inc;
    if (t === Infinity || t === -Infinity) c0 = 0;
    else if (Math.abs(s0) >= Math.abs(inc)) c0 += s0 - t + inc;
    else c0 += inc - t + s0;
    mean = t;
    kc = c0;
  }
  if (incremental) return mean + kc;
  return sum / count + kc / count;
}

function variance(vs: Float64Array, lo: number, hi: number): number {
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (let i = lo; i < hi; i++) {
    const f = vs[i]!;
    count++;
    const delta = f - (mean + cMean);
    // mean, cMean = Inc(delta/count, mean, cMean)
    {
      const inc = delta / count;
      const t = mean + inc;
      if (t === Infinity || t === -Infinity) cMean = 0;
      else if (Math.abs(mean) >= Math.abs(inc)) cMean += mean - t + inc;
      else cMean += inc - t + mean;
      mean = t;
    }
    {
      const inc = delta * (f - (mean + cMean));
      const t = aux + inc;
      if (t === Infinity || t === -Infinity) cAux = 0;
      else if (Math.abs(aux) >= Math.abs(inc)) cAux += aux - t + inc;
      else cAux += inc - t + aux;
      aux = t;
    }
  }
  return (aux + cAux) / count;
}

function compareOverTime(ts: Float64Array, vs: Float64Array, lo: number, hi: number, better: (cur: number, best: number) => boolean, returnTs: boolean): number {
  let best = vs[lo]!;
  let bestT = ts[lo]!;
  for (let i = lo; i < hi; i++) {
    const f = vs[i]!;
    if (better(f, best)) {
      best = f;
      bestT = ts[i]!;
    }
  }
  return returnTs ? bestT / 1000 : best;
}

function doubleExponentialSmoothing(vs: Float64Array, lo: number, hi: number, sf: number, tf: number): number | undefined {
  const l = hi - lo;
  if (l < 2) return undefined;
  let s0 = 0;
  let s1 = vs[lo]!;
  let b = vs[lo + 1]! - vs[lo]!;
  for (let i = 1; i < l; i++) {
    const x = sf * vs[lo + i]!;
    // calcTrendValue(i-1, tf, s0, s1, b)
    if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

export const RANGE_KERNELS: Record<string, RangeKernel> = {
  rate: (ts, vs, lo, hi, c) => extrapolatedRate(ts, vs, lo, hi, c, true, true),
  increase: (ts, vs, lo, hi, c) => extrapolatedRate(ts, vs, lo, hi, c, true, false),
  delta: (ts, vs, lo, hi, c) => extrapolatedRate(ts, vs, lo, hi, c, false, false),
  irate: (ts, vs, lo, hi) => instantValue(ts, vs, lo, hi, true),
  idelta: (ts, vs, lo, hi) => instantValue(ts, vs, lo, hi, false),
  deriv: (ts, vs, lo, hi) => (hi - lo < 2 ? undefined : linearRegression(ts, vs, lo, hi, ts[lo]!)[0]),
  predict_linear: (ts, vs, lo, hi, c) => {
    if (hi - lo < 2) return undefined;
    const [slope, intercept] = linearRegression(ts, vs, lo, hi, c.t);
    return slope * c.scalars[0]! + intercept;
  },
  avg_over_time: (_ts, vs, lo, hi) => avgOverTime(vs, lo, hi),
  sum_over_time: (_ts, vs, lo, hi) => {
    const k = new Kahan();
    for (let i = lo; i < hi; i++) k.add(vs[i]!);
    if (k.sum === Infinity || k.sum === -Infinity) return k.sum;
    return k.sum + k.c;
  },
  count_over_time: (_ts, _vs, lo, hi) => hi - lo,
  min_over_time: (ts, vs, lo, hi) => compareOverTime(ts, vs, lo, hi, (cur, best) => cur < best || best !== best, false),
  max_over_time: (ts, vs, lo, hi) => compareOverTime(ts, vs, lo, hi, (cur, best) => cur > best || best !== best, false),
  ts_of_min_over_time: (ts, vs, lo, hi) => compareOverTime(ts, vs, lo, hi, (cur, best) => cur <= best || best !== best, true),
  ts_of_max_over_time: (ts, vs, lo, hi) => compareOverTime(ts, vs, lo, hi, (cur, best) => cur >= best || best !== best, true),
  last_over_time: (_ts, vs, _lo, hi) => vs[hi - 1]!,
  first_over_time: (_ts, vs, lo) => vs[lo]!,
  ts_of_last_over_time: (ts, _vs, _lo, hi) => ts[hi - 1]! / 1000,
  ts_of_first_over_time: (ts, _vs, lo) => ts[lo]! / 1000,
  present_over_time: () => 1,
  absent_over_time: () => 1,
  stddev_over_time: (_ts, vs, lo, hi) => Math.sqrt(variance(vs, lo, hi)),
  stdvar_over_time: (_ts, vs, lo, hi) => variance(vs, lo, hi),
  quantile_over_time: (_ts, vs, lo, hi, c) => quantileOfRange(c.scalars[0]!, vs, lo, hi, c.scratch),
  mad_over_time: (_ts, vs, lo, hi) => {
    const vals: number[] = [];
    for (let i = lo; i < hi; i++) {
      if (vs[i] !== vs[i]) return NaN;
      vals.push(vs[i]!);
    }
    const median = quantileOf(0.5, vals);
    const dev: number[] = [];
    for (let i = lo; i < hi; i++) dev.push(Math.abs(vs[i]! - median));
    return quantileOf(0.5, dev);
  },
  changes: (_ts, vs, lo, hi) => {
    let n = 0;
    for (let i = lo + 1; i < hi; i++) {
      const a = vs[i]!;
      const b = vs[i - 1]!;
      if (a !== b && !(a !== a && b !== b)) n++;
    }
    return n;
  },
  resets: (_ts, vs, lo, hi) => {
    let n = 0;
    for (let i = lo + 1; i < hi; i++) if (vs[i]! < vs[i - 1]!) n++;
    return n;
  },
  double_exponential_smoothing: (_ts, vs, lo, hi, c) => doubleExponentialSmoothing(vs, lo, hi, c.scalars[0]!, c.scalars[1]!),
};

/** Functions whose matrix argument is not the first one. */
export const MATRIX_ARG_INDEX: Record<string, number> = { quantile_over_time: 1 };

/** Range functions that keep the metric name (they act like an offset). */
export const KEEPS_NAME = new Set(['last_over_time', 'first_over_time']);

export const ANCHORED_SAFE = ['changes', 'delta', 'increase', 'rate', 'resets'];
export const SMOOTHED_SAFE = ['delta', 'increase', 'rate'];
