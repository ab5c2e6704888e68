/**
 * Ingester errors. Codes are stable (never renamed or reused). Per-sample problems
 * are not thrown: they are counted per reason in the push result (see RejectReason).
 */
import { StoreError } from '../core/errors.ts';

export const INGESTER_ERROR_STATUS = {
  /** push/query before start() finished or after stop(). */
  'ingester-not-running': 503,
  /** The WAL did not make the push durable; the client should retry. */
  'ingester-wal-write-failed': 500,
  /** A WAL record could not be decoded during replay. */
  'ingester-bad-wal-record': 500,
} as const;

export type IngesterErrorCode = keyof typeof INGESTER_ERROR_STATUS;

export class IngesterError extends StoreError {
  constructor(code: IngesterErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, INGESTER_ERROR_STATUS[code], message, options);
    this.name = 'IngesterError';
  }
}

/**
 * Why a sample or series was not appended. Sample reasons map to HTTP 400 (the
 * rest of the batch is kept); series-limit reasons also map to 400 in Cortex/Mimir.
 */
export const REJECT_REASONS = [
  'sample-out-of-order',
  'new-value-for-timestamp',
  'sample-out-of-bounds',
  'per-user-series-limit',
  'per-metric-series-limit',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];
