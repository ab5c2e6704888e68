/**
 * A read cache in front of a RowStore that only this process writes (the embedded
 * RocksDB and LevelDB indexes lock their directory). Every write and delete goes
 * through here, so invalidation is exact: a cached answer is dropped as soon as a row
 * it could contain is written or deleted, and a read that overlapped any write is
 * not cached at all (it may have seen the store half before and half after).
 *
 * Why: a store query over many series reads the same postings, series rows and chunk
 * rows again on every evaluation (Grafana refreshes, rule groups); served from memory
 * they cost a map lookup instead of thousands of native iterator steps.
 *
 * Cached: query() answers per (hash, condition), scanHashPrefix() answers per
 * (prefix, length) before the caller's filter (packed: packed-rows.ts), getMany() rows
 * one by one (misses too).
 * Bounded by an approximate byte size, least recently used first out.
 */
import { rowKeyString, type IndexRow, type RangeCondition, type RowKey, type RowStore } from './row-store.ts';
import { PackedRows } from './packed-rows.ts';

/** Rough bytes of bookkeeping per cached row on top of its key and value bytes. */
const ROW_OVERHEAD = 64;

interface Entry {
  /** Rows of a query or scan; one row (or undefined for a miss) for a point read. */
  rows: IndexRow[] | IndexRow | undefined;
  bytes: number;
  /** Hash keys whose writes invalidate the entry (queries and point reads). */
  hash?: string;
  /** Scan scope (scans): every hash of this byte length starting with the prefix. */
  scan?: { prefix: string; hashBytes: number };
  /** Scans: their rows, packed. */
  packed?: PackedRows;
}

export interface CachedRowStoreStats {
  hits: number;
  misses: number;
  bytes: number;
  entries: number;
}

export class CachedRowStore implements RowStore {
  readonly exclusive = true;
  #inner: RowStore;
  #maxBytes: number;
  #entries = new Map<string, Entry>();
  /** Cache keys per hash key, to drop everything a write touches. */
  #byHash = new Map<string, Set<string>>();
  /** Cached scans (few: one per index bucket read in bulk). */
  #scans = new Set<string>();
  #bytes = 0;
  /** Bumped when a write starts and when it ends: reads that saw a change in between are not cached. */
  #epoch = 0;
  #writing = 0;
  readonly stats: CachedRowStoreStats = { hits: 0, misses: 0, bytes: 0, entries: 0 };

