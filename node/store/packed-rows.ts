/**
 * The rows of one hash-prefix scan, packed for a long stay in the read cache: keys'
 * range bytes and values back to back in one buffer, row boundaries in an Int32Array,
 * and one map from each hash key's tail (the part after the scan prefix) to its rows.
 * A scan of a big time bucket holds 100,000s of rows; as row objects with their own
 * buffers they kept the garbage collector busy on every query (major GCs of ~50 ms),
 * packed they are a handful of objects plus one string per hash key.
 */
import type { IndexRow } from './row-store.ts';

export class PackedRows {
  /** Rows held. */
  readonly length: number;
  /** Approximate memory held, in bytes. */
  readonly bytes: number;
  readonly #prefix: string;
  readonly #data: Uint8Array;
  /** Per row r: range = data[ends[2r-1] (or 0) .. ends[2r]), value = data[ends[2r] .. ends[2r+1]). */
  readonly #ends: Int32Array;
  /** Hash tail → index of its first row; its rows run to the next group's first row. */
  readonly #groups: Map<string, number>;
  /** First row of each group in order, plus `length` at the end. */
  readonly #firstRows: Int32Array;

  /** `rows` must come grouped by hash key (as scans return them), every hash starting with `prefix`. */
  constructor(prefix: string, rows: readonly IndexRow[]) {
    this.#prefix = prefix;
    this.length = rows.length;
    let size = 0;
    for (const r of rows) size += r.range.length + (r.value?.length ?? 0);
    const data = new Uint8Array(size);
    const ends = new Int32Array(rows.length * 2);
    const groups = new Map<string, number>();
    const firsts: number[] = [];
    let o = 0;
    let lastHash: string | undefined;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (r.hash !== lastHash) {
        lastHash = r.hash;
        const tail = r.hash.slice(prefix.length);
        if (groups.has(tail)) throw new RangeError(`Scan rows are not grouped by hash key: ${JSON.stringify(r.hash)} appears twice`);
        groups.set(tail, firsts.length);
        firsts.push(i);
      }
      data.set(r.range, o);
      o += r.range.length;
      ends[2 * i] = o;
      if (r.value !== undefined) {
        data.set(r.value, o);
        o += r.value.length;
      }
      ends[2 * i + 1] = o;
    }
    firsts.push(rows.length);
    this.#data = data;
    this.#ends = ends;
    this.#groups = groups;
    this.#firstRows = Int32Array.from(firsts);
    // Map entry + tail string per group, two ints per row, the bytes themselves.
    this.bytes = size + rows.length * 8 + groups.size * 96;
  }

  /** Every row, in scan order. */
  all(): IndexRow[] {
    const out: IndexRow[] = [];
    for (const [tail, g] of this.#groups) this.#pushGroup(out, this.#prefix + tail, g);
    return out;
  }

  /** The rows of the hash keys whose tail is in `tails` (rows of one hash key together, in range order). */
  only(tails: Iterable<string>): IndexRow[] {
    const out: IndexRow[] = [];
    for (const tail of tails) {
      const g = this.#groups.get(tail);
      if (g !== undefined) this.#pushGroup(out, this.#prefix + tail, g);
    }
    return out;
  }

  #pushGroup(out: IndexRow[], hash: string, g: number): void {
    const buf = this.#data.buffer;
    const base = this.#data.byteOffset;
    const ends = this.#ends;
    for (let r = this.#firstRows[g]!, last = this.#firstRows[g + 1]!; r < last; r++) {
      const start = r === 0 ? 0 : ends[2 * r - 1]!;
      const mid = ends[2 * r]!;
      const end = ends[2 * r + 1]!;
      // The view constructor is cheaper than subarray() (no species lookup).
      out.push({ hash, range: new Uint8Array(buf, base + start, mid - start), value: end > mid ? new Uint8Array(buf, base + mid, end - mid) : undefined });
    }
  }
}
