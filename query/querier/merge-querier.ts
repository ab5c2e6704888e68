/**
 * A Querier over several others (ingester replicas, the long-term store):
 * series with equal label sets are merged into one, and samples at the same
 * timestamp are kept once. Replicas hold the same samples, so which copy wins
 * does not matter; the first queried source wins for determinism.
 */
import { compareLabels, labelsKey, type Labels } from '../model/labels.ts';
import type { Matcher } from '../model/matchers.ts';
import type { SeriesSamples } from '../model/samples.ts';
import type { Querier, SelectHints } from './queryable.ts';

export interface MergeQuerierOptions {
  /**
   * How many sources may fail while the answer is still complete (RF - quorum
   * for ingester replicas). More failures reject the query.
   * @default 0
   */
  maxFailures?: number;
}

export class MergeQuerier implements Querier {
  readonly #sources: readonly Querier[];
  readonly #maxFailures: number;

  constructor(sources: readonly Querier[], opts: MergeQuerierOptions = {}) {
    this.#sources = sources;
    this.#maxFailures = opts.maxFailures ?? 0;
  }

  async #all<T>(fn: (q: Querier) => Promise<T>): Promise<T[]> {
    const settled = await Promise.allSettled(this.#sources.map(fn));
    const ok: T[] = [];
    const errors: unknown[] = [];
    for (const s of settled) {
      if (s.status === 'fulfilled') ok.push(s.value);
      else errors.push(s.reason);
    }
    if (errors.length > this.#maxFailures) throw errors[0];
    return ok;
  }

  async select(matchers: readonly Matcher[], hints: SelectHints): Promise<SeriesSamples[]> {
    const parts = await this.#all((q) => q.select(matchers, hints));
    // Usually only one source holds the range (head vs. store): each part is already sorted, skip the merge.
    let nonEmpty = -1;
    for (let i = 0; i < parts.length; i++) {
      if (parts[i]!.length === 0) continue;
      if (nonEmpty >= 0) return mergeSeriesSets(parts);
      nonEmpty = i;
    }
    if (nonEmpty < 0) return [];
    const only = parts[nonEmpty]!;
    // A source that breaks the contract (unsorted or repeated label sets) still gets the full merge.
    for (let i = 1; i < only.length; i++) if (!strictlyBefore(only[i - 1]!.labels, only[i]!.labels)) return mergeSeriesSets(parts);
    return only;
  }

  async series(matchers: readonly Matcher[], hints: SelectHints): Promise<Labels[]> {
    const parts = await this.#all((q) => q.series(matchers, hints));
    const byKey = new Map<string, Labels>();
    for (const p of parts) for (const ls of p) byKey.set(labelsKey(ls), ls);
    return [...byKey.values()].sort(compareLabels);
  }

  async labelNames(matchers: readonly Matcher[], hints: SelectHints): Promise<string[]> {
    return unionSorted(await this.#all((q) => q.labelNames(matchers, hints)));
  }

  async labelValues(name: string, matchers: readonly Matcher[], hints: SelectHints): Promise<string[]> {
    return unionSorted(await this.#all((q) => q.labelValues(name, matchers, hints)));
  }
}

/** compareLabels(a, b) < 0, skipping shared (interned) Label objects without comparing their strings. */
function strictlyBefore(a: Labels, b: Labels): boolean {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (x.name !== y.name) return x.name < y.name;
    if (x.value !== y.value) return x.value < y.value;
  }
  return a.length < b.length;
}

function unionSorted(parts: string[][]): string[] {
  const set = new Set<string>();
  for (const p of parts) for (const v of p) set.add(v);
  return [...set].sort();
}

/** Merges series sets from several sources; output sorted by labels, samples deduplicated by timestamp. */
export function mergeSeriesSets(parts: readonly SeriesSamples[][]): SeriesSamples[] {
  const byKey = new Map<string, SeriesSamples[]>();
  for (const p of parts) {
    for (const s of p) {
      const k = labelsKey(s.labels);
      const cur = byKey.get(k);
      if (cur) cur.push(s);
      else byKey.set(k, [s]);
    }
  }
  const out: SeriesSamples[] = [];
  for (const group of byKey.values()) out.push(group.length === 1 ? group[0]! : mergeSamples(group));
  return out.sort((a, b) => compareLabels(a.labels, b.labels));
}

/** k-way merge of sorted sample columns; equal timestamps are kept once (first source wins). */
export function mergeSamples(group: readonly SeriesSamples[]): SeriesSamples {
  let total = 0;
  for (const s of group) total += s.timestamps.length;
  const ts = new Float64Array(total);
  const vs = new Float64Array(total);
  const idx = new Array<number>(group.length).fill(0);
  let n = 0;
  for (;;) {
    let best = -1;
    let bestT = Infinity;
    for (let i = 0; i < group.length; i++) {
      const s = group[i]!;
      const j = idx[i]!;
      if (j < s.timestamps.length && s.timestamps[j]! < bestT) {
        bestT = s.timestamps[j]!;
        best = i;
      }
    }
    if (best < 0) break;
    ts[n] = bestT;
    vs[n] = group[best]!.values[idx[best]!]!;
    n++;
    // Skip this timestamp in every source: replicas carry the same sample.
    for (let i = 0; i < group.length; i++) {
      const s = group[i]!;
      while (idx[i]! < s.timestamps.length && s.timestamps[idx[i]!] === bestT) idx[i]!++;
    }
  }
  return { labels: group[0]!.labels, timestamps: ts.subarray(0, n), values: vs.subarray(0, n) };
}
