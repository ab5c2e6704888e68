/**
 * An in-memory Querier over column-stored series: used by the PromQL test runner
 * and unit tests. Series are kept sorted by labels; appends must be in time order
 * per series (like a TSDB head without out-of-order ingestion).
 */
import type { Labels } from '../model/labels.ts';
import { compareLabels, labelsKey } from '../model/labels.ts';
import type { Matcher } from '../model/matchers.ts';
import { matches } from '../model/matchers.ts';
import type { FloatHistogram } from '../engine/histogram/float-histogram.ts';
import type { SeriesSamples } from '../model/samples.ts';
import type { Querier, SelectHints } from './queryable.ts';

interface StoredSeries {
  labels: Labels;
  timestamps: Float64Array;
  values: Float64Array;
  length: number;
  /** Start timestamps of the float samples (0 = unknown); allocated on the first known one. */
  sts?: Float64Array;
  /** Native-histogram samples, kept apart so float-only series stay plain columns. */
  hTimestamps?: number[];
  hValues?: FloatHistogram[];
  hSts?: number[];
}

function labelValue(ls: Labels, name: string): string {
  for (const l of ls) if (l.name === name) return l.value;
  return '';
}

function lowerBound(ts: Float64Array, n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class MemoryQuerier implements Querier {
  readonly #byKey = new Map<string, StoredSeries>();
  #sorted: StoredSeries[] | undefined;
  /** Appends usually come in runs for one series: skip re-keying the same Labels object. */
  #lastLabels: Labels | undefined;
  #last: StoredSeries | undefined;

  /** Builds a querier holding copies of the given series. */
  static from(series: readonly SeriesSamples[]): MemoryQuerier {
    const q = new MemoryQuerier();
    for (const s of series) {
      for (let i = 0; i < s.timestamps.length; i++) q.append(s.labels, s.timestamps[i]!, s.values[i]!, s.startTimestamps?.[i] ?? 0);
      const h = s.histograms;
      if (h !== undefined) for (let i = 0; i < h.timestamps.length; i++) q.appendHistogram(s.labels, h.timestamps[i]!, h.values[i]!, h.startTimestamps?.[i] ?? 0);
    }
    return q;
  }

  #seriesFor(labels: Labels): StoredSeries {
    let s = labels === this.#lastLabels ? this.#last : undefined;
    if (s === undefined) {
      const key = labelsKey(labels);
      s = this.#byKey.get(key);
      if (s === undefined) {
        s = { labels, timestamps: new Float64Array(8), values: new Float64Array(8), length: 0 };
        this.#byKey.set(key, s);
        this.#sorted = undefined;
      }
    }
    this.#lastLabels = labels;
    this.#last = s;
    return s;
  }

  /**
   * Appends one native-histogram sample (not copied: callers must not mutate it). A
   * histogram at the timestamp of the last float sample replaces that sample, and the
   * other way round in append(), like an overwrite in the head.
   */
  appendHistogram(labels: Labels, timestamp: number, h: FloatHistogram, startTimestamp = 0): void {
    const s = this.#seriesFor(labels);
    if (s.length > 0 && s.timestamps[s.length - 1] === timestamp) s.length--;
    s.hTimestamps ??= [];
    s.hValues ??= [];
    const n = s.hTimestamps.length;
    if (n > 0) {
      const last = s.hTimestamps[n - 1]!;
      if (timestamp === last) {
        s.hValues[n - 1] = h;
        if (s.hSts !== undefined) s.hSts[n - 1] = startTimestamp;
        return;
      }
      if (timestamp < last) throw new RangeError(`Out of order sample for series ${JSON.stringify(labelsKey(labels))}: timestamp ${timestamp} is before ${last}`);
    }
    if (startTimestamp !== 0 && s.hSts === undefined) s.hSts = new Array<number>(n).fill(0);
    s.hTimestamps.push(timestamp);
    s.hValues.push(h);
    s.hSts?.push(startTimestamp);
  }

  /**
   * Appends one sample with an optional start timestamp (0 = unknown); a timestamp
   * equal to the last one overwrites it, an older one throws RangeError.
   */
  append(labels: Labels, timestamp: number, value: number, startTimestamp = 0): void {
    let s = labels === this.#lastLabels ? this.#last : undefined;
    const key = s === undefined ? labelsKey(labels) : '';
    if (s === undefined) s = this.#byKey.get(key);
    if (s === undefined) {
      s = { labels, timestamps: new Float64Array(8), values: new Float64Array(8), length: 0 };
      this.#byKey.set(key, s);
      this.#sorted = undefined;
    }
    this.#lastLabels = labels;
    this.#last = s;
    const hts = s.hTimestamps;
    if (hts !== undefined && hts.length > 0 && hts[hts.length - 1] === timestamp) {
      hts.pop();
      s.hValues!.pop();
      s.hSts?.pop();
    }
    if (startTimestamp !== 0 && s.sts === undefined) s.sts = new Float64Array(s.timestamps.length);
    if (s.length > 0) {
      const last = s.timestamps[s.length - 1]!;
      if (timestamp === last) {
        s.values[s.length - 1] = value;
        if (s.sts !== undefined) s.sts[s.length - 1] = startTimestamp;
        return;
      }
      if (timestamp < last) throw new RangeError(`Out of order sample for series ${JSON.stringify(labelsKey(labels))}: timestamp ${timestamp} is before ${last}`);
    }
    if (s.length === s.timestamps.length) {
      const ts = new Float64Array(s.length * 2);
      ts.set(s.timestamps);
      const vs = new Float64Array(s.length * 2);
      vs.set(s.values);
      s.timestamps = ts;
      s.values = vs;
      if (s.sts !== undefined) {
        const st = new Float64Array(s.length * 2);
        st.set(s.sts);
        s.sts = st;
      }
    }
    s.timestamps[s.length] = timestamp;
    s.values[s.length] = value;
    if (s.sts !== undefined) s.sts[s.length] = startTimestamp;
    s.length++;
  }

  clear(): void {
    this.#lastLabels = undefined;
    this.#last = undefined;
    this.#byKey.clear();
    this.#sorted = undefined;
  }

  get seriesCount(): number {
    return this.#byKey.size;
  }

  #all(): StoredSeries[] {
    if (this.#sorted === undefined) this.#sorted = [...this.#byKey.values()].sort((a, b) => compareLabels(a.labels, b.labels));
    return this.#sorted;
  }

  #matching(matchers: readonly Matcher[]): StoredSeries[] {
    return this.#all().filter((s) => matchers.every((m) => matches(m, labelValue(s.labels, m.name))));
  }

  async select(matchers: readonly Matcher[], hints: SelectHints): Promise<SeriesSamples[]> {
    const out: SeriesSamples[] = [];
    for (const s of this.#matching(matchers)) {
      const lo = lowerBound(s.timestamps, s.length, hints.start);
      const hi = lowerBound(s.timestamps, s.length, hints.end + 1);
      let hist: SeriesSamples['histograms'];
      if (s.hTimestamps !== undefined && s.hTimestamps.length > 0) {
        const hts = Float64Array.from(s.hTimestamps);
        const hlo = lowerBound(hts, hts.length, hints.start);
        const hhi = lowerBound(hts, hts.length, hints.end + 1);
        if (hhi > hlo) {
          hist = { timestamps: hts.slice(hlo, hhi), values: s.hValues!.slice(hlo, hhi) };
          if (s.hSts !== undefined) hist.startTimestamps = Float64Array.from(s.hSts.slice(hlo, hhi));
        }
      }
      if (hi <= lo && hist === undefined) continue;
      const ss: SeriesSamples = { labels: s.labels, timestamps: s.timestamps.slice(lo, hi), values: s.values.slice(lo, hi) };
      if (hist !== undefined) ss.histograms = hist;
      if (s.sts !== undefined) ss.startTimestamps = s.sts.slice(lo, hi);
      out.push(ss);
    }
    return out;
  }

  async series(matchers: readonly Matcher[], hints: SelectHints): Promise<Labels[]> {
    return (await this.select(matchers, hints)).map((s) => s.labels);
  }

  async labelNames(matchers: readonly Matcher[], _hints: SelectHints): Promise<string[]> {
    const names = new Set<string>();
    for (const s of matchers.length === 0 ? this.#all() : this.#matching(matchers)) for (const l of s.labels) names.add(l.name);
    return [...names].sort();
  }

  async labelValues(name: string, matchers: readonly Matcher[], _hints: SelectHints): Promise<string[]> {
    const vals = new Set<string>();
    for (const s of matchers.length === 0 ? this.#all() : this.#matching(matchers)) {
      const v = labelValue(s.labels, name);
      if (v !== '') vals.add(v);
    }
    return [...vals].sort();
  }
}
