import { GossipError } from '../errors.ts';
import type { InstanceDesc } from './ring-desc.ts';

/** The instances to call for one key, and how many of them must answer. */
export interface ReplicationSet {
  readonly instances: readonly InstanceDesc[];
  /** Successful calls needed: floor(RF / 2) + 1. */
  readonly minSuccess: number;
  /** Failed calls tolerated before the operation fails: instances.length - minSuccess. */
  readonly maxErrors: number;
}

/** Quorum size for a replication factor. */
export function quorum(replicationFactor: number): number {
  return Math.floor(replicationFactor / 2) + 1;
}

/**
 * Builds a replication set over instances for a replication factor. Throws RING_TOO_MANY_UNHEALTHY when
 * fewer than the quorum are given.
 */
export function replicationSet(instances: readonly InstanceDesc[], replicationFactor: number, context = ''): ReplicationSet {
  const minSuccess = quorum(replicationFactor);
  if (instances.length < minSuccess) {
    throw new GossipError(
      'RING_TOO_MANY_UNHEALTHY',
      `Too many unhealthy instances in the ring${context}: ${instances.length} usable, ${minSuccess} needed for replication factor ${replicationFactor}`,
    );
  }
  return { instances, minSuccess, maxErrors: instances.length - minSuccess };
}

/**
 * Calls fn on every instance of the set in parallel and resolves with the first minSuccess results;
 * rejects with RING_QUORUM_FAILED as soon as more than maxErrors calls failed. Calls still running when the
 * outcome is known get their signal aborted.
 */
export function doUntilQuorum<T>(set: ReplicationSet, fn: (inst: InstanceDesc, signal: AbortSignal) => Promise<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const ctl = new AbortController();
    const results: T[] = [];
    const errors: unknown[] = [];
    let settled = false;
    for (const inst of set.instances) {
      let p: Promise<T>;
      try {
        p = fn(inst, ctl.signal);
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        (r) => {
          if (settled) return;
          results.push(r);
          if (results.length >= set.minSuccess) {
            settled = true;
            ctl.abort();
            resolve(results);
          }
        },
        (err) => {
          if (settled) return;
          errors.push(err);
          if (errors.length > set.maxErrors) {
            settled = true;
            ctl.abort();
            reject(new GossipError('RING_QUORUM_FAILED', `Quorum not reached: ${errors.length} of ${set.instances.length} calls failed, at most ${set.maxErrors} tolerated`, {
              cause: new AggregateError(errors),
            }));
          }
        },
      );
    }
    if (set.instances.length === 0 && set.minSuccess <= 0) resolve(results);
  });
}
