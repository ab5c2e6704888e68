import { EventEmitter } from 'node:events';
import { type Clock, SystemClock } from '../clock.ts';
import { GossipError } from '../errors.ts';
import type { GossipKV } from '../kv.ts';
import { InstanceState, canTransition } from './instance-state.ts';
import { type InstanceDesc, RingDesc } from './ring-desc.ts';
import { generateTokens } from './tokens.ts';

export interface LifecyclerConfig {
  /** Instance id in the ring (unique, stable across restarts so tokens are reused). */
  id: string;
  /** Address clients use to reach this instance. */
  addr: string;
  /** Availability zone. @default '' */
  zone: string;
  /** Tokens claimed on the ring. @default 128 */
  numTokens: number;
  /** Heartbeat period, in ms. @default 5000 */
  heartbeatPeriodMs: number;
  /** Time spent JOINING before ACTIVE, watching for token conflicts with instances that joined at the same time, in ms. @default 5000 */
  observePeriodMs: number;
  /** Instances whose heartbeat is older than this are removed from the ring automatically, in ms; 0 disables. @default 600000 */
  forgetAfterMs: number;
  /** Auto-forget never leaves fewer live instances than this. @default 3 */
  replicationFactor: number;
  /** LEFT tombstones are dropped this long after they were written, in ms. @default 86400000 */
  tombstoneTtlMs: number;
  /** KV key holding the ring descriptor. @default 'ring' */
  key: string;
}

export function defaultLifecyclerConfig(id: string, addr: string): LifecyclerConfig {
  return {
    id, addr, zone: '', numTokens: 128, heartbeatPeriodMs: 5000, observePeriodMs: 5000,
    forgetAfterMs: 600_000, replicationFactor: 3, tombstoneTtlMs: 86_400_000, key: 'ring',
  };
}

export interface LifecyclerEvents {
  /** The local instance moved to a new state. */
  state: [InstanceState];
  /** Auto-forget removed an instance whose heartbeat was too old. */
  forgot: [string];
}

/**
 * Registers the local instance in the ring and keeps it there (dskit BasicLifecycler):
 * PENDING → JOINING (tokens claimed) → ACTIVE on start, a heartbeat every period, LEAVING then a LEFT
 * tombstone on stop. Every heartbeat also removes instances silent for longer than forgetAfterMs, as long
 * as the ring keeps at least replicationFactor live instances.
 */
export class Lifecycler extends EventEmitter<LifecyclerEvents> {
  readonly config: LifecyclerConfig;
  readonly #kv: GossipKV;
  readonly #clock: Clock;
  #state: InstanceState = InstanceState.PENDING;
  #tokens: Uint32Array = new Uint32Array(0);
  #timer: { cancel(): void } | undefined;
  #running = false;

  constructor(config: Partial<LifecyclerConfig> & { id: string; addr: string }, deps: { kv: GossipKV; clock?: Clock }) {
    super();
    this.config = { ...defaultLifecyclerConfig(config.id, config.addr), ...config };
    if (!Number.isInteger(this.config.numTokens) || this.config.numTokens < 1) throw new RangeError(`Invalid token count: ${this.config.numTokens}`);
    if (this.config.heartbeatPeriodMs <= 0) throw new RangeError(`Invalid heartbeat period: ${this.config.heartbeatPeriodMs} ms`);
    this.#kv = deps.kv;
    this.#clock = deps.clock ?? new SystemClock();
  }

  get state(): InstanceState {
    return this.#state;
  }

  get tokens(): Uint32Array {
    return this.#tokens;
  }

