/**
 * Errors of cluster mode (node/cluster/). Codes are stable; each maps to the HTTP status it is answered with.
 */
import { StoreError } from '../core/errors.ts';

export const CLUSTER_ERROR_STATUS = {
  /** Another node sent a malformed internal request. */
  CLUSTER_BAD_REQUEST: 400,
  /** Another node's internal answer could not be decoded. */
  CLUSTER_BAD_RESPONSE: 502,
  /** Another ingester could not be reached, timed out or failed. */
  CLUSTER_INGESTER_UNAVAILABLE: 503,
  /** The ring cannot serve the operation: empty, or too many instances unhealthy for a quorum. */
  CLUSTER_RING_UNAVAILABLE: 503,
  /** /ring/forget named an instance the ring does not list. */
  CLUSTER_INSTANCE_NOT_FOUND: 404,
  /** /ring/forget named an instance that is healthy: forgetting it would drop a working replica. */
  CLUSTER_INSTANCE_HEALTHY: 409,
} as const;

export type ClusterErrorCode = keyof typeof CLUSTER_ERROR_STATUS;

export class ClusterError extends StoreError {
  constructor(code: ClusterErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, CLUSTER_ERROR_STATUS[code], message, options);
    this.name = 'ClusterError';
  }
}
