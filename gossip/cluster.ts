import { type Clock, SystemClock } from './clock.ts';
import { type GossipConfigInput, localDefaults } from './config.ts';
import { GossipKV } from './kv.ts';
import { Memberlist } from './memberlist.ts';
import type { Member, MemberMeta } from './node-state.ts';
import type { Random } from './random.ts';
import { Lifecycler, type LifecyclerConfig, forgetInstance } from './ring/lifecycler.ts';
import type { ReplicationSet } from './ring/replication-set.ts';
import { type InstanceInfo, Ring, type RingConfig, type RingOperation } from './ring/ring.ts';
import { ringDescCodec } from './ring/ring-desc.ts';
import type { Transport } from './transport.ts';
import { UdpTransport } from './udp-transport.ts';

export interface GossipClusterConfig {
  /** Memberlist settings; name is required, the rest defaults to localDefaults(name) (spread lanDefaults(name) for a LAN). */
  memberlist: GossipConfigInput & { meta?: MemberMeta };
  /** Gossip addresses ("host:port") of members to join through; may include our own. @default [] */
  seeds?: readonly string[];
  /** Make start() fail when seeds were given and none answered; otherwise keep retrying in the background. @default false */
  abortIfJoinFails?: boolean;
  /** Retry period of join while we know no other member, in ms. @default 5000 */
  rejoinIntervalMs?: number;
  /** How the ring answers lookups. */
  ring?: Partial<RingConfig>;
  /** Register this process in the ring (ingesters). Omit for processes that only read the ring. */
  lifecycler?: Partial<LifecyclerConfig> & { id: string; addr: string };
}

export interface GossipClusterDeps {
  /** @default UdpTransport on memberlist.bindHost:bindPort */
  transport?: Transport;
  /** @default SystemClock */
  clock?: Clock;
  /** @default Math.random */
  random?: Random;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Everything a node needs from gossip/: memberlist + replicated KV + ring reader, and optionally this
 * process's own ring registration. The local member's metadata carries the lifecycle state ("state").
 */
export class GossipCluster {
  readonly memberlist: Memberlist;
  readonly kv: GossipKV;
  readonly ring: Ring;
  readonly lifecycler: Lifecycler | undefined;
  readonly #seeds: readonly string[];
  readonly #abortIfJoinFails: boolean;
  readonly #rejoinIntervalMs: number;
  readonly #clock: Clock;
  readonly #log: (msg: string, fields?: Record<string, unknown>) => void;
  #rejoinTimer: { cancel(): void } | undefined;
  #stopped = false;

  constructor(config: GossipClusterConfig, deps: GossipClusterDeps = {}) {
    const ml = { ...localDefaults(config.memberlist.name), ...config.memberlist };
    this.#clock = deps.clock ?? new SystemClock();
    this.#log = deps.log ?? (() => {});
    const transport = deps.transport ?? new UdpTransport({ host: ml.bindHost, port: ml.bindPort });
    this.memberlist = new Memberlist(config.memberlist, { transport, clock: this.#clock, ...(deps.random ? { random: deps.random } : {}), ...(deps.log ? { log: deps.log } : {}) });
    this.kv = new GossipKV({ codecs: { [config.ring?.key ?? 'ring']: ringDescCodec }, memberlist: this.memberlist });
    this.ring = new Ring(config.ring ?? {}, { kv: this.kv, clock: this.#clock });
    this.lifecycler = config.lifecycler === undefined
      ? undefined
      : new Lifecycler({ key: this.ring.config.key, replicationFactor: this.ring.config.replicationFactor, ...config.lifecycler }, { kv: this.kv, clock: this.#clock });
    this.lifecycler?.on('state', (state) => {
      try {
        this.memberlist.setMeta({ ...this.memberlist.meta, state });
      } catch (err) {
        this.#log('cannot publish lifecycle state in member metadata', { err });
      }
    });
    this.#seeds = config.seeds ?? [];
    this.#abortIfJoinFails = config.abortIfJoinFails ?? false;
    this.#rejoinIntervalMs = config.rejoinIntervalMs ?? 5000;
  }

  /** Binds, joins the seeds, starts following the ring and, with a lifecycler, registers this instance until ACTIVE. */
  async start(): Promise<void> {
    await this.memberlist.start();
    await this.ring.start();
    try {
      await this.memberlist.join(this.#seeds);
    } catch (err) {
      if (this.#abortIfJoinFails) {
        await this.memberlist.shutdown();
        throw err;
      }
      this.#log('join failed, retrying in the background', { err });
      this.#scheduleRejoin();
    }
    await this.lifecycler?.start();
  }

  /** Leaves gracefully: ring LEAVING → beforeLeave → LEFT, then the gossip leave message, then closes sockets. */
  async stop(opts?: { beforeLeave?: () => Promise<void> }): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#rejoinTimer?.cancel();
    try {
      await this.lifecycler?.stop(opts);
    } finally {
      await this.ring.stop();
      await this.memberlist.leave();
      await this.memberlist.shutdown();
    }
  }

  /** Gossip members, all states (alive/suspect/dead/left) with incarnations and metadata. */
  members(): Member[] {
    return this.memberlist.members();
  }

  /** Ring instances (no tombstones) with tokens, ownership, heartbeat and health. */
  instances(): InstanceInfo[] {
    return this.ring.instances();
  }

  /** Replicas for a 32-bit key. */
  get(key: number, op: RingOperation): ReplicationSet {
    return this.ring.get(key, op);
  }

  /** Operator forget of a ring instance (ignores the replication-factor guard). Throws RING_INSTANCE_NOT_FOUND. */
  forget(id: string): void {
    forgetInstance(this.kv, this.ring.config.key, id, this.#clock.now());
  }

  #scheduleRejoin(): void {
    this.#rejoinTimer = this.#clock.setTimeout(() => {
      if (this.#stopped) return;
      if (this.memberlist.numMembers() > 1) return;
      this.memberlist.join(this.#seeds).catch(() => this.#scheduleRejoin());
    }, this.#rejoinIntervalMs);
  }
}
