/**
 * Label set → series lookup. Collision-safe without building a key string per
 * lookup: a 32-bit FNV-1a hash of the labels picks a slot and a hit is confirmed
 * by comparing the label sets, so two label sets sharing a hash simply chain.
 *
 * Why not a Map keyed by labelsKey(): on every push that builds a fresh ~150-byte
 * cons string which V8 then hashes and compares char by char, measured at ~3×
 * the cost of this hash + compare, and the key string costs ~190 bytes per series.
 */
import { labelsEqual, type Labels } from '../../query/model/labels.ts';
import type { MemSeries } from './series.ts';

/** 32-bit FNV-1a over the UTF-16 units of names and values, 0xff between fields. Only spreads slots: equality is always checked. */
export function hashLabels(ls: Labels): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    const n = l.name;
    for (let j = 0; j < n.length; j++) h = Math.imul(h ^ n.charCodeAt(j), 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193);
    const v = l.value;
    for (let j = 0; j < v.length; j++) h = Math.imul(h ^ v.charCodeAt(j), 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193);
  }
  return h >>> 0;
}

export class SeriesTable {
  /** hash → the series, or an array of series whose labels share that hash. */
  #byHash = new Map<number, MemSeries | MemSeries[]>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(labels: Labels, hash: number = hashLabels(labels)): MemSeries | undefined {
    const e = this.#byHash.get(hash);
    if (e === undefined) return undefined;
    if (!Array.isArray(e)) return labelsEqual(e.labels, labels) ? e : undefined;
    for (const s of e) if (labelsEqual(s.labels, labels)) return s;
    return undefined;
  }

  /** Adds a series known to be absent. */
  add(s: MemSeries, hash: number): void {
    const e = this.#byHash.get(hash);
    if (e === undefined) this.#byHash.set(hash, s);
    else if (Array.isArray(e)) e.push(s);
    else this.#byHash.set(hash, [e, s]);
    this.#size++;
  }

  delete(s: MemSeries, hash: number): void {
    const e = this.#byHash.get(hash);
    if (e === undefined) return;
    if (!Array.isArray(e)) {
      if (e === s) {
        this.#byHash.delete(hash);
        this.#size--;
      }
      return;
    }
    const i = e.indexOf(s);
    if (i < 0) return;
    e.splice(i, 1);
    this.#size--;
    if (e.length === 1) this.#byHash.set(hash, e[0]!);
  }
}
