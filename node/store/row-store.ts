/**
 * The storage primitive under the chunk index: rows addressed by a string hash
 * key and a binary range key, ordered by range key within a hash key, with an
 * optional binary value. This is DynamoDB's data model; RocksDB and memory
 * emulate it. index-schema.ts decides what the rows mean; the backends only
 * store them.
 */
export interface RowKey {
  hash: string;
  range: Uint8Array;
}

export interface IndexRow extends RowKey {
  /** Absent for rows whose key is the whole fact. */
  value?: Uint8Array | undefined;
}

export interface RangeCondition {
  /** Only rows whose range key starts with these bytes. */
  prefix?: Uint8Array;
  /** Only rows whose range key is >= these bytes. */
  gte?: Uint8Array;
}

export interface RowStore {
  /**
   * True when no other process can change the rows (embedded stores lock their
   * directory), so this process may cache what it reads (cached-row-store.ts).
   */
  readonly exclusive?: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Writes (upserts) rows; rows are idempotent, so repeating a write is harmless. */
  write(rows: readonly IndexRow[]): Promise<void>;
  /** Deletes rows by key; missing rows are ignored. */
  delete(keys: readonly RowKey[]): Promise<void>;
  /** All rows of one hash key matching the condition, in ascending range-key order. */
  query(hash: string, condition?: RangeCondition): Promise<IndexRow[]>;
  /**
   * Optional (embedded stores, where one scan is far cheaper than many queries): every row
   * of every hash key that starts with `hashPrefix` and is `hashBytes` UTF-8 bytes long, or
   * undefined as soon as more than `limit` rows were visited. Rows of one hash key come
   * together and in range-key order. `only`, when given, keeps just the hash keys whose
   * rest after the prefix it holds, dropping the others before any row object is built
   * (the scan visits far more rows than callers usually want).
   */
  scanHashPrefix?(hashPrefix: string, hashBytes: number, limit: number, only?: ReadonlySet<string>): Promise<IndexRow[] | undefined>;
  /**
   * Optional (LSM stores): compacts the key range of every hash key that starts with
   * `hashPrefix` and is `hashBytes` UTF-8 bytes long, so later scans do not wade through the
   * tombstones of a bulk delete (the compactor empties a window's chunk rows at once).
   */
  compactHashPrefix?(hashPrefix: string, hashBytes: number): Promise<void>;
  /** Point reads; undefined for missing rows, in the order of keys. */
  getMany(keys: readonly RowKey[]): Promise<(IndexRow | undefined)[]>;
}

/** Smallest byte string greater than every string with this prefix, or undefined if none (all 0xff). */
export function prefixUpperBound(prefix: Uint8Array): Uint8Array | undefined {
  const out = Uint8Array.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i]!++;
      return out.subarray(0, i + 1);
    }
  }
  return undefined;
}

export function startsWith(b: Uint8Array, prefix: Uint8Array): boolean {
  if (b.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

export function rowKeyString(k: RowKey): string {
  return k.hash + '\u0000' + Buffer.from(k.range.buffer, k.range.byteOffset, k.range.byteLength).toString('base64');
}

export function matchesCondition(range: Uint8Array, c: RangeCondition | undefined): boolean {
  if (c === undefined) return true;
  if (c.prefix !== undefined && !startsWith(range, c.prefix)) return false;
  if (c.gte !== undefined && compareBytes(range, c.gte) < 0) return false;
  return true;
}
