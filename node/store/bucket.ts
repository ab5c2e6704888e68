/**
 * The object-store contract every backend (memory, local filesystem, S3) and
 * every decorator (tenant prefix, retries, fault injection) implements.
 * bucket.conformance.ts holds the one suite that checks it.
 */
import { storageError } from './errors.ts';

/** What a backend can do; conformance tests skip only on these flags. */
export interface BucketSupports {
  /** put() honours ifNoneMatch atomically (a second writer gets STORE_OBJECT_EXISTS). */
  readonly conditionalPut: boolean;
  /** getRange() reads a byte range without fetching the whole object. */
  readonly getRange: boolean;
}

export interface PutOptions {
  /** '*' = create only: fail with STORE_OBJECT_EXISTS when the key exists (when supports.conditionalPut). */
  ifNoneMatch?: '*';
}

export interface ObjectInfo {
  /** Size in bytes. */
  size: number;
}

export interface Bucket {
  readonly supports: BucketSupports;
  /** Writes the whole object; readers see either the old or the new bytes, never a mix. */
  put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<void>;
  /** The object's bytes, or undefined when the key does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  /**
   * Bytes [offset, offset+length) clipped to the object's end, or undefined when
   * the key does not exist. An offset at or past the end yields an empty array.
   */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined>;
  /** Metadata, or undefined when the key does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  exists(key: string): Promise<boolean>;
  /** Removes the key; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Removes every key (missing ones are not an error), in as few requests as the backend
   * allows: S3 takes 1,000 keys per DeleteObjects request, which matters to request bills
   * when compaction and retention delete hundreds of thousands of chunks. Not atomic.
   */
  deleteMany(keys: readonly string[]): Promise<void>;
  /** Every key starting with prefix (a plain string prefix), in ascending byte order. */
  list(prefix: string): AsyncIterable<string>;
  /** Releases clients and handles; the bucket is unusable afterwards. */
  close(): Promise<void>;
}

export const MAX_KEY_LENGTH = 1024;

/**
 * Keys are '/'-separated paths of non-empty segments; "." and ".." segments,
 * backslashes, NUL and other control characters are refused so no backend can
 * map a key outside its root.
 */
export function assertValidKey(key: string): void {
  let reason = '';
  if (typeof key !== 'string' || key.length === 0) reason = 'empty';
  else if (Buffer.byteLength(key) > MAX_KEY_LENGTH) reason = `longer than ${MAX_KEY_LENGTH} bytes`;
  // eslint-disable-next-line no-control-regex
  else if (/[\x00-\x1f\x7f\\]/.test(key)) reason = 'control character or backslash';
  else {
    for (const seg of key.split('/')) {
      if (seg === '') {
        reason = 'empty path segment';
        break;
      }
      if (seg === '.' || seg === '..') {
        reason = `"${seg}" path segment`;
        break;
      }
    }
  }
  if (reason !== '') throw storageError('STORE_INVALID_KEY', `Invalid object key: ${JSON.stringify(String(key).slice(0, 200))}: ${reason}`);
}

/** A prefix may end with '/' or be empty; otherwise the same rules as keys. */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  assertValidKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}

/** Collects a listing into an array (tests and small prefixes). */
export async function listAll(bucket: Bucket, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const k of bucket.list(prefix)) out.push(k);
  return out;
}

/** Byte-order comparison of strings (UTF-8 order equals UTF-16 order except for surrogates; keys are mostly ASCII). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
