/**
 * Errors of the remote-write / remote-read wire codecs. Every one is a client
 * error: the body we were sent is malformed or too large, so the sender must
 * not retry (4xx other than 429).
 */
import { StoreError } from '../core/errors.ts';

/** Stable codes of this package, with the HTTP status each maps to. */
export const REMOTE_ERROR_CODES = {
  /** The protobuf body is malformed (truncated, bad varint, wrong wire type, bad UTF-8, ...). */
  REMOTE_DECODE: 400,
  /** The snappy block is corrupt, or it is the framed (stream) format instead of a block. */
  SNAPPY_CORRUPT: 400,
  /** The declared uncompressed size exceeds the configured maximum. */
  SNAPPY_TOO_LARGE: 413,
} as const;

export type RemoteErrorCode = keyof typeof REMOTE_ERROR_CODES;

/**
 * Malformed protobuf input. `field` is the dotted path of the field being
 * decoded (e.g. "WriteRequest.timeseries.samples.timestamp") and `offset` the
 * byte offset in the uncompressed message where decoding failed.
 */
export class RemoteDecodeError extends StoreError {
  readonly field: string;
  readonly offset: number;
  readonly detail: string;
  constructor(field: string, offset: number, detail: string) {
    super('REMOTE_DECODE', 400, `Invalid protobuf message: ${detail}: field ${field} at byte offset ${offset}`);
    this.name = 'RemoteDecodeError';
    this.field = field;
    this.offset = offset;
    this.detail = detail;
  }
}

/** Corrupt or unsupported snappy input (400) or a declared size over the limit (413). */
export class SnappyError extends StoreError {
  constructor(code: 'SNAPPY_CORRUPT' | 'SNAPPY_TOO_LARGE', message: string, cause?: unknown) {
    super(code, REMOTE_ERROR_CODES[code], message, cause !== undefined ? { cause } : undefined);
    this.name = 'SnappyError';
  }
}
