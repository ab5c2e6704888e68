/**
 * Functions over range vectors for series that hold native histograms: the
 * histogram flavours of rate/increase/delta/irate/idelta, sum/avg_over_time and
 * the functions that only count or pick points. Other functions see only the
 * window's float points.
 */
import type { RangeKernel, WindowContext } from '../range-functions.ts';
import type { FloatHistogram } from './float-histogram.ts';
import { HistogramError } from './float-histogram.ts';
import { sumHistograms } from './sum.ts';
import { isStartTimestampReset, overlapWarning, startTimeOverlaps, stExtrapolationFactor, stFloatInstant, stFloatRate, stFloatResets } from '../start-timestamps.ts';

export interface RangeNotes {
  warn(text: string): void;
  info(text: string): void;
}

/** Functions whose result counts or picks points, histogram or not. */
const ANY_POINT = new Set(['count_over_time', 'present_over_time', 'absent_over_time', 'last_over_time', 'first_over_time', 'ts_of_last_over_time', 'ts_of_first_over_time']);

function mixWarning(notes: RangeNotes, name: string): undefined {
  notes.warn(`encountered a mix of histograms and floats for metric name ${JSON.stringify(name)}`);
  return undefined;
}

function schemaMixWarning(notes: RangeNotes, name: string): undefined {
  notes.warn(`vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${JSON.stringify(name)}`);
  return undefined;
}

/** Prometheus's histogramRate: last - first with counter resets added back, as a gauge histogram. */
function histogramIncrease(hs: readonly FloatHistogram[], isCounter: boolean, name: string, notes: RangeNotes, ts: Float64Array, sts: Float64Array | undefined): FloatHistogram | undefined {
  // Whether sample k restarted the counter according to start timestamps.
  const stReset = (k: number): boolean => sts !== undefined && isStartTimestampReset(sts[k - 1]!, ts[k - 1]!, sts[k]!, ts[k]!);
  let prev = hs[0]!;
  const last = hs[hs.length - 1]!;
  if (isCounter && (prev.hint === 'gauge' || last.hint === 'gauge')) notes.warn(`this native histogram metric is not a counter: ${JSON.stringify(name)}`);
  let custom = prev.usesCustomBuckets();
  if (isCounter && hs.length > 1) {
    const second = hs[1]!;
    // A reset right after the first point: the first point's layout does not matter.
    if (stReset(1) || second.detectReset(prev)) {
      const empty = prev.copy();
      empty.mul(0);
      empty.schema = second.schema;
      empty.customValues = second.customValues;
      empty.posIdx = [];
      empty.posCnt = [];
      empty.negIdx = [];
      empty.negCnt = [];
      empty.zeroThreshold = 0;
      empty.sum = 0;
      empty.count = 0;
      empty.zeroCount = 0;
      prev = empty;
      custom = second.usesCustomBuckets();
    }
  }
  if (last.usesCustomBuckets() !== custom) return schemaMixWarning(notes, name);
  let minSchema = Math.min(prev.schema, last.schema);
  for (let k = 1; k < hs.length - 1; k++) {
    const cur = hs[k]!;
    if (!isCounter) continue;
    if (cur.hint === 'gauge') notes.warn(`this native histogram metric is not a counter: ${JSON.stringify(name)}`);
    if (cur.schema < minSchema) minSchema = cur.schema;
    if (cur.usesCustomBuckets() !== custom) return schemaMixWarning(notes, name);
  }
  const h = last.copy().reduceResolution(minSchema);
  let reconciled = false;
  try {
    reconciled = h.sub(prev).customBucketsReconciled || reconciled;
    if (isCounter) {
      let p = prev;
      let overlap = false;
      for (let k = 1; k < hs.length; k++) {
        const cur = hs[k]!;
        if (!overlap && sts !== undefined && startTimeOverlaps(sts[k - 1]!, ts[k - 1]!, sts[k]!)) {
          notes.warn(overlapWarning(name));
          overlap = true;
        }
        if (stReset(k) || cur.detectReset(p)) reconciled = h.add(p).customBucketsReconciled || reconciled;
        p = cur;
      }
    } else if (hs[0]!.hint !== 'gauge' || last.hint !== 'gauge') {
      notes.warn(`this native histogram metric is not a gauge: ${JSON.stringify(name)}`);
    }
  } catch (err) {
    if (err instanceof HistogramError) return schemaMixWarning(notes, name);
    throw err;
  }
  if (reconciled) notes.info(`mismatched custom buckets were reconciled during ${isCounter ? 'addition' : 'subtraction'}`);
  h.hint = 'gauge';
  return h.compact();
}