  /**
   * Registers and brings the instance to ACTIVE. Join the gossip cluster first, so the ring seen here is
   * the cluster's. An instance restarting with the same id takes back its tokens and goes ACTIVE at once.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const existing = this.#ring().get(this.config.id);
    if (existing !== undefined && existing.state !== InstanceState.LEFT && existing.tokens.length === this.config.numTokens) {
      this.#tokens = existing.tokens;
      this.#write(InstanceState.ACTIVE);
      this.#scheduleHeartbeat();
      return;
    }
    this.#write(InstanceState.PENDING);
    this.#tokens = generateTokens({ id: this.config.id, zone: this.config.zone, count: this.config.numTokens, peers: this.#ring().live() });
    this.#write(InstanceState.JOINING);
    this.#scheduleHeartbeat();
    if (this.config.observePeriodMs > 0) {
      await new Promise<void>((r) => this.#clock.setTimeout(r, this.config.observePeriodMs));
      if (!this.#running) return;
      this.#resolveTokenConflicts();
    }
    this.#write(InstanceState.ACTIVE);
  }

  /**
   * Leaves the ring: LEAVING, then beforeLeave (e.g. flush), then a LEFT tombstone without tokens.
   * The heartbeat stops; the caller then leaves the gossip cluster.
   */
  async stop(opts?: { beforeLeave?: () => Promise<void> }): Promise<void> {
    if (!this.#running) return;
    this.#write(InstanceState.LEAVING);
    try {
      await opts?.beforeLeave?.();
    } finally {
      this.#running = false;
      this.#timer?.cancel();
      this.#timer = undefined;
      this.#tokens = new Uint32Array(0);
      this.#write(InstanceState.LEFT);
    }
  }

  /** Moves the local instance to another state (e.g. LEAVING ahead of a planned shutdown). */
  changeState(state: InstanceState): void {
    if (!canTransition(this.#state, state)) throw new TypeError(`Invalid ring state change: instance "${this.config.id}" from ${this.#state} to ${state}`);
    this.#write(state);
  }

  /** Operator forget: replaces an instance with a tombstone, whatever the replication factor says. */
  forget(id: string): void {
    forgetInstance(this.#kv, this.config.key, id, this.#clock.now());
  }

  /** One heartbeat: refresh our entry, auto-forget silent instances, drop old tombstones. Exposed for tests. */
  heartbeat(): void {
    if (!this.#running) return;
    this.#write(this.#state);
    this.#autoForget();
  }

  #scheduleHeartbeat(): void {
    this.#timer = this.#clock.setTimeout(() => {
      if (!this.#running) return;
      this.heartbeat();
      this.#scheduleHeartbeat();
    }, this.config.heartbeatPeriodMs);
  }

  #ring(): RingDesc {
    return this.#kv.get<RingDesc>(this.config.key) ?? RingDesc.empty();
  }

  #write(state: InstanceState): void {
    const { id, addr, zone, key } = this.config;
    this.#kv.cas<RingDesc>(key, (cur) => {
      const d = cur ?? RingDesc.empty();
      const prev = d.get(id);
      const now = this.#clock.now();
      const next: InstanceDesc = {
        id, addr, zone, state,
        tokens: state === InstanceState.LEFT || state === InstanceState.PENDING ? new Uint32Array(0) : this.#tokens,
        heartbeatMs: now,
        registeredMs: prev !== undefined && prev.state !== InstanceState.LEFT ? prev.registeredMs : now,
        // Strictly newer than whatever is there, including a tombstone someone wrote while we were silent
        updatedMs: Math.max(now, (prev?.updatedMs ?? -1) + 1),
      };
      return d.withInstance(next);
    });
    if (state !== this.#state) {
      this.#state = state;
      this.emit('state', state);
    }
  }

  /** Tokens also claimed by an instance registered earlier (ties: smaller id) are replaced by fresh ones. */
  #resolveTokenConflicts(): void {
    const ring = this.#ring();
    const me = ring.get(this.config.id);
    const myReg = me?.registeredMs ?? this.#clock.now();
    const lost = new Set<number>();
    const others = ring.live().filter((i) => i.id !== this.config.id);
    for (const o of others) {
      const theyWin = o.registeredMs < myReg || (o.registeredMs === myReg && o.id < this.config.id);
      if (!theyWin) continue;
      for (const t of o.tokens) if (binaryHas(this.#tokens, t)) lost.add(t);
    }
    if (lost.size === 0) return;
    const kept = Uint32Array.from([...this.#tokens].filter((t) => !lost.has(t)));
    const peers = [...others, { id: this.config.id, zone: this.config.zone, tokens: kept }];
    const extra = generateTokens({ id: `${this.config.id}/conflict`, zone: this.config.zone, count: lost.size, peers });
    this.#tokens = Uint32Array.from([...kept, ...extra]).sort();
  }

  #autoForget(): void {
    const { forgetAfterMs, replicationFactor, tombstoneTtlMs, key, id: self } = this.config;
    const now = this.#clock.now();
    this.#kv.cas<RingDesc>(key, (cur) => {
      if (cur === undefined) return null;
      let d = cur.withoutTombstonesBefore(now - tombstoneTtlMs);
      if (forgetAfterMs > 0) {
        const live = d.live();
        let remaining = live.length;
        const silent = live
          .filter((i) => i.id !== self && now - i.heartbeatMs > forgetAfterMs)
          .sort((a, b) => a.heartbeatMs - b.heartbeatMs);
        for (const inst of silent) {
          // Never shrink the ring below what the replication factor needs without an operator
          if (remaining - 1 < replicationFactor) break;
          d = d.forget(inst.id, now);
          remaining--;
          this.emit('forgot', inst.id);
        }
      }
      return d === cur ? null : d;
    });
  }
}

/** Writes a tombstone for id; throws RING_INSTANCE_NOT_FOUND when the ring does not list it. */
export function forgetInstance(kv: GossipKV, key: string, id: string, nowMs: number): void {
  let found = false;
  kv.cas<RingDesc>(key, (cur) => {
    const inst = cur?.get(id);
    if (cur === undefined || inst === undefined || inst.state === InstanceState.LEFT) return null;
    found = true;
    return cur.forget(id, nowMs);
  });
  if (!found) throw new GossipError('RING_INSTANCE_NOT_FOUND', `Cannot forget ring instance "${id}": not in the ring`);
}

function binaryHas(a: Uint32Array, t: number): boolean {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo < a.length && a[lo] === t;
}
