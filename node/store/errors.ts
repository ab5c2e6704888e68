/**
 * Operational errors of the long-term store. Each code is stable (never renamed
 * or reused) and maps to one HTTP status; README.md lists them all and
 * errors.test.ts keeps the two in sync.
 */
import { StoreError } from '../core/errors.ts';

export const STORE_ERROR_CODES = {
  /** A conditional put (ifNoneMatch) found the key already present. */
  STORE_OBJECT_EXISTS: 412,
  /** A backend answered with a transient failure (5xx, throttling, connection reset); safe to retry. */
  STORE_UNAVAILABLE: 503,
  /** A backend call did not answer within its deadline; safe to retry. */
  STORE_TIMEOUT: 503,
  /** A backend failed in a way retrying will not fix (4xx other than not-found/precondition, bad config). */
  STORE_BACKEND_ERROR: 500,
  /** A tenant ID that could escape its key prefix or is otherwise not allowed. */
  STORE_INVALID_TENANT: 400,
  /** An object key that is empty, too long or has unsafe path segments. */
  STORE_INVALID_KEY: 400,
  /** The index references a chunk whose object is missing from the bucket. */
  STORE_CHUNK_MISSING: 500,
  /** A chunk object's bytes do not decode. */
  STORE_CHUNK_CORRUPT: 500,
  /** An operation was called on a store that is not started or already stopped. */
  STORE_CLOSED: 503,
} as const;

export type StoreErrorCode = keyof typeof STORE_ERROR_CODES;

export class StorageError extends StoreError {
  declare readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, STORE_ERROR_CODES[code], message, options);
    this.name = 'StorageError';
  }
}

export function storageError(code: StoreErrorCode, message: string, cause?: unknown): StorageError {
  return new StorageError(code, message, cause === undefined ? undefined : { cause });
}

export function hasStoreCode(err: unknown, code: StoreErrorCode): boolean {
  return err instanceof StoreError && err.code === code;
}

/** True for failures a retry may cure: the backend was unavailable or too slow. */
export function isTransientStoreError(err: unknown): boolean {
  return err instanceof StoreError && (err.code === 'STORE_UNAVAILABLE' || err.code === 'STORE_TIMEOUT');
}
