/**
 * Inverted index of one tenant's head: label name → value → sorted series refs.
 * Refs are handed out in increasing order, so appending keeps every list sorted.
 * The index also interns labels: every series shares the Label object stored in
 * its postings entry, so a popular pair like job="node" exists once.
 */
import type { Label, Labels } from '../../query/model/labels.ts';
import { matches, type Matcher } from '../../query/model/matchers.ts';

/** A sorted list of series refs. */
export type Refs = ArrayLike<number>;

interface Entry {
  label: Label;
  refs: number[];
}

const EMPTY: readonly number[] = [];

function isPlainLabel(l: Label): boolean {
  if (Object.getPrototypeOf(l) !== Object.prototype) return false;
  let n = 0;
  for (const k in l) {
    if (k !== 'name' && k !== 'value') return false;
    n++;
  }
  return n === 2 && typeof l.name === 'string' && typeof l.value === 'string';
}

export class MemPostings {
  #byName = new Map<string, Map<string, Entry>>();
  #all: number[] = [];

  /** Number of series indexed. */
  get size(): number {
    return this.#all.length;
  }

  /**
   * Indexes a new series and returns its labels rebuilt from interned Label objects
   * (the input array itself when it already consists of exactly those objects, as
   * remote write's shared label arrays usually do: no second copy per series).
   * `ref` must be greater than every ref added before.
   */
  add(ref: number, labels: Labels): Labels {
    const out: Label[] = new Array(labels.length);
    let same = true;
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      let values = this.#byName.get(l.name);
      if (values === undefined) {
        values = new Map();
        this.#byName.set(l.name, values);
      }
      let e = values.get(l.value);
      if (e === undefined) {
        // A plain {name, value} object is immutable by type and holds nothing else: keep it as the interned one.
        e = { label: isPlainLabel(l) ? l : { name: l.name, value: l.value }, refs: [] };
        values.set(l.value, e);
      }
      pushSorted(e.refs, ref);
      out[i] = e.label;
      if (e.label !== l) same = false;
    }
    pushSorted(this.#all, ref);
    return same ? labels : out;
  }

  /** Removes series in one pass per touched list (GC removes many at once). */
  remove(series: Iterable<{ ref: number; labels: Labels }>): void {
    const gone = new Set<number>();
    const touched = new Set<Entry>();
    for (const s of series) {
      gone.add(s.ref);
      for (const l of s.labels) {
        const e = this.#byName.get(l.name)?.get(l.value);
        if (e !== undefined) touched.add(e);
      }
    }
    if (gone.size === 0) return;
    for (const e of touched) {
      e.refs = e.refs.filter((r) => !gone.has(r));
      if (e.refs.length === 0) {
        const values = this.#byName.get(e.label.name)!;
        values.delete(e.label.value);
        if (values.size === 0) this.#byName.delete(e.label.name);
      }
    }
    this.#all = this.#all.filter((r) => !gone.has(r));
  }

  /** Refs of series with name=value (empty when none). */
  get(name: string, value: string): Refs {
    return this.#byName.get(name)?.get(value)?.refs ?? EMPTY;
  }

  /** Count of series with name=value. */
  count(name: string, value: string): number {
    return this.#byName.get(name)?.get(value)?.refs.length ?? 0;
  }

  all(): Refs {
    return this.#all;
  }