  constructor(inner: RowStore, maxBytes: number) {
    if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0)) throw new RangeError(`Invalid index read cache size: ${maxBytes} bytes`);
    this.#inner = inner;
    this.#maxBytes = maxBytes;
  }

  open(): Promise<void> {
    return this.#inner.open();
  }

  async close(): Promise<void> {
    this.#clear();
    await this.#inner.close();
  }

  async write(rows: readonly IndexRow[]): Promise<void> {
    await this.#mutate(rows, () => this.#inner.write(rows));
  }

  async delete(keys: readonly RowKey[]): Promise<void> {
    await this.#mutate(keys, () => this.#inner.delete(keys));
  }

  async compactHashPrefix(hashPrefix: string, hashBytes: number): Promise<void> {
    // Changes no row: nothing cached goes stale.
    await this.#inner.compactHashPrefix?.(hashPrefix, hashBytes);
  }

  async query(hash: string, condition?: RangeCondition): Promise<IndexRow[]> {
    const key = `q\u0000${hash}\u0000${hex(condition?.prefix)}\u0000${hex(condition?.gte)}`;
    const hit = this.#get(key);
    if (hit !== undefined) return hit.rows as IndexRow[];
    const epoch = this.#epoch;
    const rows = await this.#inner.query(hash, condition);
    this.#put(epoch, key, { rows, bytes: rowsBytes(rows), hash });
    return rows;
  }

  async scanHashPrefix(hashPrefix: string, hashBytes: number, limit: number, only?: ReadonlySet<string>): Promise<IndexRow[] | undefined> {
    if (this.#inner.scanHashPrefix === undefined) return undefined;
    const key = `s\u0000${hashPrefix}\u0000${hashBytes}`;
    let packed = this.#get(key)?.packed;
    if (packed === undefined) {
      const epoch = this.#epoch;
      // The whole scope is read without the filter, so the cached answer serves any later filter.
      const all = await this.#inner.scanHashPrefix(hashPrefix, hashBytes, limit);
      if (all === undefined) return undefined;
      if (rowsBytes(all) > this.#maxBytes / 2) {
        // Too big to cache: filter this answer and leave the cache alone.
        if (only === undefined) return all;
        const cut = hashPrefix.length;
        return all.filter((r) => only.has(r.hash.slice(cut)));
      }
      packed = new PackedRows(hashPrefix, all);
      this.#put(epoch, key, { rows: undefined, packed, bytes: packed.bytes, scan: { prefix: hashPrefix, hashBytes } });
      if (only === undefined) return all;
    }
    if (packed.length > limit) return undefined;
    // Filtered reads look up only the hash keys asked for: their cost follows the answer, not the scope.
    return only === undefined ? packed.all() : packed.only(only);
  }

  async getMany(keys: readonly RowKey[]): Promise<(IndexRow | undefined)[]> {
    const out: (IndexRow | undefined)[] = new Array(keys.length);
    const missing: number[] = [];
    const cacheKeys: string[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const ck = `g\u0000${rowKeyString(keys[i]!)}`;
      cacheKeys[i] = ck;
      const hit = this.#get(ck);
      if (hit !== undefined) out[i] = hit.rows as IndexRow | undefined;
      else missing.push(i);
    }
    if (missing.length === 0) return out;
    const epoch = this.#epoch;
    const fetched = await this.#inner.getMany(missing.map((i) => keys[i]!));
    fetched.forEach((row, j) => {
      const i = missing[j]!;
      out[i] = row;
      this.#put(epoch, cacheKeys[i]!, { rows: row, bytes: row === undefined ? ROW_OVERHEAD : rowsBytes([row]), hash: keys[i]!.hash });
    });
    return out;
  }

  async #mutate(keys: readonly RowKey[], apply: () => Promise<void>): Promise<void> {
    this.#epoch++;
    this.#writing++;
    this.#invalidate(keys);
    try {
      await apply();
    } finally {
      this.#writing--;
      this.#epoch++;
      // Again: a read that started before the write and ended during it was refused by the
      // epoch check, but one cached before the write began may since have been re-added.
      this.#invalidate(keys);
    }
  }

  #invalidate(keys: readonly RowKey[]): void {
    if (this.#entries.size === 0) return;
    const hashes = new Set<string>();
    for (const k of keys) hashes.add(k.hash);
    for (const h of hashes) {
      const set = this.#byHash.get(h);
      if (set !== undefined) for (const ck of [...set]) this.#drop(ck);
      if (this.#scans.size > 0) {
        const len = Buffer.byteLength(h);
        for (const ck of [...this.#scans]) {
          const scan = this.#entries.get(ck)?.scan;
          if (scan !== undefined && scan.hashBytes === len && h.startsWith(scan.prefix)) this.#drop(ck);
        }
      }
    }
  }

  #get(key: string): Entry | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    // Re-insert: Map order is the LRU order.
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e;
  }

  #put(epoch: number, key: string, e: Entry): void {
    // A write overlapped this read, or the answer would crowd out most of the cache.
    if (epoch !== this.#epoch || this.#writing > 0 || e.bytes > this.#maxBytes / 2) return;
    this.#drop(key);
    this.#entries.set(key, e);
    this.#bytes += e.bytes;
    if (e.hash !== undefined) {
      let set = this.#byHash.get(e.hash);
      if (set === undefined) this.#byHash.set(e.hash, (set = new Set()));
      set.add(key);
    }
    if (e.scan !== undefined) this.#scans.add(key);
    while (this.#bytes > this.#maxBytes) {
      const oldest = this.#entries.keys().next().value as string;
      this.#drop(oldest);
    }
    this.stats.bytes = this.#bytes;
    this.stats.entries = this.#entries.size;
  }

  #drop(key: string): void {
    const e = this.#entries.get(key);
    if (e === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= e.bytes;
    if (e.hash !== undefined) {
      const set = this.#byHash.get(e.hash);
      set?.delete(key);
      if (set?.size === 0) this.#byHash.delete(e.hash);
    }
    if (e.scan !== undefined) this.#scans.delete(key);
    this.stats.bytes = this.#bytes;
    this.stats.entries = this.#entries.size;
  }

  #clear(): void {
    this.#entries.clear();
    this.#byHash.clear();
    this.#scans.clear();
    this.#bytes = 0;
    this.stats.bytes = 0;
    this.stats.entries = 0;
  }
}

function hex(b: Uint8Array | undefined): string {
  return b === undefined ? '' : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function rowsBytes(rows: readonly IndexRow[]): number {
  let n = 0;
  for (const r of rows) n += ROW_OVERHEAD + r.range.length + (r.value?.length ?? 0);
  return n;
}