function extrapolated(f: string, ts: Float64Array, hs: readonly FloatHistogram[], lo: number, hi: number, c: WindowContext, name: string, notes: RangeNotes, sts: Float64Array | undefined): FloatHistogram | undefined {
  const n = hi - lo;
  const isCounter = f !== 'delta';
  if (sts !== undefined) {
    let result: FloatHistogram | undefined;
    if (n > 1) {
      result = histogramIncrease(hs, isCounter, name, notes, ts.subarray(lo, hi), sts.subarray(lo, hi));
      if (result === undefined) return undefined;
    }
    const x = stExtrapolationFactor(ts, sts, lo, hi, c, isCounter, f === 'rate', hs[0]!.count, result?.count ?? 0);
    if (x === undefined) return undefined;
    if (x.addFirst) {
      if (result === undefined) result = hs[0]!.copy();
      else result.add(hs[0]!);
    }
    result!.hint = 'gauge';
    return result!.mul(x.factor).compact();
  }
  if (n < 2) return undefined;
  const result = histogramIncrease(hs, isCounter, name, notes, ts, undefined);
  if (result === undefined) return undefined;
  const firstT = ts[lo]!;
  const lastT = ts[hi - 1]!;
  let durationToStart = (firstT - c.rangeStart) / 1000;
  let durationToEnd = (c.rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const avg = sampledInterval / (n - 1);
  const threshold = avg * 1.1;
  if (durationToStart >= threshold) durationToStart = avg / 2;
  if (isCounter && result.count > 0 && hs[0]!.count >= 0) {
    const durationToZero = sampledInterval * (hs[0]!.count / result.count);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= threshold) durationToEnd = avg / 2;
  let factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (f === 'rate') factor /= c.rangeMs / 1000;
  return result.mul(factor);
}

function instant(f: string, ts: Float64Array, a: FloatHistogram, b: FloatHistogram, ta: number, tb: number, name: string, notes: RangeNotes, stReset = false): FloatHistogram | undefined {
  const isRate = f === 'irate';
  const r = b.copy();
  if (isRate && (a.hint === 'gauge' || b.hint === 'gauge')) notes.warn(`this native histogram metric is not a counter: ${JSON.stringify(name)}`);
  if (!isRate && (a.hint !== 'gauge' || b.hint !== 'gauge')) notes.warn(`this native histogram metric is not a gauge: ${JSON.stringify(name)}`);
  void ts;
  if (!isRate || (!stReset && !b.detectReset(a))) {
    try {
      if (r.sub(a).customBucketsReconciled) notes.info('mismatched custom buckets were reconciled during subtraction');
    } catch (err) {
      if (err instanceof HistogramError) return schemaMixWarning(notes, name);
      throw err;
    }
  }
  r.hint = 'gauge';
  r.compact();
  if (isRate) {
    const interval = tb - ta;
    if (interval === 0) return undefined;
    r.div(interval / 1000);
  }
  return r;
}

/**
 * One step of range function f over the window [lo, hi) of a series holding native
 * histograms (hs aligned with ts, undefined for float points). Returns a float, a
 * histogram, or undefined for no output.
 */
export function histogramRangeKernel(
  f: string,
  ts: Float64Array,
  vs: Float64Array,
  hs: readonly (FloatHistogram | undefined)[],
  lo: number,
  hi: number,
  c: WindowContext,
  floatKernel: RangeKernel,
  name: string,
  notes: RangeNotes,
  sts?: Float64Array,
): number | FloatHistogram | undefined {
  let nh = 0;
  for (let k = lo; k < hi; k++) if (hs[k] !== undefined) nh++;
  if (nh === 0) {
    if (sts !== undefined) {
      if (f === 'resets') return stFloatResets(ts, vs, sts, lo, hi);
      if (f === 'irate' || f === 'idelta') return stFloatInstant(f, ts, vs, sts, lo, hi);
      if (f === 'rate' || f === 'increase' || f === 'delta') return stFloatRate(f, ts, vs, sts, lo, hi, c, name, notes);
    }
    return floatKernel(ts, vs, lo, hi, c);
  }
  const nf = hi - lo - nh;
  if (ANY_POINT.has(f)) {
    if (f === 'last_over_time') return hs[hi - 1] ?? vs[hi - 1]!;
    if (f === 'first_over_time') return hs[lo] ?? vs[lo]!;
    return floatKernel(ts, vs, lo, hi, c);
  }
  switch (f) {
    case 'rate':
    case 'increase':
    case 'delta':
      if (nf > 0) return mixWarning(notes, name);
      return extrapolated(f, ts, hs.slice(lo, hi) as FloatHistogram[], lo, hi, c, name, notes, sts);
    case 'irate':
    case 'idelta': {
      if (hi - lo < 2) return undefined;
      const a = hs[hi - 2];
      const b = hs[hi - 1];
      if (a === undefined && b === undefined) return floatKernel(ts, vs, lo, hi, c);
      if (a === undefined || b === undefined) return mixWarning(notes, name);
      const stReset = sts !== undefined && isStartTimestampReset(sts[hi - 2]!, ts[hi - 2]!, sts[hi - 1]!, ts[hi - 1]!);
      return instant(f, ts, a, b, ts[hi - 2]!, ts[hi - 1]!, name, notes, stReset);
    }
    case 'sum_over_time':
    case 'avg_over_time': {
      if (nf > 0) return mixWarning(notes, name);
      const list: FloatHistogram[] = [];
      for (let k = lo; k < hi; k++) list.push(hs[k]!);
      let res;
      try {
        res = sumHistograms(list, f === 'avg_over_time');
      } catch (err) {
        if (err instanceof HistogramError) return schemaMixWarning(notes, name);
        throw err;
      }
      if (res.counterResetCollision) notes.warn('conflicting counter resets during histogram aggregation');
      if (res.customBucketsReconciled) notes.info('mismatched custom buckets were reconciled during aggregation');
      return res.h.compact();
    }
    case 'changes':
    case 'resets': {
      let n = 0;
      for (let k = lo + 1; k < hi; k++) {
        const a = hs[k - 1];
        const b = hs[k];
        if (f === 'changes') {
          if (a === undefined && b === undefined) {
            const x = vs[k - 1]!;
            const y = vs[k]!;
            if (x !== y && !(x !== x && y !== y)) n++;
          } else if (a === undefined || b === undefined || !b.equals(a)) n++;
        } else if (a === undefined && b === undefined) {
          if (vs[k]! < vs[k - 1]!) n++;
        } else if (a !== undefined && b !== undefined) {
          if (b.detectReset(a) || (sts !== undefined && isStartTimestampReset(sts[k - 1]!, ts[k - 1]!, sts[k]!, ts[k]!))) n++;
        } else n++;
      }
      return n;
    }
    default: {
      // Float-only functions: the window's float points alone.
      if (nf === 0) return undefined;
      notes.info(`ignored histograms in a range containing both floats and histograms for metric name ${JSON.stringify(name)}`);
      const fts = new Float64Array(nf);
      const fvs = new Float64Array(nf);
      let j = 0;
      for (let k = lo; k < hi; k++) {
        if (hs[k] !== undefined) continue;
        fts[j] = ts[k]!;
        fvs[j++] = vs[k]!;
      }
      return floatKernel(fts, fvs, 0, nf, c);
    }
  }
}
