/**
 * `anchored` and `smoothed` range selectors (and smoothed vector selectors) over
 * series holding native histograms. The window data reaches one lookback before the
 * range (and after it when smoothed); boundary values are picked or linearly
 * interpolated, and counter resets are corrected between the points in between.
 */
import type { FloatHistogram } from './float-histogram.ts';
import { HistogramError } from './float-histogram.ts';
import type { RangeNotes } from './range.ts';
import { firstAtOrAfter, lastAtOrBefore } from '../search.ts';

/**
 * The histogram at t between (t1, h1) and (t2, h2). For counters, a reset between
 * them means the counter restarted from zero: h2 scaled by the time fraction.
 */
export function interpolateHistogram(t1: number, h1: FloatHistogram, t2: number, h2: FloatHistogram, t: number, isCounter: boolean): FloatHistogram {
  const f = (t - t1) / (t2 - t1);
  if (h1.usesCustomBuckets() !== h2.usesCustomBuckets()) throw new HistogramError('cannot interpolate between exponential and custom buckets');
  if (isCounter && h2.detectReset(h1)) {
    const r = h2.copy().mul(f);
    r.hint = 'reset';
    return r;
  }
  const diff = h2.copy();
  diff.sub(h1);
  diff.mul(f);
  const r = h1.copy();
  r.add(diff);
  // Between two samples without a reset: whether it resets relative to others is for
  // the counts to tell, not for either sample's stored hint.
  r.hint = h1.hint === 'gauge' || h2.hint === 'gauge' ? 'gauge' : 'unknown';
  return r.compact();
}

function mixNote(notes: RangeNotes, name: string, err: unknown): undefined {
  if (!(err instanceof HistogramError)) throw err;
  notes.warn(`vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${JSON.stringify(name)}`);
  return undefined;
}

/** rate/increase/delta over an anchored or smoothed window of histograms (ts/hs cover the extended window). */
export function extendedHistogramRate(
  f: string,
  ts: Float64Array,
  hs: readonly FloatHistogram[],
  rangeStart: number,
  rangeEnd: number,
  range: number,
  smoothed: boolean,
  name: string,
  notes: RangeNotes,
): FloatHistogram | undefined {
  const n = ts.length;
  const isCounter = f !== 'delta';
  if (smoothed && ts[0]! > rangeEnd) return undefined;
  let last = n - 1;
  let first = lastAtOrBefore(ts, last, rangeStart);
  if (smoothed) last = firstAtOrAfter(ts, n - 1, rangeEnd);
  if (ts[last]! <= rangeStart) return undefined;
  try {
    const leftInterp = smoothed && ts[first]! < rangeStart;
    const rightInterp = smoothed && last > 0 && ts[last]! > rangeEnd;
    const left = leftInterp ? interpolateHistogram(ts[first]!, hs[first]!, ts[first + 1]!, hs[first + 1]!, rangeStart, isCounter) : hs[first]!;
    const right = rightInterp ? interpolateHistogram(ts[last - 1]!, hs[last - 1]!, ts[last]!, hs[last]!, rangeEnd, isCounter) : hs[last]!;
    const leftSeg = leftInterp ? first : -1;
    const rightSeg = rightInterp ? last - 1 : -2;
    const rightIdx = rightInterp ? -1 : last;
    if (isCounter) {
      for (let k = first; k <= last; k++) {
        if (hs[k]!.hint === 'gauge') notes.warn(`this native histogram metric is not a counter: ${JSON.stringify(name)}`);
      }
    } else if (hs[first]!.hint !== 'gauge' || hs[last]!.hint !== 'gauge') {
      notes.warn(`this native histogram metric is not a gauge: ${JSON.stringify(name)}`);
    }
    const result = right.copy();
    result.sub(left);
    if (isCounter) {
      if (ts[first]! <= rangeStart) first++;
      if (ts[last]! >= rangeEnd) last--;
      let prev = left;
      for (let k = first; k <= last; k++) {
        let cur = hs[k]!;
        // A left boundary interpolated across this sample's reset already accounts for it.
        if (k === leftSeg + 1 && leftInterp && cur.hint === 'reset') {
          cur = cur.copy();
          cur.hint = 'unknown';
        }
        if (cur.detectReset(prev)) result.add(prev);
        prev = hs[k]!;
      }
      const rightInLoop = rightIdx >= first && rightIdx <= last;
      const sameSegment = leftInterp && rightInterp && leftSeg === rightSeg;
      if (!rightInLoop && !sameSegment && right.detectReset(prev)) result.add(prev);
    }
    if (f === 'rate') result.div(range / 1000);
    result.hint = 'gauge';
    return result.compact();
  } catch (err) {
    return mixNote(notes, name, err);
  }
}

/** changes/resets over an anchored window of mixed float and histogram points. */
export function extendedChangesResets(f: string, ts: Float64Array, vs: Float64Array, hs: readonly (FloatHistogram | undefined)[], rangeStart: number): number | undefined {
  const n = ts.length;
  if (n === 0 || ts[n - 1]! <= rangeStart) return undefined;
  const first = lastAtOrBefore(ts, n - 1, rangeStart);
  let c = 0;
  for (let k = first + 1; k < n; k++) {
    const a = hs[k - 1];
    const b = hs[k];
    if (a === undefined && b === undefined) {
      const x = vs[k - 1]!;
      const y = vs[k]!;
      if (f === 'changes' ? x !== y && !(x !== x && y !== y) : y < x) c++;
    } else if (a === undefined || b === undefined) c++;
    else if (f === 'changes' ? !b.equals(a) : b.detectReset(a)) c++;
  }
  return c;
}

/** A smoothed vector selector's value at t from the points in (t - lookback, t + lookback]. */
export function smoothedHistogramAt(
  ts: Float64Array,
  hs: readonly (FloatHistogram | undefined)[],
  lo: number,
  hi: number,
  t: number,
  name: string,
  notes: RangeNotes,
): FloatHistogram | undefined {
  let floats = 0;
  for (let k = lo; k < hi; k++) if (hs[k] === undefined) floats++;
  if (floats > 0) {
    notes.warn(`encountered a mix of histograms and floats for metric name ${JSON.stringify(name)}`);
    return undefined;
  }
  let k = lo;
  while (k < hi && ts[k]! < t) k++;
  if (k < hi && ts[k] === t) return hs[k]!;
  if (k > lo && k < hi) {
    const h1 = hs[k - 1]!;
    const h2 = hs[k]!;
    try {
      return interpolateHistogram(ts[k - 1]!, h1, ts[k]!, h2, t, h2.hint !== 'gauge');
    } catch (err) {
      return mixNote(notes, name, err);
    }
  }
  if (k > lo) return hs[k - 1]!;
  return undefined;
}
