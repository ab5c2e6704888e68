/**
 * ReplicaRouter over the gossiped token ring.
 *
 * Writes: the replicas of a series are the first RF instances clockwise from its token that are ACTIVE and
 * healthy (gossip's Ring.get(token, 'write')). Owners that are LEAVING, JOINING, silent (stale heartbeat)
 * or known down (gossip says dead, or our last call to them failed) are skipped and the walk extends to
 * the next instance, so a rolling restart or one crashed node never fails writes. A write is durable once
 * minSuccess = floor(RF/2)+1 replicas acknowledged it.
 *
 * Reads (the decision that keeps reads gap-free): a tenant's series are spread over the whole ring, and an
 * ingester that was down or restarting missed the writes made meanwhile (they went to its peers). So a
 * read asks EVERY usable ACTIVE or LEAVING instance for the tenant and union-merges the answers (series
 * by labels, samples deduplicated by timestamp, see query/querier/merge-querier.ts): a gap in one replica
 * is filled by the peers that took those writes. Completeness argument: every acknowledged sample is on at
 * least q = floor(RF/2)+1 instances, so as long as fewer than q of the instances that ever took writes are
 * missing from the answer, at least one holder of each sample answered. Missing are: failed calls, plus
 * ring entries known not to answer — unhealthy or down instances, restarted ones not yet ACTIVE, and
 * instances that left or were forgotten (their LEFT tombstone stays a day, about the head retention:
 * their copies left with them, there is no hand-over). Hence maxFailures = q - 1 - (known missing), and
 * the read fails with 503 instead of answering partially when q or more are missing.
 */
import { GossipError } from '../../gossip/errors.ts';
import { InstanceState } from '../../gossip/ring/instance-state.ts';
import { quorum } from '../../gossip/ring/replication-set.ts';
import { type InstanceDesc, RingDesc } from '../../gossip/ring/ring-desc.ts';
import { Ring } from '../../gossip/ring/ring.ts';
import { type Clock, SystemClock } from '../../gossip/clock.ts';
import type { IngesterClient, ReplicaRouter, ReplicaSet } from '../distributor/ingester-client.ts';
import { ClusterError } from './errors.ts';

export interface RingRouterOptions {
  /** Ring id of this node: its replica is served in-process by `local`. */
  localId: string;
  local: IngesterClient;
  /** Client for another instance; must return the same object for the same instance (the distributor groups by client). */
  clientFor(inst: InstanceDesc): IngesterClient;
  /** @default 3 */
  replicationFactor: number;
  /** @default 60000 */
  heartbeatTimeoutMs: number;
  clock?: Clock;
}

export interface ReadSet {
  clients: readonly IngesterClient[];
  maxFailures: number;
}

export class RingRouter implements ReplicaRouter {
  readonly #opts: RingRouterOptions;
  /** The ring as gossiped, with down and suspected instances marked unhealthy. */
  readonly #view: Ring;
  /** The same with only the down instances marked: the fallback when avoiding suspects leaves too few. */
  readonly #strict: Ring;
  readonly #quorum: number;
  readonly #clock: Clock;
  #desc: RingDesc = RingDesc.empty();
  #down: ReadonlySet<string> = new Set();
  #suspect: ReadonlySet<string> = new Set();
  /** Sorted tokens of the view: a key's replica set depends only on the first token at or after it. */
  #tokens = new Uint32Array(0);
  /** Replica set per token index, computed on first use; dropped on every ring change and after CACHE_MS (heartbeats age). */
  #sets: (ReplicaSet | undefined)[] = [];
  #setsAt = 0;
  /** Instances in the ring, tombstones excluded. */
  #liveCount = 0;

  constructor(opts: RingRouterOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? new SystemClock();
    this.#quorum = quorum(opts.replicationFactor);
    const cfg = { replicationFactor: opts.replicationFactor, heartbeatTimeoutMs: opts.heartbeatTimeoutMs };
    this.#view = new Ring(cfg, opts.clock ? { clock: opts.clock } : {});
    this.#strict = new Ring(cfg, opts.clock ? { clock: opts.clock } : {});
  }

  /** A new ring descriptor arrived through gossip. */
  update(desc: RingDesc): void {
    this.#desc = desc;
    this.#rebuild();
  }

