import { type Clock, SystemClock } from '../clock.ts';
import { GossipError } from '../errors.ts';
import type { GossipKV } from '../kv.ts';
import { InstanceState } from './instance-state.ts';
import { type ReplicationSet, replicationSet } from './replication-set.ts';
import type { InstanceDesc, RingDesc } from './ring-desc.ts';
import { type TokenTable, buildTokenTable, ownership } from './tokens.ts';

export type RingOperation = 'write' | 'read';

export interface RingConfig {
  /** Copies of each series. @default 3 */
  replicationFactor: number;
  /** An instance whose last heartbeat is older than this is unhealthy, in ms. @default 60000 */
  heartbeatTimeoutMs: number;
  /** Place replicas in distinct zones first. @default false */
  zoneAwareness: boolean;
  /** KV key holding the ring descriptor. @default 'ring' */
  key: string;
}

export function defaultRingConfig(): RingConfig {
  return { replicationFactor: 3, heartbeatTimeoutMs: 60_000, zoneAwareness: false, key: 'ring' };
}

/** One instance as shown by status pages and the CLI. */
export interface InstanceInfo extends InstanceDesc {
  /** Fraction of the 2^32 token space this instance owns (primary ranges). */
  readonly ownership: number;
  readonly healthy: boolean;
}

/**
 * Read side of the ring (dskit ReadRing): follows the ring descriptor in the KV and answers which
 * instances own a key. Lookups walk the sorted token table clockwise from the key.
 */
export class Ring {
  readonly config: RingConfig;
  readonly #clock: Clock;
  readonly #kv: GossipKV | undefined;
  #desc: RingDesc | undefined;
  #live: InstanceDesc[] = [];
  #table: TokenTable = { tokens: new Uint32Array(0), owners: new Int32Array(0) };
  #unwatch: (() => void) | undefined;

  /** With a kv, call start() to follow it; without one, feed descriptors through update() (tests, tools). */
  constructor(config: Partial<RingConfig>, deps: { kv?: GossipKV; clock?: Clock }) {
    this.config = { ...defaultRingConfig(), ...config };
    if (!Number.isInteger(this.config.replicationFactor) || this.config.replicationFactor < 1) {
      throw new RangeError(`Invalid replication factor: ${this.config.replicationFactor}`);
    }
    this.#clock = deps.clock ?? new SystemClock();
    this.#kv = deps.kv;
  }

  async start(): Promise<void> {
    if (this.#kv === undefined || this.#unwatch !== undefined) return;
    this.#unwatch = this.#kv.watchKey<RingDesc>(this.config.key, (d) => this.update(d));
    const cur = this.#kv.get<RingDesc>(this.config.key);
    if (cur !== undefined) this.update(cur);
  }

  async stop(): Promise<void> {
    this.#unwatch?.();
    this.#unwatch = undefined;
  }

  /** Replaces the descriptor the ring answers from. */
  update(desc: RingDesc): void {
    if (desc === this.#desc) return;
    this.#desc = desc;
    this.#live = desc.live().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.#table = buildTokenTable(this.#live);
  }

  /** The current descriptor (tombstones included), or undefined before the first one arrived. */
  get desc(): RingDesc | undefined {
    return this.#desc;
  }

  /** Heartbeat fresh and not a tombstone. */
  isHealthy(inst: InstanceDesc, nowMs = this.#clock.now()): boolean {
    return inst.state !== InstanceState.LEFT && nowMs - inst.heartbeatMs <= this.config.heartbeatTimeoutMs;
  }

  /**
   * Instances to call for a key.
   * write: the first RF distinct instances clockwise that are ACTIVE and healthy; owners that are unhealthy,
   *        LEAVING, JOINING or PENDING are skipped and the walk extends to the next one, so a rolling restart
   *        never fails writes.
   * read:  the first RF distinct ACTIVE or LEAVING instances (they hold data; JOINING ones are passed over);
   *        unhealthy owners are left out and reduce the errors tolerated.
   * With zone awareness, instances of zones not yet used come first. Throws RING_EMPTY or RING_TOO_MANY_UNHEALTHY.
   */
  get(key: number, op: RingOperation): ReplicationSet {
    const { tokens, owners } = this.#table;
    const n = tokens.length;
    if (n === 0) throw new GossipError('RING_EMPTY', `Ring is empty: no instance owns key ${key >>> 0}`);
    const rf = this.config.replicationFactor;
    const now = this.#clock.now();
    const seen = new Set<number>();
    const zones = new Set<string>();
    const picked: InstanceDesc[] = [];
    const deferred: InstanceDesc[] = [];
    const usable = (i: InstanceDesc): boolean =>
      op === 'write' ? i.state === InstanceState.ACTIVE && this.isHealthy(i, now) : i.state === InstanceState.ACTIVE || i.state === InstanceState.LEAVING;
    const zoneAware = this.config.zoneAwareness;
    let start = lowerBound(tokens, key >>> 0);
    if (start === n) start = 0;
    for (let s = 0; s < n && picked.length < rf; s++) {
      const oi = owners[(start + s) % n]!;
      if (seen.has(oi)) continue;
      seen.add(oi);
      const inst = this.#live[oi]!;
      if (!usable(inst)) continue;
      if (zoneAware && zones.has(inst.zone)) {
        deferred.push(inst);
        continue;
      }
      zones.add(inst.zone);
      picked.push(inst);
    }
    // Fewer zones than RF: fill up with the next instances of zones already used
    for (const inst of deferred) {
      if (picked.length >= rf) break;
      picked.push(inst);
    }
    const context = `: key ${key >>> 0}, operation "${op}"`;
    if (op === 'write') return replicationSet(picked, rf, context);
    const healthy = picked.filter((i) => this.isHealthy(i, now));
    return replicationSet(healthy, rf, context);
  }

  /** Every live instance (no tombstones) with ownership and health, sorted by id. */
  instances(): InstanceInfo[] {
    const own = ownership(this.#live);
    const now = this.#clock.now();
    return this.#live.map((i) => ({ ...i, ownership: own.get(i.id) ?? 0, healthy: this.isHealthy(i, now) }));
  }

  /** Ownership fraction per live instance id. */
  ownership(): Map<string, number> {
    return ownership(this.#live);
  }

  /** True when every live instance is ACTIVE and healthy. */
  allHealthy(): boolean {
    const now = this.#clock.now();
    return this.#live.every((i) => i.state === InstanceState.ACTIVE && this.isHealthy(i, now));
  }

  instance(id: string): InstanceDesc | undefined {
    return this.#desc?.get(id);
  }
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
