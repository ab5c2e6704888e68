/**
 * RowStore on RocksDB (the `rocksdb` npm binding, callback API in the
 * abstract-leveldown style, wrapped in promises here). Key layout:
 *   u16be(len(hash)) utf8(hash) range
 * The length prefix keeps one hash key's rows contiguous and in range order
 * whatever bytes the hash holds, so a query is one forward iterator.
 * level-row-store.ts uses the same layout on LevelDB.
 */
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import { prefixUpperBound, type IndexRow, type RangeCondition, type RowKey, type RowStore } from './row-store.ts';
import { storageError } from './errors.ts';

const require = createRequire(import.meta.url);

interface LevelIterator {
  next(cb: (err: Error | undefined, key?: Buffer, value?: Buffer) => void): void;
  end(cb: (err?: Error) => void): void;
}
interface LevelDown {
  open(options: object, cb: (err?: Error) => void): void;
  close(cb: (err?: Error) => void): void;
  batch(ops: { type: 'put' | 'del'; key: Buffer; value?: Buffer }[], options: object, cb: (err?: Error) => void): void;
  getMany(keys: Buffer[], options: object, cb: (err: Error | undefined, values?: (Buffer | undefined)[]) => void): void;
  iterator(options: object): LevelIterator;
  compactRange(start: Buffer, end: Buffer, cb: (err?: Error) => void): void;
}

/**
 * rocksdb 5.2.1's prebuilt binding aborts the process when loaded on Node 24
 * (checked with 24.21); it works on Node 20.
 */
export function rocksDbSupported(): boolean {
  return Number(process.versions.node.split('.')[0]) < 24;
}

export interface RocksDbRowStoreConfig {
  /** Database directory; created when absent. */
  dir: string;
  /** Rows per write batch. @default 1000 */
  batchSize?: number;
}

export class RocksDbRowStore implements RowStore {
  /** The database directory is locked by this process. */
  readonly exclusive = true;
  #dir: string;
  #batchSize: number;
  #db: LevelDown | undefined;

  constructor(config: RocksDbRowStoreConfig) {
    this.#dir = config.dir;
    this.#batchSize = config.batchSize ?? 1000;
  }

