/** The read side of one tenant's head, as the PromQL engine sees storage. */
import { compareLabels, type Labels } from '../../query/model/labels.ts';
import { newMatcher, type Matcher } from '../../query/model/matchers.ts';
import type { SeriesSamples } from '../../query/model/samples.ts';
import type { Querier, SelectHints } from '../../query/querier/queryable.ts';
import type { MemSeries } from './series.ts';
import type { TenantHead } from './tenant-head.ts';

function byLabels(a: MemSeries, b: MemSeries): number {
  return compareLabels(a.labels, b.labels);
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

  constructor(getHead: () => TenantHead | undefined) {
    this.#getHead = getHead;
  }

  #select(matchers: readonly Matcher[], hints: SelectHints): MemSeries[] {
    hints.signal?.throwIfAborted();
    const h = this.#getHead();
    if (h === undefined) return [];
    return h.select(matchers, hints.start, hints.end);
  }

  async select(matchers: readonly Matcher[], hints: SelectHints): Promise<SeriesSamples[]> {
    const series = this.#select(matchers, hints).sort(byLabels);
    const out: SeriesSamples[] = new Array(series.length);
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      const { timestamps, values } = s.read(hints.start, hints.end);
      out[i] = { labels: s.labels, timestamps, values };
    }
    return out;
  }

  async series(matchers: readonly Matcher[], hints: SelectHints): Promise<Labels[]> {
    return this.#select(matchers, hints).sort(byLabels).map((s) => s.labels);
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
