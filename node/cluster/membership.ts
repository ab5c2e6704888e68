/**
 * ClusterMembership: everything a node needs to be a cluster member.
 *   - SWIM gossip (gossip/memberlist.ts over UDP+TCP on cluster.gossipPort) carrying the ring descriptor (GossipKV);
 *   - the Lifecycler that registers this node's tokens: JOINING once the WAL is replayed, ACTIVE after the
 *     observe period (at once when it restarts with its tokens still in the ring), heartbeats, and on
 *     shutdown LEAVING (peers stop writing to it) → drain → LEFT → leave gossip;
 *   - the RingRouter the distributor and querier use, told which instances gossip believes down;
 *   - the internal API, /ring and /memberlist routes.
 * The members last seen are saved to <dataDir>/cluster/peers.json and used as extra seeds on restart, so a
 * seed node that restarts finds the cluster again instead of starting a second one.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { lanDefaults, localDefaults } from '../../gossip/config.ts';
import { GossipKV } from '../../gossip/kv.ts';
import { Memberlist } from '../../gossip/memberlist.ts';
import { NodeState } from '../../gossip/node-state.ts';
import { InstanceState } from '../../gossip/ring/instance-state.ts';
import { Lifecycler } from '../../gossip/ring/lifecycler.ts';
import { type InstanceDesc, RingDesc, ringDescCodec } from '../../gossip/ring/ring-desc.ts';
import { Ring } from '../../gossip/ring/ring.ts';
import { UdpTransport } from '../../gossip/udp-transport.ts';
import { fnv1a32 } from '../../query/model/labels.ts';
import type { FrankConfig } from '../config.ts';
import type { IngesterClient } from '../distributor/ingester-client.ts';
import { ClusterError } from './errors.ts';
import { HttpIngesterClient, newClusterAgent, PushBodyCache } from './http-ingester-client.ts';
import { registerInternalRoutes } from './internal-routes.ts';
import { RingRouter } from './ring-router.ts';
import { registerRingRoutes } from './ring-routes.ts';

export interface ClusterMembershipDeps {
  config: FrankConfig;
  /** The node's HTTP server (routes are added here, before it listens). */
  server: FastifyInstance;
  /** The local ingester, called in-process. */
  local: IngesterClient;
  /** Largest uncompressed internal push (the node's remote-write limit). */
  maxUncompressedBytes: number;
  /** Diagnostics sink. @default stderr */
  log?: (msg: string) => void;
}

const RING_KEY = 'ring';

export class ClusterMembership {
  readonly config: FrankConfig['cluster'];
  readonly memberlist: Memberlist;
  readonly kv: GossipKV;
  /** The ring as gossiped (status pages, forget). */
  readonly ring: Ring;
  readonly router: RingRouter;
  readonly #deps: ClusterMembershipDeps;
  readonly #log: (msg: string) => void;
  readonly #agent = newClusterAgent();
  readonly #bodyCache = new PushBodyCache();
  readonly #clients = new Map<string, HttpIngesterClient>();
  /** Instance id → time until which calls to it are avoided after a failure. */
  readonly #failedUntil = new Map<string, number>();
  readonly #advertiseHost: string;
  #lifecycler: Lifecycler | undefined;
  #timers = new Set<NodeJS.Timeout>();
  #stopping = false;
  #peersDirty = false;
  /** Gossip addresses remembered from the last run (peers.json), tried as seeds too. */
  #savedPeers: string[] = [];

