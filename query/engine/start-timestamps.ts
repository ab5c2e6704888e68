/**
 * Start timestamps (the time a cumulative counter started, or a delta's interval
 * began; 0 = unknown) in rate/increase/irate/resets: a start timestamp after the
 * previous sample marks a counter reset, and one inside the range stands for a zero
 * sample there instead of extrapolating to the left.
 */
import type { WindowContext } from './range-functions.ts';

/** Whether the current sample restarted the counter, judging by start timestamps. */
export function isStartTimestampReset(prevSt: number, prevT: number, curSt: number, curT: number): boolean {
  // Unknown, invalid (after its sample) or OTel's "unknown start" (equal to its sample).
  if (curSt === 0 || curSt >= curT) return false;
  if (curSt < prevT) return false;
  if (curSt > prevT) return true;
  // Pointing exactly at the previous sample: a delta (reset) when the previous start
  // was known and valid, a cumulative series with unknown start otherwise.
  if (prevSt > prevT) return false;
  return prevSt !== 0 && prevSt !== prevT;
}

/** A start timestamp reaching back before the previous sample, unlike a delta's or a steady cumulative's. */
export function startTimeOverlaps(prevSt: number, prevT: number, curSt: number): boolean {
  return curSt !== 0 && curSt < prevT && curSt !== prevSt;
}

export interface StNotes {
  warn(text: string): void;
}

export function overlapWarning(name: string): string {
  return `sample has start time that overlaps with previous sample timestamp for metric ${JSON.stringify(name)}`;
}

/**
 * rate/increase/delta over [lo, hi) of a float series with start timestamps.
 * Returns the unextrapolated increase plus the extrapolation parameters through
 * extrapolate(), shared with histograms.
 */
export function stExtrapolationFactor(
  ts: Float64Array,
  sts: Float64Array,
  lo: number,
  hi: number,
  c: WindowContext,
  isCounter: boolean,
  isRate: boolean,
  firstValue: number,
  result: number,
): { factor: number; addFirst: boolean } | undefined {
  const n = hi - lo;
  const firstT = ts[lo]!;
  const lastT = ts[hi - 1]!;
  let durationToStart = (firstT - c.rangeStart) / 1000;
  let durationToEnd = (c.rangeEnd - lastT) / 1000;
  let sampledInterval = (lastT - firstT) / 1000;
  const avg = n > 1 ? sampledInterval / (n - 1) : 0;
  const threshold = avg * 1.1;
  const st0 = sts[lo]!;
  let addFirst = false;
  if (isCounter && st0 !== 0 && st0 > c.rangeStart && st0 < firstT) {
    // A zero sample at the start time replaces extrapolation to the left.
    durationToStart = 0;
    sampledInterval = (lastT - st0) / 1000;
    addFirst = true;
  } else if (n === 1) {
    return undefined;
  } else {
    if (durationToStart >= threshold) durationToStart = avg / 2;
    if (isCounter) {
      let durationToZero = durationToStart;
      if (result > 0 && firstValue >= 0) durationToZero = sampledInterval * (firstValue / result);
      if (durationToZero < durationToStart) durationToStart = durationToZero;
    }
  }
  if (durationToEnd >= threshold) durationToEnd = avg / 2;
  let factor = sampledInterval !== 0 ? (sampledInterval + durationToStart + durationToEnd) / sampledInterval : 1;
  if (isRate) factor /= c.rangeMs / 1000;
  return { factor, addFirst };
}

/** Float rate/increase/delta with start timestamps. */
export function stFloatRate(f: string, ts: Float64Array, vs: Float64Array, sts: Float64Array, lo: number, hi: number, c: WindowContext, name: string, notes: StNotes): number | undefined {
  const isCounter = f !== 'delta';
  let result = vs[hi - 1]! - vs[lo]!;
  if (isCounter) {
    let overlap = false;
    for (let i = lo + 1; i < hi; i++) {
      if (!overlap && startTimeOverlaps(sts[i - 1]!, ts[i - 1]!, sts[i]!)) {
        notes.warn(overlapWarning(name));
        overlap = true;
      }
      if (vs[i]! < vs[i - 1]! || isStartTimestampReset(sts[i - 1]!, ts[i - 1]!, sts[i]!, ts[i]!)) result += vs[i - 1]!;
    }
  }
  const x = stExtrapolationFactor(ts, sts, lo, hi, c, isCounter, f === 'rate', vs[lo]!, result);
  if (x === undefined) return undefined;
  if (x.addFirst) result += vs[lo]!;
  return result * x.factor;
}

/** Float irate/idelta with start timestamps. */
export function stFloatInstant(f: string, ts: Float64Array, vs: Float64Array, sts: Float64Array, lo: number, hi: number): number | undefined {
  if (hi - lo < 2) return undefined;
  const i1 = hi - 1;
  const i0 = hi - 2;
  const interval = ts[i1]! - ts[i0]!;
  if (interval === 0) return undefined;
  const isRate = f === 'irate';
  let r = vs[i1]!;
  if (!isRate || !(vs[i1]! < vs[i0]! || isStartTimestampReset(sts[i0]!, ts[i0]!, sts[i1]!, ts[i1]!))) r = vs[i1]! - vs[i0]!;
  if (isRate) r /= interval / 1000;
  return r;
}

/** resets() with start timestamps. */
export function stFloatResets(ts: Float64Array, vs: Float64Array, sts: Float64Array, lo: number, hi: number): number {
  let n = 0;
  for (let i = lo + 1; i < hi; i++) if (vs[i]! < vs[i - 1]! || isStartTimestampReset(sts[i - 1]!, ts[i - 1]!, sts[i]!, ts[i]!)) n++;
  return n;
}
