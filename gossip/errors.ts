/**
 * Operational errors of gossip/ and gossip/ring/. Each carries a stable code and the HTTP status it maps to,
 * so node/ can turn it into an API error without importing anything from here but the shape.
 * Programmer mistakes (bad config, bad arguments) throw TypeError/RangeError instead.
 */
export const GOSSIP_ERROR_CODES = {
  /** A UDP or TCP socket could not be bound (port in use, bad address). */
  GOSSIP_BIND_FAILED: 500,
  /** join() reached none of the seed addresses. */
  GOSSIP_JOIN_FAILED: 503,
  /** An operation needs a started, not yet shut down memberlist. */
  GOSSIP_NOT_RUNNING: 503,
  /** A TCP request (push-pull, reliable gossip) failed or timed out. */
  GOSSIP_STREAM_FAILED: 503,
  /** The ring holds no instance that can serve the operation. */
  RING_EMPTY: 503,
  /** Too few healthy instances own a key to reach a quorum. */
  RING_TOO_MANY_UNHEALTHY: 503,
  /** A quorum call saw more failures than the replication set tolerates. */
  RING_QUORUM_FAILED: 503,
  /** The named instance is not in the ring. */
  RING_INSTANCE_NOT_FOUND: 404,
} as const;

export type GossipErrorCode = keyof typeof GOSSIP_ERROR_CODES;

export class GossipError extends Error {
  readonly code: GossipErrorCode;
  readonly httpStatus: number;

  constructor(code: GossipErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'GossipError';
    this.code = code;
    this.httpStatus = GOSSIP_ERROR_CODES[code];
  }
}

export function isGossipError(e: unknown): e is GossipError {
  return e instanceof GossipError;
}
