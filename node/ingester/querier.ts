/** The read side of one tenant's head, as the PromQL engine sees storage. */
import type { Labels } from '../../query/model/labels.ts';
import { newMatcher, type Matcher } from '../../query/model/matchers.ts';
import type { SeriesSamples } from '../../query/model/samples.ts';
import type { Querier, SelectHints } from '../../query/querier/queryable.ts';
import type { LabelOrderCache } from './label-order-cache.ts';
import type { MemSeries } from './series.ts';
import type { TenantHead } from './tenant-head.ts';

/**
 * compareLabels with an identity check first: the head interns Label objects, so series
 * sharing a pair (the metric name, job, ...) skip the string comparisons for it.
 */
function byLabels(a: MemSeries, b: MemSeries): number {
  const x = a.labels;
  const y = b.labels;
  const n = x.length < y.length ? x.length : y.length;
  for (let i = 0; i < n; i++) {
    const l = x[i]!;
    const r = y[i]!;
    if (l === r) continue;
    if (l.name !== r.name) return l.name < r.name ? -1 : 1;
    if (l.value !== r.value) return l.value < r.value ? -1 : 1;
  }
  return x.length - y.length;
}

function sortedStrings(set: Set<string>): string[] {
  return [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Querier over one tenant's head. `getHead` is called per query so a querier
 * made before the tenant's first push still sees its data. Samples are queryable
 * as soon as they are appended (before the WAL write resolves).
 */
export class HeadQuerier implements Querier {
  #getHead: () => TenantHead | undefined;
  #orderCache: ((h: TenantHead) => LabelOrderCache) | undefined;

  /** @param orderCache the head's cache of label orders of recent selections (none: sort every time) */
  constructor(getHead: () => TenantHead | undefined, orderCache?: (h: TenantHead) => LabelOrderCache) {
    this.#getHead = getHead;
    this.#orderCache = orderCache;
  }

  #select(matchers: readonly Matcher[], hints: SelectHints): MemSeries[] {
    hints.signal?.throwIfAborted();
    const h = this.#getHead();
    if (h === undefined) return [];
    return h.select(matchers, hints.start, hints.end);
  }

  /** Matching series sorted by labels. */
  #selectSorted(matchers: readonly Matcher[], hints: SelectHints): MemSeries[] {
    hints.signal?.throwIfAborted();
    const h = this.#getHead();
    if (h === undefined) return [];
    const series = h.select(matchers, hints.start, hints.end);
    return this.#orderCache !== undefined ? this.#orderCache(h).sorted(series, byLabels) : series.sort(byLabels);
  }

  async select(matchers: readonly Matcher[], hints: SelectHints): Promise<SeriesSamples[]> {
    const series = this.#selectSorted(matchers, hints);
    const { start, end } = hints;
    let total = 0;
    for (let i = 0; i < series.length; i++) total += series[i]!.sampleBound(start, end);
    // One pair of columns for the whole selection, handed out as views: a typed array per
    // series would allocate its own backing store each, which costs more than decoding.
    const ts = new Float64Array(total);
    const vs = new Float64Array(total);
    const out: SeriesSamples[] = new Array(series.length);
    let o = 0;
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      const k = s.readInto(start, end, ts, vs, o);
      // The view constructor is cheaper than subarray() (no species lookup).
      out[i] = { labels: s.labels, timestamps: new Float64Array(ts.buffer, o * 8, k), values: new Float64Array(vs.buffer, o * 8, k) };
      o += k;
    }
    return out;
  }

  async series(matchers: readonly Matcher[], hints: SelectHints): Promise<Labels[]> {
    return this.#selectSorted(matchers, hints).map((s) => s.labels);
  }

  async labelNames(matchers: readonly Matcher[], hints: SelectHints): Promise<string[]> {
    const h = this.#getHead();
    if (h === undefined) return [];
    if (matchers.length === 0 && this.#coversAll(h, hints)) return h.postings.labelNames();
    const names = new Set<string>();
    for (const s of this.#select(matchers, hints)) for (const l of s.labels) names.add(l.name);
    return sortedStrings(names);
  }

  async labelValues(name: string, matchers: readonly Matcher[], hints: SelectHints): Promise<string[]> {
    const h = this.#getHead();
    if (h === undefined) return [];
    if (matchers.length === 0 && this.#coversAll(h, hints)) return h.postings.labelValues(name);
    // Only series carrying the label can contribute a value: `name!=""` lets the index do that.
    const ms = [...matchers, newMatcher('!=', name, '')];
    const values = new Set<string>();
    for (const s of this.#select(ms, hints)) {
      for (const l of s.labels) {
        if (l.name === name) {
          values.add(l.value);
          break;
        }
      }
    }
    return sortedStrings(values);
  }

  /** True when [start, end] spans every sample the tenant holds, so the index alone answers label queries. */
  #coversAll(h: TenantHead, hints: SelectHints): boolean {
    return hints.end >= h.maxTime && hints.start <= h.minTime;
  }
}