  /**
   * down: instances gossip declares dead or gone; they are always routed around. suspect: instances whose
   * last call just failed; they are avoided only while enough others remain, so one slow answer never
   * costs a quorum. The local instance is neither.
   */
  setDown(down: Iterable<string>, suspect: Iterable<string> = []): void {
    const d = new Set(down);
    d.delete(this.#opts.localId);
    const s = new Set([...suspect].filter((x) => !d.has(x)));
    s.delete(this.#opts.localId);
    if (sameSet(d, this.#down) && sameSet(s, this.#suspect)) return;
    this.#down = d;
    this.#suspect = s;
    this.#rebuild();
  }

  /** Instances currently routed around (down and suspected). */
  get down(): ReadonlySet<string> {
    return new Set([...this.#down, ...this.#suspect]);
  }

  #rebuild(): void {
    // A zero heartbeat makes an instance unhealthy: Ring.get then skips it for writes and extends the walk
    const mark = (ids: ReadonlySet<string>): RingDesc => {
      if (ids.size === 0) return this.#desc;
      const out: InstanceDesc[] = [];
      for (const i of this.#desc.instances.values()) out.push(ids.has(i.id) ? { ...i, heartbeatMs: 0 } : i);
      return new RingDesc(out);
    };
    const strict = mark(this.#down);
    this.#strict.update(strict);
    this.#view.update(this.#suspect.size === 0 ? strict : mark(new Set([...this.#down, ...this.#suspect])));
    let n = 0;
    let live = 0;
    for (const i of this.#desc.live()) {
      n += i.tokens.length;
      live++;
    }
    this.#liveCount = live;
    const tokens = new Uint32Array(n);
    n = 0;
    for (const i of this.#desc.live()) {
      tokens.set(i.tokens, n);
      n += i.tokens.length;
    }
    this.#tokens = tokens.sort();
    this.#sets = new Array(n);
    this.#setsAt = this.#clock.now();
  }

  #client(inst: InstanceDesc): IngesterClient {
    return inst.id === this.#opts.localId ? this.#opts.local : this.#opts.clientFor(inst);
  }

  writeReplicas(token: number): ReplicaSet {
    // Called once per series on the write path: answer from the per-token-range cache
    const tokens = this.#tokens;
    if (tokens.length === 0) return this.#compute(token);
    const now = this.#clock.now();
    if (now - this.#setsAt > CACHE_MS) {
      this.#sets = new Array(tokens.length);
      this.#setsAt = now;
    }
    let idx = lowerBound(tokens, token >>> 0);
    if (idx === tokens.length) idx = 0;
    let set = this.#sets[idx];
    if (set === undefined) this.#sets[idx] = set = this.#compute(tokens[idx]!);
    return set;
  }

  /**
   * With no more instances than the replication factor, the write walk from any token visits every
   * instance and keeps the usable ones (usability is per instance, not per token), so every series has
   * the same replica set: the distributor then sends whole batches without hashing series.
   */
  onlyReplicaSet(): ReplicaSet | undefined {
    if (this.#liveCount === 0 || this.#liveCount > this.#opts.replicationFactor) return undefined;
    return this.writeReplicas(0);
  }

  #compute(token: number): ReplicaSet {
    let set;
    try {
      set = this.#view.get(token, 'write');
    } catch {
      try {
        set = this.#strict.get(token, 'write');
      } catch (err) {
        throw ringUnavailable(err, 'write');
      }
    }
    const inst = set.instances;
    const clients: IngesterClient[] = new Array(inst.length);
    for (let i = 0; i < inst.length; i++) clients[i] = this.#client(inst[i]!);
    return { clients, minSuccess: set.minSuccess };
  }

  /** Id of the first healthy ACTIVE instance clockwise from a key (e.g. the one that compacts a tenant), or undefined. */
  primary(token: number): string | undefined {
    try {
      return this.#view.get(token, 'write').instances[0]?.id;
    } catch {
      return undefined;
    }
  }

  readReplicas(_tenant: string): ReadSet {
    try {
      return this.#readSet(this.#view);
    } catch (err) {
      if (this.#suspect.size === 0) throw err;
      // Avoiding the suspects would leave the read incomplete: ask them too
      return this.#readSet(this.#strict);
    }
  }

  #readSet(view: Ring): ReadSet {
    const usable: InstanceDesc[] = [];
    // Every ring entry that may have acknowledged writes but will not answer this read: unhealthy or down
    // instances, ones that left or were forgotten (LEFT tombstones, kept for a day: their copies are gone),
    // and restarted ones not yet ACTIVE again. Each takes one from the failures the read may tolerate.
    const missing: string[] = [];
    const healthy = new Map(view.instances().map((i) => [i.id, i.healthy]));
    for (const i of view.desc?.instances.values() ?? []) {
      const readable = i.state === InstanceState.ACTIVE || i.state === InstanceState.LEAVING;
      if (readable && healthy.get(i.id) === true) usable.push(i);
      else missing.push(`"${i.id}" (${i.state}${readable ? ', down' : ''})`);
    }
    const tolerated = this.#quorum - 1;
    if (usable.length === 0 || missing.length > tolerated) {
      throw new ClusterError(
        'CLUSTER_RING_UNAVAILABLE',
        `read would be incomplete: ${missing.length} ring instances cannot answer (${missing.join(', ') || 'the ring is empty'}) ` +
          `and replication factor ${this.#opts.replicationFactor} tolerates ${tolerated}`,
      );
    }
    usable.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { clients: usable.map((i) => this.#client(i)), maxFailures: tolerated - missing.length };
  }
}

/** Replica sets are recomputed at least this often, so heartbeat staleness is seen quickly. */
const CACHE_MS = 200;

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** First index with tokens[i] >= key. */
function lowerBound(tokens: Uint32Array, key: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tokens[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function ringUnavailable(err: unknown, op: string): Error {
  if (err instanceof GossipError) return new ClusterError('CLUSTER_RING_UNAVAILABLE', `cannot ${op}: ${err.message}`, { cause: err });
  return err as Error;
}
