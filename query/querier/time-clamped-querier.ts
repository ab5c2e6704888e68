/**
 * A Querier that only answers for time up to a moving bound: the long-term store
 * behind it is asked only for data older than `notAfter()` (Cortex's
 * query-store-after), because newer data is known to be in the ingesters. Requests
 * entirely after the bound return nothing without touching the store.
 */
import type { Labels } from '../model/labels.ts';
import type { Matcher } from '../model/matchers.ts';
import type { SeriesSamples } from '../model/samples.ts';
import type { Querier, SelectHints } from './queryable.ts';

export class TimeClampedQuerier implements Querier {
  #inner: Querier;
  #notAfter: () => number;

  /** `notAfter` is read on every call: the bound moves with the clock. */
  constructor(inner: Querier, notAfter: () => number) {
    this.#inner = inner;
    this.#notAfter = notAfter;
  }

  async select(matchers: readonly Matcher[], hints: SelectHints): Promise<SeriesSamples[]> {
    const h = this.#clamp(hints);
    return h === null ? [] : this.#inner.select(matchers, h);
  }

  async series(matchers: readonly Matcher[], hints: SelectHints): Promise<Labels[]> {
    const h = this.#clamp(hints);
    return h === null ? [] : this.#inner.series(matchers, h);
  }

  async labelNames(matchers: readonly Matcher[], hints: SelectHints): Promise<string[]> {
    const h = this.#clamp(hints);
    return h === null ? [] : this.#inner.labelNames(matchers, h);
  }

  async labelValues(name: string, matchers: readonly Matcher[], hints: SelectHints): Promise<string[]> {
    const h = this.#clamp(hints);
    return h === null ? [] : this.#inner.labelValues(name, matchers, h);
  }

  #clamp(hints: SelectHints): SelectHints | null {
    const bound = this.#notAfter();
    if (hints.end <= bound) return hints;
    if (hints.start > bound) return null;
    return { ...hints, end: bound };
  }
}
