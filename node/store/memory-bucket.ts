/** In-memory bucket: a real implementation for tests and single-process dev, not a mock. */
import { assertValidKey, assertValidPrefix, compareKeys, type Bucket, type BucketSupports, type PutOptions, type ObjectInfo } from './bucket.ts';
import { storageError } from './errors.ts';

export class MemoryBucket implements Bucket {
  readonly supports: BucketSupports = { conditionalPut: true, getRange: true };
  #objects = new Map<string, Uint8Array>();
  #closed = false;

  async put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<void> {
    this.#check();
    assertValidKey(key);
    if (options?.ifNoneMatch === '*' && this.#objects.has(key)) {
      throw storageError('STORE_OBJECT_EXISTS', `Object already exists: ${JSON.stringify(key)}`);
    }
    // Copy: the caller may reuse its buffer.
    this.#objects.set(key, copy(bytes));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.#check();
    assertValidKey(key);
    const b = this.#objects.get(key);
    return b === undefined ? undefined : copy(b);
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    this.#check();
    assertValidKey(key);
    checkRange(offset, length);
    const b = this.#objects.get(key);
    if (b === undefined) return undefined;
    return copy(b, Math.min(offset, b.length), Math.min(offset + length, b.length));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    this.#check();
    assertValidKey(key);
    const b = this.#objects.get(key);
    return b === undefined ? undefined : { size: b.length };
  }

  async exists(key: string): Promise<boolean> {
    this.#check();
    assertValidKey(key);
    return this.#objects.has(key);
  }

  async delete(key: string): Promise<void> {
    this.#check();
    assertValidKey(key);
    this.#objects.delete(key);
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    this.#check();
    for (const k of keys) assertValidKey(k);
    for (const k of keys) this.#objects.delete(k);
  }

  async *list(prefix: string): AsyncIterable<string> {
    this.#check();
    assertValidPrefix(prefix);
    const keys: string[] = [];
    for (const k of this.#objects.keys()) if (k.startsWith(prefix)) keys.push(k);
    keys.sort(compareKeys);
    yield* keys;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#objects.clear();
  }

  #check(): void {
    if (this.#closed) throw storageError('STORE_CLOSED', 'Memory bucket is closed');
  }
}

export function checkRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`Invalid range offset: ${offset}`);
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`Invalid range length: ${length}`);
}

/** A real copy as a plain Uint8Array (Buffer#slice would alias). */
export function copy(b: Uint8Array, start = 0, end = b.length): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(b.subarray(start, end));
  return out;
}
