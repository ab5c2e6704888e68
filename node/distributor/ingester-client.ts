/**
 * How the distributor and querier reach ingesters: the local one in-process,
 * remote ones over the internal HTTP API (node/cluster/). Both look the same.
 */
import type { Querier } from '../../query/querier/queryable.ts';
import type { PushResult, PushSeries } from '../ingester/ingester.ts';
import type { TenantLimits } from '../ingester/config.ts';

export interface IngesterClient {
  /** Ring instance ID (the local node's ID in single-node mode). */
  readonly id: string;
  /** Resolves once the samples are durable in that ingester's WAL. */
  push(tenant: string, series: readonly PushSeries[], limits: TenantLimits): Promise<PushResult>;
  /**
   * Optional, for remote ingesters: push a whole remote-write body (snappy-compressed WriteRequest) as
   * received, when validation kept every series and sample of it unchanged. Same answer as push().
   */
  pushRaw?(tenant: string, body: Uint8Array, limits: TenantLimits): Promise<PushResult>;
  querier(tenant: string): Querier;
}

/** Where writes for one series go and how many must succeed. */
export interface ReplicaSet {
  clients: readonly IngesterClient[];
  /** Acknowledgements needed before the write counts as durable (quorum). */
  minSuccess: number;
}

/** Chooses replicas: one local ingester on a single node, the token ring in a cluster. */
export interface ReplicaRouter {
  /** Replica set for a series token (32-bit hash of tenant + labels). */
  writeReplicas(token: number): ReplicaSet;
  /** Ingesters to read a tenant's recent data from, and how many of them may fail. */
  readReplicas(tenant: string): { clients: readonly IngesterClient[]; maxFailures: number };
  /** When every series goes to the same single replica set (one node), that set: lets the distributor skip hashing. */
  onlyReplicaSet?(): ReplicaSet | undefined;
}

/** Single node: every series lives on the local ingester. */
export class LocalRouter implements ReplicaRouter {
  readonly #set: ReplicaSet;
  constructor(local: IngesterClient) {
    this.#set = { clients: [local], minSuccess: 1 };
  }
  writeReplicas(): ReplicaSet {
    return this.#set;
  }
  onlyReplicaSet(): ReplicaSet {
    return this.#set;
  }
  readReplicas(): { clients: readonly IngesterClient[]; maxFailures: number } {
    return { clients: this.#set.clients, maxFailures: 0 };
  }
}
