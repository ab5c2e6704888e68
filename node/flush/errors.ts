/** Flusher errors. Codes are stable (never renamed or reused). */
import { StoreError } from '../core/errors.ts';

export const FLUSH_ERROR_STATUS = {
  /** Some chunks could not be written to the long-term store; they stay in memory and are retried. */
  'flush-failed': 503,
  /** Flush requested before start() or after stop(). */
  'flush-not-running': 503,
} as const;

export type FlushErrorCode = keyof typeof FLUSH_ERROR_STATUS;

export class FlushError extends StoreError {
  constructor(code: FlushErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, FLUSH_ERROR_STATUS[code], message, options);
    this.name = 'FlushError';
  }
}
