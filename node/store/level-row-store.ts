/**
 * RowStore on LevelDB through classic-level (promise API, prebuilt for Node 20
 * and 24). Same key layout as rocksdb-row-store.ts:
 *   u16be(len(hash)) utf8(hash) range
 * It is the embedded index where the rocksdb binding cannot load (Node 24).
 */
import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { prefixUpperBound, type IndexRow, type RangeCondition, type RowKey, type RowStore } from './row-store.ts';
import { decodeRow, encodeHashPrefix, encodeKey } from './rocksdb-row-store.ts';
import { storageError } from './errors.ts';

export interface LevelDbRowStoreConfig {
  /** Database directory; created when absent. */
  dir: string;
  /** Rows per write batch. @default 1000 */
  batchSize?: number;
}

type Db = ClassicLevel<Uint8Array, Uint8Array>;

export class LevelDbRowStore implements RowStore {
  /** The database directory is locked by this process. */
  readonly exclusive = true;
  #dir: string;
  #batchSize: number;
  #db: Db | undefined;

  constructor(config: LevelDbRowStoreConfig) {
    this.#dir = config.dir;
    this.#batchSize = config.batchSize ?? 1000;
  }

  async open(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const db: Db = new ClassicLevel<Uint8Array, Uint8Array>(this.#dir, { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await db.open();
    } catch (err) {
      throw wrap(`Failed to open LevelDB index at ${JSON.stringify(this.#dir)}`, err);
    }
    this.#db = db;
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    if (db !== undefined) await db.close();
  }

  async write(rows: readonly IndexRow[]): Promise<void> {
    const db = this.#open();
    for (let i = 0; i < rows.length; i += this.#batchSize) {
      const ops = rows.slice(i, i + this.#batchSize).map((r) => ({ type: 'put' as const, key: encodeKey(r.hash, r.range), value: r.value ?? new Uint8Array(0) }));
      try {
        await db.batch(ops);
      } catch (err) {
        throw wrap('Failed to write index rows to LevelDB', err);
      }
    }
  }

  async delete(keys: readonly RowKey[]): Promise<void> {
    const db = this.#open();
    for (let i = 0; i < keys.length; i += this.#batchSize) {
      const ops = keys.slice(i, i + this.#batchSize).map((k) => ({ type: 'del' as const, key: encodeKey(k.hash, k.range) }));
      try {
        await db.batch(ops);
      } catch (err) {
        throw wrap('Failed to delete index rows from LevelDB', err);
      }
    }
  }

  async query(hash: string, condition?: RangeCondition): Promise<IndexRow[]> {
    const db = this.#open();
    const base = encodeKey(hash, new Uint8Array(0));
    const scope = condition?.prefix ? encodeKey(hash, condition.prefix) : base;
    let lower: Uint8Array = scope;
    if (condition?.gte) {
      const g = encodeKey(hash, condition.gte);
      if (Buffer.compare(g, scope) > 0) lower = g;
    }
    const upper = prefixUpperBound(scope);
    const out: IndexRow[] = [];
    const it = db.iterator({ gte: lower, ...(upper ? { lt: upper } : {}) });
    try {
      for (;;) {
        const entries = await it.nextv(1000);
        if (entries.length === 0) break;
        for (const [key, value] of entries) out.push({ hash, range: key.subarray(base.length), value: value.length > 0 ? value : undefined });
      }
    } catch (err) {
      throw wrap(`Failed to query LevelDB index for ${JSON.stringify(hash)}`, err);
    } finally {
      await it.close();
    }
    return out;
  }

  async scanHashPrefix(hashPrefix: string, hashBytes: number, limit: number, only?: ReadonlySet<string>): Promise<IndexRow[] | undefined> {
    const db = this.#open();
    const scope = encodeHashPrefix(hashPrefix, hashBytes);
    const upper = prefixUpperBound(scope);
    const tailStart = scope.length;
    const tailEnd = 2 + hashBytes;
    const out: IndexRow[] = [];
    let visited = 0;
    const it = db.iterator({ gte: scope, ...(upper ? { lt: upper } : {}) });
    try {
      // nextv: a thousand entries per native call instead of one promise per row.
      for (;;) {
        const entries = await it.nextv(1000);
        if (entries.length === 0) break;
        for (const [key, value] of entries) {
          if (visited++ >= limit) return undefined;
          if (only === undefined || only.has(Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8', tailStart, tailEnd))) out.push(decodeRow(key, value, hashBytes));
        }
      }
    } catch (err) {
      throw wrap(`Failed to scan LevelDB index under ${JSON.stringify(hashPrefix)}`, err);
    } finally {
      await it.close();
    }
    return out;
  }

  async compactHashPrefix(hashPrefix: string, hashBytes: number): Promise<void> {
    const db = this.#open();
    const scope = encodeHashPrefix(hashPrefix, hashBytes);
    const upper = prefixUpperBound(scope);
    if (upper === undefined) return;
    try {
      await db.compactRange(scope, upper);
    } catch (err) {
      throw wrap('Failed to compact LevelDB index range', err);
    }
  }

  async getMany(keys: readonly RowKey[]): Promise<(IndexRow | undefined)[]> {
    const db = this.#open();
    if (keys.length === 0) return [];
    let values: (Uint8Array | undefined)[];
    try {
      values = await db.getMany(keys.map((k) => encodeKey(k.hash, k.range)));
    } catch (err) {
      throw wrap('Failed to read index rows from LevelDB', err);
    }
    return keys.map((k, i) => {
      const v = values[i];
      return v === undefined ? undefined : { hash: k.hash, range: k.range, value: v.length > 0 ? v : undefined };
    });
  }

  #open(): Db {
    if (this.#db === undefined) throw storageError('STORE_CLOSED', `LevelDB index at ${JSON.stringify(this.#dir)} is not open`);
    return this.#db;
  }
}

function wrap(action: string, err: unknown) {
  return storageError('STORE_BACKEND_ERROR', `${action}: ${(err as Error)?.message ?? String(err)}`, err);
}
