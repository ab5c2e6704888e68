/** In-memory RowStore (tests, dev): a sorted view is built per query, which is fine at test sizes. */
import { copy } from './memory-bucket.ts';
import { compareBytes, matchesCondition, rowKeyString, type IndexRow, type RangeCondition, type RowKey, type RowStore } from './row-store.ts';

export class MemoryRowStore implements RowStore {
  #tables = new Map<string, Map<string, IndexRow>>();

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async write(rows: readonly IndexRow[]): Promise<void> {
    for (const r of rows) {
      let t = this.#tables.get(r.hash);
      if (t === undefined) this.#tables.set(r.hash, (t = new Map()));
      t.set(rowKeyString(r), { hash: r.hash, range: copy(r.range), value: r.value === undefined ? undefined : copy(r.value) });
    }
  }

  async delete(keys: readonly RowKey[]): Promise<void> {
    for (const k of keys) {
      const t = this.#tables.get(k.hash);
      if (t === undefined) continue;
      t.delete(rowKeyString(k));
      if (t.size === 0) this.#tables.delete(k.hash);
    }
  }

  async query(hash: string, condition?: RangeCondition): Promise<IndexRow[]> {
    const t = this.#tables.get(hash);
    if (t === undefined) return [];
    const out: IndexRow[] = [];
    for (const r of t.values()) if (matchesCondition(r.range, condition)) out.push(r);
    return out.sort((a, b) => compareBytes(a.range, b.range));
  }

  async scanHashPrefix(hashPrefix: string, hashBytes: number, limit: number, only?: ReadonlySet<string>): Promise<IndexRow[] | undefined> {
    const out: IndexRow[] = [];
    const hashes = [...this.#tables.keys()].filter((h) => h.startsWith(hashPrefix) && Buffer.byteLength(h) === hashBytes).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    let visited = 0;
    for (const h of hashes) {
      const kept = only === undefined || only.has(h.slice(hashPrefix.length));
      for (const r of await this.query(h)) {
        if (visited++ >= limit) return undefined;
        if (kept) out.push(r);
      }
    }
    return out;
  }

  async getMany(keys: readonly RowKey[]): Promise<(IndexRow | undefined)[]> {
    return keys.map((k) => this.#tables.get(k.hash)?.get(rowKeyString(k)));
  }

  /** Rows held (tests use it to show replicas do not multiply the index). */
  get rowCount(): number {
    let n = 0;
    for (const t of this.#tables.values()) n += t.size;
    return n;
  }
}
