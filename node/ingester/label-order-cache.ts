/**
 * Remembers the label order of recently selected series sets of one tenant head.
 * Queriers must return series sorted by labels, and sorting thousands of label sets
 * costs more than decoding their samples; dashboards re-run the same selectors, so
 * the order of a set seen before is looked up instead of sorted again.
 *
 * A set is identified by its MemSeries objects (in ref order). Labels of a MemSeries
 * never change and a removed series is never revived as the same object, so an exact
 * identity match means the cached order is still right.
 */
import type { MemSeries } from './series.ts';

interface Entry {
  /** The selected series in the order they were given (ref order). */
  input: MemSeries[];
  /** Sorted position → index into input. */
  order: Uint32Array;
}

export interface LabelOrderCacheConfig {
  /**
   * Series sets remembered (least recently used dropped first). Entries pin their
   * MemSeries objects, so keep this small.
   * @default 16
   */
  maxEntries?: number;
  /**
   * Sets smaller than this are sorted every time (cheap enough, not worth an entry).
   * @default 64
   */
  minSeries?: number;
}

export class LabelOrderCache {
  readonly #maxEntries: number;
  readonly #minSeries: number;
  /** By a hash of the refs; Map order doubles as the LRU order. */
  readonly #entries = new Map<number, Entry>();

  constructor(cfg: LabelOrderCacheConfig = {}) {
    this.#maxEntries = cfg.maxEntries ?? 16;
    this.#minSeries = cfg.minSeries ?? 64;
  }

  /** `series` sorted with `compare` (a new array; the input is not changed). */
  sorted(series: MemSeries[], compare: (a: MemSeries, b: MemSeries) => number): MemSeries[] {
    const n = series.length;
    if (n < this.#minSeries || this.#maxEntries <= 0) return series.slice().sort(compare);
    let h = 0x811c9dc5 ^ n;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ series[i]!.ref, 0x01000193);
    const hit = this.#entries.get(h);
    if (hit !== undefined && sameSeries(hit.input, series)) {
      this.#entries.delete(h);
      this.#entries.set(h, hit); // most recently used last
      const out: MemSeries[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = series[hit.order[i]!]!;
      return out;
    }
    const idx = new Array<number>(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    idx.sort((a, b) => compare(series[a]!, series[b]!));
    const order = Uint32Array.from(idx);
    this.#entries.delete(h);
    this.#entries.set(h, { input: series.slice(), order });
    if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    const out: MemSeries[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = series[order[i]!]!;
    return out;
  }
}

function sameSeries(a: readonly MemSeries[], b: readonly MemSeries[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