  constructor(deps: ClusterMembershipDeps) {
    this.#deps = deps;
    this.config = deps.config.cluster;
    this.#log = deps.log ?? ((m) => process.stderr.write(`frankenstein: cluster: ${m}\n`));
    const c = this.config;
    this.#advertiseHost = c.advertiseAddr || defaultAdvertiseHost(deps.config.server.host);
    const preset = c.gossip === 'local' ? localDefaults(c.instanceId) : lanDefaults(c.instanceId);
    this.memberlist = new Memberlist(
      { ...preset, bindHost: deps.config.server.host, bindPort: c.gossipPort, advertiseHost: this.#advertiseHost, meta: { zone: c.zone } },
      { transport: new UdpTransport({ host: deps.config.server.host, port: c.gossipPort }) },
    );
    this.kv = new GossipKV({ codecs: { [RING_KEY]: ringDescCodec }, memberlist: this.memberlist });
    this.ring = new Ring({ replicationFactor: c.replicationFactor, heartbeatTimeoutMs: c.heartbeatTimeoutMs, key: RING_KEY }, { kv: this.kv });
    this.router = new RingRouter({
      localId: c.instanceId,
      local: deps.local,
      clientFor: (inst) => this.#clientFor(inst),
      replicationFactor: c.replicationFactor,
      heartbeatTimeoutMs: c.heartbeatTimeoutMs,
    });
    registerInternalRoutes(deps.server, {
      push: (t, series, limits) => deps.local.push(t, series, limits),
      querier: (t) => deps.local.querier(t),
      maxUncompressedBytes: deps.maxUncompressedBytes,
    });
    registerRingRoutes(deps.server, {
      instances: () => this.ring.instances(),
      members: () => this.memberlist.members(),
      forget: (id) => this.forget(id),
    });
  }

  /** This node's ring entry state (PENDING before start()). */
  get state(): InstanceState {
    return this.#lifecycler?.state ?? InstanceState.PENDING;
  }

  /** Ready once this node is ACTIVE in the ring and not shutting down. */
  readiness(): { ready: boolean; reason?: string } {
    if (this.#stopping) return { ready: false, reason: 'leaving the cluster' };
    const s = this.state;
    return s === InstanceState.ACTIVE ? { ready: true } : { ready: false, reason: `ring state is ${s}` };
  }

  /**
   * Joins gossip, then registers in the ring and resolves once ACTIVE. Call after the WAL replay (the
   * instance must hold its data before peers route reads and writes to it) and after the server listens.
   */
  async start(): Promise<void> {
    const c = this.config;
    const events = ['join', 'update', 'suspect', 'dead', 'leave'] as const;
    for (const e of events) this.memberlist.on(e, () => this.#refreshDown(e !== 'update' && e !== 'suspect'));
    this.kv.watchKey<RingDesc>(RING_KEY, (d) => {
      this.router.update(d);
      this.#refreshDown(false);
    });
    await this.memberlist.start();
    await this.ring.start();
    this.#log(`gossip on ${this.memberlist.addr} as "${c.instanceId}"`);
    await this.#joinWithRetry();
    this.#every(this.memberlist.config.pushPullIntervalMs || 2000, () => this.#rejoinIfAlone());
    this.#every(1000, () => this.#savePeers());

    await this.#waitForEarlierJoiners();
    if (this.#stopping) return;
    const lc = new Lifecycler(
      {
        id: c.instanceId,
        addr: `${formatHost(this.#advertiseHost)}:${this.#httpPort()}`,
        zone: c.zone,
        numTokens: c.tokens,
        heartbeatPeriodMs: c.heartbeatPeriodMs,
        observePeriodMs: c.observePeriodMs,
        forgetAfterMs: c.forgetAfterMs,
        replicationFactor: c.replicationFactor,
        key: RING_KEY,
      },
      { kv: this.kv },
    );
    lc.on('state', (s) => this.#log(`instance "${c.instanceId}" is ${s}`));
    lc.on('forgot', (id) => this.#log(`forgot instance "${id}": no heartbeat for ${c.forgetAfterMs} ms`));
    this.#lifecycler = lc;
    await lc.start();
  }

  /**
   * New tokens are spread to even out the shares of the instances already in the ring; two nodes that
   * pick tokens at the same moment both cut into the same ranges and leave one instance with almost
   * nothing. So nodes that start together join one at a time, in name order: before claiming new tokens
   * we wait until every live gossip member whose name sorts before ours is ACTIVE in the ring. Bounded, so
   * a member that never becomes ACTIVE delays us by at most a few observe periods. A node taking back
   * its tokens after a restart does not wait.
   */
  async #waitForEarlierJoiners(): Promise<void> {
    const c = this.config;
    const mine = this.ring.desc?.get(c.instanceId);
    if (mine !== undefined && mine.state !== InstanceState.LEFT && mine.tokens.length === c.tokens) return;
    // Members that joined at about the same time as us announce themselves within a few gossip rounds;
    // on a busy machine that takes longer, so wait until the member list has been stable for a while
    // (bounded) rather than a fixed number of rounds.
    const interval = this.memberlist.config.gossipIntervalMs;
    const stableFor = Math.max(500, interval * 6);
    const giveUp = Date.now() + Math.max(5000, interval * 40);
    let count = this.memberlist.aliveMembers().length;
    let stableSince = Date.now();
    await sleep(interval * 4);
    while (Date.now() < giveUp && !this.#stopping) {
      const now = this.memberlist.aliveMembers().length;
      if (now !== count) {
        count = now;
        stableSince = Date.now();
      } else if (Date.now() - stableSince >= stableFor) break;
      await sleep(interval);
    }
    const earlier = (): string[] =>
      this.memberlist.aliveMembers()
        .map((m) => m.name)
        .filter((n) => n < c.instanceId && this.ring.desc?.get(n)?.state !== InstanceState.ACTIVE);
    let waiting = earlier();
    if (waiting.length === 0) return;
    this.#log(`waiting for ${waiting.map((n) => `"${n}"`).join(', ')} to be ACTIVE before claiming tokens`);
    const deadline = Date.now() + Math.min(120_000, (c.observePeriodMs + 3000) * (waiting.length + 1));
    while (waiting.length > 0 && !this.#stopping) {
      if (Date.now() >= deadline) {
        this.#log(`claiming tokens although ${waiting.map((n) => `"${n}"`).join(', ')} did not become ACTIVE in time`);
        return;
      }
      await sleep(50);
      waiting = earlier();
    }
  }

  /**
   * Graceful exit: LEAVING (peers route writes elsewhere) for leaveDrainMs, then `whileLeaving`
   * (the flush of everything in memory), LEFT, leave gossip, then closeServer() drains the
   * requests still in flight.
   */
  async stop(closeServer: () => Promise<void>, opts: { whileLeaving?: () => Promise<void> } = {}): Promise<void> {
    this.#stopping = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    try {
      await this.#lifecycler?.stop({
        beforeLeave: async () => {
          await sleep(this.config.leaveDrainMs);
          await opts.whileLeaving?.();
        },
      });
      // Let the LEFT entry ride a few gossip rounds before this member announces it leaves
      await sleep(Math.min(this.config.leaveDrainMs, this.memberlist.config.gossipIntervalMs * 4));
      await this.#savePeers(true);
      await this.memberlist.leave();
    } finally {
      await closeServer();
      await this.memberlist.shutdown();
      await this.ring.stop();
      this.#agent.destroy();
    }
  }

  /**
   * Whether this node is the one that handles a tenant-wide job (compaction): the first healthy ACTIVE
   * instance clockwise from the tenant's hash. Every node computes the same answer from the same ring.
   */
  ownsTenant(tenant: string): boolean {
    return this.state === InstanceState.ACTIVE && this.router.primary(fnv1a32(tenant)) === this.config.instanceId;
  }

  /** Exposes ring and gossip state on /metrics. */
  registerMetrics(m: { gaugeFrom(name: string, help: string, labelNames: string[], read: () => Iterable<[Record<string, string>, number]>): void }): void {
    m.gaugeFrom('frankenstein_ring_members', 'Ring instances by state and health, as this node sees them.', ['state', 'healthy'], () => {
      const counts = new Map<string, number>();
      for (const i of this.ring.instances()) {
        const k = `${i.state}|${i.healthy}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      return [...counts].map(([k, n]) => {
        const [state, healthy] = k.split('|') as [string, string];
        return [{ state, healthy }, n] as [Record<string, string>, number];
      });
    });
    m.gaugeFrom('frankenstein_ring_instances_down', 'Ring instances this node currently routes around (gossip says dead, or calls just failed).', [], () => [[{}, this.router.down.size]]);
    m.gaugeFrom('frankenstein_memberlist_members', 'Gossip members by state.', ['state'], () => {
      const counts = new Map<string, number>();
      for (const x of this.memberlist.members()) counts.set(x.state, (counts.get(x.state) ?? 0) + 1);
      return [...counts].map(([state, n]) => [{ state }, n] as [Record<string, string>, number]);
    });
    m.gaugeFrom('frankenstein_memberlist_health_score', 'Lifeguard local health score (0 is healthy).', [], () => [[{}, this.memberlist.healthScore]]);
    m.gaugeFrom('frankenstein_memberlist_failed_probes', 'Failed gossip probes since start.', [], () => [[{}, this.memberlist.stats.failedProbes]]);
  }

  /** Operator forget (POST /ring/forget): only instances that are not healthy. */
  forget(id: string): void {
    const inst = this.ring.instances().find((i) => i.id === id);
    if (inst === undefined) throw new ClusterError('CLUSTER_INSTANCE_NOT_FOUND', `cannot forget ring instance "${id}": not in the ring`);
    if (inst.healthy) throw new ClusterError('CLUSTER_INSTANCE_HEALTHY', `cannot forget ring instance "${id}": it is healthy (last heartbeat ${new Date(inst.heartbeatMs).toISOString()})`);
    const lc = this.#lifecycler;
    if (lc === undefined) throw new ClusterError('CLUSTER_RING_UNAVAILABLE', `cannot forget ring instance "${id}": this node has not joined the ring yet`);
    lc.forget(id);
    this.#log(`instance "${id}" forgotten by an operator`);
  }

  #httpPort(): number {
    const configured = this.#deps.config.server.port;
    if (configured !== 0) return configured;
    const a = this.#deps.server.server.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  #clientFor(inst: InstanceDesc): IngesterClient {
    const cur = this.#clients.get(inst.id);
    if (cur !== undefined && cur.addr === inst.addr) return cur;
    const c = new HttpIngesterClient(inst.id, inst.addr, {
      agent: this.#agent,
      pushTimeoutMs: this.config.pushTimeoutMs,
      queryTimeoutMs: this.config.queryTimeoutMs,
      bodyCache: this.#bodyCache,
      onFailure: (id, err) => {
        if (!(err instanceof ClusterError) || err.code !== 'CLUSTER_INGESTER_UNAVAILABLE') return;
        // Stop routing to it for a moment: no write should wait a timeout per request while gossip catches up
        const ms = Math.max(1000, this.config.heartbeatPeriodMs);
        this.#failedUntil.set(id, Date.now() + ms);
        this.#refreshDown(false);
        const t = setTimeout(() => {
          this.#timers.delete(t);
          this.#refreshDown(false);
        }, ms + 5);
        t.unref();
        this.#timers.add(t);
      },
    });
    this.#clients.set(inst.id, c);
    return c;
  }

  /**
   * Tells the router which ring instances are down (gossip says dead, left or unknown) and which are
   * suspected (a call to them just failed: avoided for a moment while enough others remain).
   */
  #refreshDown(membershipChanged: boolean): void {
    if (membershipChanged) this.#peersDirty = true;
    const desc = this.ring.desc;
    if (desc === undefined) return;
    const now = Date.now();
    const down: string[] = [];
    const suspect: string[] = [];
    for (const inst of desc.instances.values()) {
      if (inst.id === this.config.instanceId || inst.state === InstanceState.LEFT) continue;
      const m = this.memberlist.member(inst.id);
      if (m === undefined || m.state === NodeState.Dead || m.state === NodeState.Left) down.push(inst.id);
      const until = this.#failedUntil.get(inst.id);
      if (until !== undefined && until <= now) this.#failedUntil.delete(inst.id);
      else if (until !== undefined) suspect.push(inst.id);
    }
    this.router.setDown(down, suspect);
  }

  #seedTargets(): string[] {
    const self = this.memberlist.addr;
    const out = new Set<string>();
    for (const s of [...this.config.seeds, ...this.#savedPeers]) if (s !== self) out.add(s);
    return [...out];
  }

  async #joinWithRetry(): Promise<void> {
    this.#savedPeers = await this.#loadPeers();
    const targets = this.#seedTargets();
    if (targets.length === 0) {
      this.#log('no seeds: starting a new cluster');
      return;
    }
    const preset = this.memberlist.config;
    // Give seeds that start at the same time as us a while to come up; then go on alone and keep trying in the background
    const deadline = Date.now() + Math.max(5000, preset.tcpTimeoutMs * 3);
    for (let attempt = 1; ; attempt++) {
      try {
        const n = await this.memberlist.join(targets);
        this.#log(`joined gossip through ${n} of ${targets.length} seeds`);
        return;
      } catch (err) {
        if (this.#stopping) return;
        if (Date.now() >= deadline) {
          this.#log(`cannot join any seed of ${targets.join(', ')} after ${attempt} attempts, starting alone and retrying in the background: ${(err as Error).message}`);
          return;
        }
        await sleep(Math.min(1000, 100 * attempt));
      }
    }
  }

  #rejoinIfAlone(): void {
    if (this.#stopping || this.memberlist.numMembers() > 1) return;
    const targets = this.#seedTargets();
    if (targets.length === 0) return;
    this.memberlist.join(targets).then(
      (n) => this.#log(`rejoined gossip through ${n} seeds`),
      () => undefined,
    );
  }

  #every(ms: number, fn: () => void | Promise<void>): void {
    const tick = (): void => {
      if (this.#stopping) return;
      void Promise.resolve()
        .then(fn)
        .catch(() => undefined)
        .finally(() => {
          if (this.#stopping) return;
          const t = setTimeout(() => {
            this.#timers.delete(t);
            tick();
          }, ms);
          t.unref();
          this.#timers.add(t);
        });
    };
    const t = setTimeout(() => {
      this.#timers.delete(t);
      tick();
    }, ms);
    t.unref();
    this.#timers.add(t);
  }

  get #peersFile(): string {
    return join(this.#deps.config.dataDir, 'cluster', 'peers.json');
  }

  async #loadPeers(): Promise<string[]> {
    try {
      const j = JSON.parse(await readFile(this.#peersFile, 'utf8')) as { peers?: unknown };
      return Array.isArray(j.peers) ? j.peers.filter((p): p is string => typeof p === 'string') : [];
    } catch {
      return [];
    }
  }

  /** Remembers the gossip addresses of the live members (written atomically, only when membership changed). */
  async #savePeers(force = false): Promise<void> {
    if (!this.#peersDirty && !force) return;
    this.#peersDirty = false;
    const self = this.memberlist.name;
    const peers = this.memberlist.aliveMembers().filter((m) => m.name !== self).map((m) => m.addr).sort();
    if (peers.length === 0) return;
    const file = this.#peersFile;
    await mkdir(join(this.#deps.config.dataDir, 'cluster'), { recursive: true });
    await writeFile(`${file}.tmp`, JSON.stringify({ peers }) + '\n');
    await rename(`${file}.tmp`, file);
  }
}

/** server.host when it names one address; else the first external IPv4 address; else loopback. */
function defaultAdvertiseHost(bindHost: string): string {
  if (bindHost !== '0.0.0.0' && bindHost !== '::' && bindHost !== '') return bindHost;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function formatHost(h: string): string {
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}