  /** Sorted label names present in the index. */
  labelNames(): string[] {
    return [...this.#byName.keys()].sort(compareStrings);
  }

  /** Sorted values of one label. */
  labelValues(name: string): string[] {
    const values = this.#byName.get(name);
    return values === undefined ? [] : [...values.keys()].sort(compareStrings);
  }

  /**
   * Refs of series matching every matcher, with Prometheus semantics: a missing
   * label counts as the empty value. Matchers that do not match "" intersect the
   * postings of their matching values; matchers that match "" subtract the series
   * their inverse selects. Only when every matcher matches "" does the selection
   * start from all series (as PromQL requires at least one non-empty matcher, the
   * engine never asks for that; label APIs may).
   */
  select(matchers: readonly Matcher[]): Refs {
    const positive: Matcher[] = [];
    const negative: Matcher[] = [];
    for (const m of matchers) {
      if (isMatchAll(m)) continue; // =~".*" selects everything, label or not
      if (matches(m, '')) negative.push(m);
      else positive.push(m);
    }
    let cur: Refs | null = null;
    // Cheapest lists first keeps intersections small.
    const lists = positive.map((m) => this.#postingsFor(m)).sort((a, b) => a.length - b.length);
    for (const p of lists) {
      cur = cur === null ? p : intersect(cur, p);
      if (cur.length === 0) return EMPTY;
    }
    if (cur === null) cur = this.#all;
    for (const m of negative) {
      const inv = this.#postingsFor(inverse(m));
      if (inv.length > 0) cur = subtract(cur, inv);
      if (cur.length === 0) return EMPTY;
    }
    return cur;
  }

  /** Union of postings of the label values `m` accepts; `m` must not match "". */
  #postingsFor(m: Matcher): Refs {
    const values = this.#byName.get(m.name);
    if (values === undefined) return EMPTY;
    if (m.type === '=') return values.get(m.value)?.refs ?? EMPTY;
    const lists: number[][] = [];
    const alts = m.type === '=~' ? literalAlternatives(m.value) : null;
    if (alts !== null) {
      for (const a of alts) {
        const e = values.get(a);
        if (e !== undefined) lists.push(e.refs);
      }
    } else {
      for (const [v, e] of values) if (matches(m, v)) lists.push(e.refs);
    }
    return unionDisjoint(lists);
  }
}

function pushSorted(a: number[], ref: number): void {
  const n = a.length;
  if (n === 0 || a[n - 1]! < ref) {
    a.push(ref);
    return;
  }
  // Restoring a checkpoint may re-add in any order; keep the list sorted and unique.
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < ref) lo = mid + 1;
    else hi = mid;
  }
  if (a[lo] !== ref) a.splice(lo, 0, ref);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isMatchAll(m: Matcher): boolean {
  return m.type === '=~' && (m.value === '.*' || m.value === '(.*)' || m.value === '.*?');
}

function inverse(m: Matcher): Matcher {
  const type = m.type === '=' ? '!=' : m.type === '!=' ? '=' : m.type === '=~' ? '!~' : '=~';
  return { type, name: m.name, value: m.value, re: m.re };
}

const META = /[\\^$.|?*+()[\]{}]/;

/** For a regex that is only literals joined by `|` (e.g. `a|b|c`), the literals; else null. */
export function literalAlternatives(re: string): string[] | null {
  const parts = re.split('|');
  for (const p of parts) if (META.test(p)) return null;
  return parts;
}

/** Union of sorted lists known to be disjoint (values of one label name never share a series). */
function unionDisjoint(lists: number[][]): Refs {
  if (lists.length === 0) return EMPTY;
  if (lists.length === 1) return lists[0]!;
  let total = 0;
  for (const l of lists) total += l.length;
  const out = new Uint32Array(total);
  let o = 0;
  for (const l of lists) {
    out.set(l, o);
    o += l.length;
  }
  return out.sort();
}

/** Intersection of two sorted lists; gallops through the longer one when sizes differ a lot. */
export function intersect(a: Refs, b: Refs): Refs {
  if (a.length > b.length) [a, b] = [b, a];
  const out: number[] = [];
  if (a.length * 16 < b.length) {
    let lo = 0;
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!;
      let hi = b.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (b[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      if (lo === b.length) break;
      if (b[lo] === x) out.push(x);
    }
    return out;
  }
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out;
}

/** a minus b, both sorted. */
export function subtract(a: Refs, b: Refs): Refs {
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    while (j < b.length && b[j]! < x) j++;
    if (j < b.length && b[j] === x) continue;
    out.push(x);
  }
  return out;
}
