/**
 * Operational errors of the write-ahead log. Each carries a stable `code` (never renamed or reused) and the HTTP status
 * a server should answer with when the error reaches a request. Programmer mistakes (bad arguments) throw the built-in
 * TypeError/RangeError instead and carry no code.
 */

/** Stable error codes and the HTTP status each maps to. */
export const WAL_ERROR_STATUS = {
  /** A method was called before open() completed. Retryable once the WAL is open. */
  WAL_NOT_OPEN: 503,
  /** A method was called during or after close(). */
  WAL_CLOSED: 503,
  /** A stored value failed its CRC check or is truncated; carries the seq and key. */
  WAL_CORRUPTION: 500,
  /** The LevelDB directory is locked by another process or another Wal instance. */
  WAL_LOCKED: 500,
  /** LevelDB could not be opened (missing permissions, damaged manifest...). */
  WAL_OPEN_FAILED: 500,
  /** LevelDB rejected a batch write (disk full, I/O error): the appended records are NOT durable. */
  WAL_WRITE_FAILED: 500,
  /** The directory holds a WAL written by an unknown (newer) format version. */
  WAL_FORMAT_VERSION: 500,
} as const;

export type WalErrorCode = keyof typeof WAL_ERROR_STATUS;

export class WalError extends Error {
  readonly code: WalErrorCode;
  readonly httpStatus: number;

  constructor(code: WalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'WalError';
    this.code = code;
    this.httpStatus = WAL_ERROR_STATUS[code];
  }
}

/** A stored frame is damaged. `seq` is the seq of the first record the damaged frame holds (for a checkpoint frame: the checkpoint's seq). */
export class WalCorruptionError extends WalError {
  readonly seq: number;
  /** The LevelDB key of the damaged value, as hex. */
  readonly key: string;

  constructor(seq: number, key: string, reason: string, options?: { cause?: unknown }) {
    super('WAL_CORRUPTION', `WAL corruption at seq ${seq} (key '${key}'): ${reason}`, options);
    this.name = 'WalCorruptionError';
    this.seq = seq;
    this.key = key;
  }
}

export function isWalError(e: unknown): e is WalError {
  return e instanceof WalError;
}