  async open(): Promise<void> {
    if (!rocksDbSupported()) {
      // Loading the binding there aborts the whole process (std::bad_alloc), which no catch can stop.
      throw storageError('STORE_BACKEND_ERROR', `The rocksdb binding does not load on Node ${process.versions.node}: use the 'leveldb' index backend`);
    }
    await mkdir(this.#dir, { recursive: true });
    const factory = require('rocksdb') as (location: string) => LevelDown;
    const db = factory(this.#dir);
    await new Promise<void>((resolve, reject) =>
      db.open({ createIfMissing: true }, (err) => (err ? reject(wrap(`Failed to open RocksDB index at ${JSON.stringify(this.#dir)}`, err)) : resolve())),
    );
    this.#db = db;
  }

  async close(): Promise<void> {
    const db = this.#db;
    if (db === undefined) return;
    this.#db = undefined;
    await new Promise<void>((resolve, reject) => db.close((err) => (err ? reject(wrap('Failed to close RocksDB index', err)) : resolve())));
  }

  async write(rows: readonly IndexRow[]): Promise<void> {
    const db = this.#open();
    for (let i = 0; i < rows.length; i += this.#batchSize) {
      const ops = rows.slice(i, i + this.#batchSize).map((r) => ({ type: 'put' as const, key: encodeKey(r.hash, r.range), value: r.value ? Buffer.from(r.value) : Buffer.alloc(0) }));
      await new Promise<void>((resolve, reject) => db.batch(ops, {}, (err) => (err ? reject(wrap('Failed to write index rows to RocksDB', err)) : resolve())));
    }
  }

  async delete(keys: readonly RowKey[]): Promise<void> {
    const db = this.#open();
    for (let i = 0; i < keys.length; i += this.#batchSize) {
      const ops = keys.slice(i, i + this.#batchSize).map((k) => ({ type: 'del' as const, key: encodeKey(k.hash, k.range) }));
      await new Promise<void>((resolve, reject) => db.batch(ops, {}, (err) => (err ? reject(wrap('Failed to delete index rows from RocksDB', err)) : resolve())));
    }
  }

  async query(hash: string, condition?: RangeCondition): Promise<IndexRow[]> {
    const db = this.#open();
    const base = encodeKey(hash, new Uint8Array(0));
    const scope = condition?.prefix ? encodeKey(hash, condition.prefix) : base;
    let lower = scope;
    if (condition?.gte) {
      const g = encodeKey(hash, condition.gte);
      if (Buffer.compare(g, lower) > 0) lower = g;
    }
    const upper = prefixUpperBound(scope);
    // Large native batches: the default (16 KiB) makes a postings query of 10,000 rows cost hundreds of native round trips.
    const it = db.iterator({ gte: lower, ...(upper ? { lt: Buffer.from(upper) } : {}), keyAsBuffer: true, valueAsBuffer: true, highWaterMark: 1 << 20 });
    try {
      const out: IndexRow[] = [];
      await drain(it, (key, value) => {
        out.push({ hash, range: key.subarray(base.length), value: value && value.length > 0 ? value : undefined });
        return true;
      });
      return out;
    } catch (err) {
      throw wrap(`Failed to query RocksDB index for ${JSON.stringify(hash)}`, err as Error);
    } finally {
      await new Promise<void>((resolve) => it.end(() => resolve()));
    }
  }

  async scanHashPrefix(hashPrefix: string, hashBytes: number, limit: number, only?: ReadonlySet<string>): Promise<IndexRow[] | undefined> {
    const db = this.#open();
    const scope = encodeHashPrefix(hashPrefix, hashBytes);
    const tailStart = scope.length;
    const tailEnd = 2 + hashBytes;
    const upper = prefixUpperBound(scope);
    // Large native batches, and one promise for the whole scan rather than one per row.
    const it = db.iterator({ gte: scope, ...(upper ? { lt: Buffer.from(upper) } : {}), keyAsBuffer: true, valueAsBuffer: true, highWaterMark: 1 << 20 });
    try {
      const out: IndexRow[] = [];
      let visited = 0;
      const complete = await drain(it, (k, v) => {
        if (visited++ >= limit) return false;
        if (only === undefined || only.has(k.toString('utf8', tailStart, tailEnd))) out.push(decodeRow(k, v, hashBytes));
        return true;
      });
      return complete ? out : undefined;
    } catch (err) {
      throw wrap(`Failed to scan RocksDB index under ${JSON.stringify(hashPrefix)}`, err as Error);
    } finally {
      await new Promise<void>((resolve) => it.end(() => resolve()));
    }
  }

  async compactHashPrefix(hashPrefix: string, hashBytes: number): Promise<void> {
    const db = this.#open();
    const scope = encodeHashPrefix(hashPrefix, hashBytes);
    const upper = prefixUpperBound(scope);
    if (upper === undefined) return;
    await new Promise<void>((resolve, reject) => db.compactRange(scope, Buffer.from(upper), (err) => (err ? reject(wrap('Failed to compact RocksDB index range', err)) : resolve())));
  }

  async getMany(keys: readonly RowKey[]): Promise<(IndexRow | undefined)[]> {
    const db = this.#open();
    if (keys.length === 0) return [];
    const values = await new Promise<(Buffer | undefined)[]>((resolve, reject) =>
      db.getMany(keys.map((k) => encodeKey(k.hash, k.range)), { asBuffer: true }, (err, vs) => (err ? reject(wrap('Failed to read index rows from RocksDB', err)) : resolve(vs ?? []))),
    );
    return keys.map((k, i) => {
      const v = values[i];
      return v === undefined ? undefined : { hash: k.hash, range: k.range, value: v.length > 0 ? v : undefined };
    });
  }

  #open(): LevelDown {
    if (this.#db === undefined) throw storageError('STORE_CLOSED', `RocksDB index at ${JSON.stringify(this.#dir)} is not open`);
    return this.#db;
  }
}

/**
 * Feeds every row of the iterator to `onRow` until it returns false (then resolves false) or
 * the rows run out (resolves true). One promise for the whole iteration, and the rows of each
 * native batch are taken synchronously from the binding's cache: its next() spends a
 * process.nextTick per row, which costs more than the row (a postings query can hold every
 * series). The cache is an array of [..., value2, key2, value1, key1] popped from the end
 * (rocksdb 5.2.1 iterator.js); anything else falls back to next() alone.
 */
function drain(it: LevelIterator, onRow: (key: Buffer, value: Buffer | undefined) => boolean): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const step = (): void => {
      it.next((err, key, value) => {
        if (err) return reject(err);
        if (key === undefined) return resolve(true);
        if (!onRow(key, value)) return resolve(false);
        const cache = (it as { cache?: unknown }).cache;
        if (Array.isArray(cache)) {
          while (cache.length >= 2) {
            const k = cache.pop() as Buffer;
            const v = cache.pop() as Buffer | undefined;
            if (!onRow(k, v)) return resolve(false);
          }
        }
        step();
      });
    };
    step();
  });
}

/** Key of a row in an ordered key-value store: u16be(len(hash)) utf8(hash) range. */
/** Key prefix of every hash key of `hashBytes` bytes starting with `hashPrefix`. */
export function encodeHashPrefix(hashPrefix: string, hashBytes: number): Buffer {
  const h = Buffer.from(hashPrefix, 'utf8');
  const out = Buffer.allocUnsafe(2 + h.length);
  out.writeUInt16BE(hashBytes, 0);
  h.copy(out, 2);
  return out;
}

/** A row back from its key (`hashBytes` = the hash key's length) and value. */
export function decodeRow(key: Uint8Array, value: Uint8Array | undefined, hashBytes: number): IndexRow {
  const hash = Buffer.from(key.buffer, key.byteOffset + 2, hashBytes).toString('utf8');
  return { hash, range: key.subarray(2 + hashBytes), value: value && value.length > 0 ? value : undefined };
}

export function encodeKey(hash: string, range: Uint8Array): Buffer {
  const h = Buffer.from(hash, 'utf8');
  if (h.length > 0xffff) throw new RangeError(`Index hash key too long: ${h.length} bytes`);
  const out = Buffer.allocUnsafe(2 + h.length + range.length);
  out.writeUInt16BE(h.length, 0);
  h.copy(out, 2);
  out.set(range, 2 + h.length);
  return out;
}

function wrap(action: string, err: Error) {
  return storageError('STORE_BACKEND_ERROR', `${action}: ${err.message}`, err);
}
