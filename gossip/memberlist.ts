import { EventEmitter } from 'node:events';
import { networkInterfaces } from 'node:os';
import { Awareness } from './awareness.ts';
import { BroadcastQueue } from './broadcast-queue.ts';
import { type Clock, SystemClock } from './clock.ts';
import { type GossipConfig, type GossipConfigInput, localDefaults, validateGossipConfig } from './config.ts';
import { GossipError } from './errors.ts';
import {
  type AliveMsg, type DeadMsg, type Message, type PushNode, type StreamRequest, type SuspectMsg,
  decodePacket, decodeStreamRequest, decodeStreamResponse, encodeMessage, encodePacket,
  encodeStreamRequest, encodeStreamResponse, isAddr, isValidMeta, joinAddr, metaSize, packetOverhead, splitAddr,
} from './messages.ts';
import { type Member, type MemberMeta, NodeState, decideAlive, decideDead, decideSuspect, sameMeta } from './node-state.ts';
import { type Random, shuffle } from './random.ts';
import { Suspicion, suspicionTimeout } from './suspicion.ts';
import type { Transport } from './transport.ts';

/** Hooks for the layer above (the KV store): application broadcasts and full-state exchange. */
export interface MemberlistDelegate {
  /** A user broadcast arrived (from UDP or TCP). Must validate payload and not throw. */
  notifyUser(payload: unknown): void;
  /** Full application state sent in every push-pull. */
  localState(join: boolean): unknown;
  /** Application state received in a push-pull. Must validate and not throw. */
  mergeRemoteState(state: unknown, join: boolean): void;
}

export interface MemberlistDeps {
  transport: Transport;
  /** @default SystemClock */
  clock?: Clock;
  /** @default Math.random */
  random?: Random;
  /** Optional sink for diagnostics. */
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface MemberlistEvents {
  /** A member became alive for the first time or came back from dead/left. */
  join: [Member];
  /** A live member changed its metadata or address. */
  update: [Member];
  /** A member is suspected of having failed. */
  suspect: [Member];
  /** A member was declared dead by failure detection. */
  dead: [Member];
  /** A member left gracefully. */
  leave: [Member];
}

/** Counters for /metrics and tests. */
export interface MemberlistStats {
  packetsReceived: number;
  packetsSent: number;
  malformedPackets: number;
  malformedStreams: number;
  misdirectedPings: number;
  probes: number;
  failedProbes: number;
  refutations: number;
  pushPulls: number;
  failedPushPulls: number;
}

interface MemberEntry {
  name: string;
  addr: string;
  meta: MemberMeta;
  incarnation: number;
  state: NodeState;
  stateChangeMs: number;
  suspicion: Suspicion | undefined;
}

interface AckHandler {
  onAck(): void;
  onNack(): void;
  timer: { cancel(): void } | undefined;
}

type Phase = 'new' | 'running' | 'left' | 'shutdown';

/**
 * SWIM failure detector and membership with Lifeguard (memberlist's design): round-robin probes with
 * indirect probes through k members and nacks, incarnation-ordered alive/suspect/dead messages
 * piggybacked on probe and gossip traffic, suspicion that confirmations shorten, periodic TCP push-pull
 * of the full state, join through seeds and a graceful leave.
 */
export class Memberlist extends EventEmitter<MemberlistEvents> {
  readonly config: GossipConfig;
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #log: (msg: string, fields?: Record<string, unknown>) => void;
  readonly #members = new Map<string, MemberEntry>();
  readonly #awareness: Awareness;
  /** Broadcasts that fit in a datagram. */
  readonly #broadcasts: BroadcastQueue;
  /** Broadcasts too big for a datagram: sent over TCP to the gossip targets instead (never dropped). */
  readonly #largeBroadcasts: BroadcastQueue;
  readonly #acks = new Map<number, AckHandler>();
  readonly #timers = new Set<{ cancel(): void }>();
  #delegate: MemberlistDelegate | undefined;
  #phase: Phase = 'new';
  #leaving = false;
  #addr = '';
  #incarnation = 0;
  #seq = 0;
  #probeOrder: string[] = [];
  #probeIndex = 0;
  #meta: MemberMeta = {};
  readonly stats: MemberlistStats = {
    packetsReceived: 0, packetsSent: 0, malformedPackets: 0, malformedStreams: 0, misdirectedPings: 0,
    probes: 0, failedProbes: 0, refutations: 0, pushPulls: 0, failedPushPulls: 0,
  };

  /** config: name is required, the rest defaults to localDefaults(name); pass {...lanDefaults(name)} for a LAN. */
  constructor(config: GossipConfigInput & { meta?: MemberMeta }, deps: MemberlistDeps) {
    super();
    const { meta, ...rest } = config;
    this.config = validateGossipConfig({ ...localDefaults(config.name), ...rest });
    this.#transport = deps.transport;
    this.#clock = deps.clock ?? new SystemClock();
    this.#random = deps.random ?? Math.random;
    this.#log = deps.log ?? (() => {});
    this.#awareness = new Awareness(this.config.awarenessMaxMultiplier);
    this.#broadcasts = new BroadcastQueue({ retransmitMult: this.config.retransmitMult });
    this.#largeBroadcasts = new BroadcastQueue({ retransmitMult: this.config.retransmitMult, maxItems: 256 });
    if (meta !== undefined) this.#meta = this.#checkMeta(meta);
  }

  /** Name of the local member. */
  get name(): string {
    return this.config.name;
  }

  /** Advertised "host:port" of the local member (known after start()). */
  get addr(): string {
    return this.#addr;
  }

  get incarnation(): number {
    return this.#incarnation;
  }

  /** Lifeguard local-health score (0 = healthy). */
  get healthScore(): number {
    return this.#awareness.score;
  }

  /** Installs the application delegate (the KV store); call before start(). */
  setDelegate(d: MemberlistDelegate): void {
    this.#delegate = d;
  }

  /** Binds the transport, marks ourselves alive and starts the probe, gossip and push-pull loops. */
  async start(): Promise<void> {
    if (this.#phase !== 'new') throw new TypeError(`Cannot start memberlist "${this.name}": it was already started`);
    const bound = await this.#transport.start({
      onPacket: (buf, from) => this.#onPacket(buf, from),
      onRequest: (payload, from) => this.#onRequest(payload, from),
    });
    const b = splitAddr(bound);
    this.#addr = joinAddr(this.config.advertiseHost || advertisableHost(b.host), this.config.advertisePort || b.port);
    this.#phase = 'running';
    const now = this.#clock.now();
    this.#members.set(this.name, {
      name: this.name, addr: this.#addr, meta: this.#meta, incarnation: this.#incarnation,
      state: NodeState.Alive, stateChangeMs: now, suspicion: undefined,
    });
    this.#broadcastAliveSelf();
    this.#scheduleProbe();
    this.#every(this.config.gossipIntervalMs, () => this.#gossip());
    if (this.config.pushPullIntervalMs > 0) this.#schedulePushPull();
  }

  /**
   * Contacts every seed ("host:port") over TCP with a full-state push-pull; resolves with the number reached.
   * Rejects with GOSSIP_JOIN_FAILED when seeds were given and none answered.
   */
  async join(seeds: readonly string[]): Promise<number> {
    this.#assertRunning('join');
    const targets = seeds.filter((s) => s !== this.#addr);
    if (targets.length === 0) return 0;
    let ok = 0;
    const errors: unknown[] = [];
    await Promise.all(targets.map(async (seed) => {
      if (!isAddr(seed)) {
        errors.push(new TypeError(`Invalid seed address: "${seed}"`));
        return;
      }
      try {
        await this.#pushPull(seed, true);
        ok++;
      } catch (err) {
        errors.push(err);
      }
    }));
    if (ok === 0) {
      throw new GossipError('GOSSIP_JOIN_FAILED', `Cannot join gossip cluster: no seed answered out of ${targets.length} (${targets.join(', ')})`, {
        cause: new AggregateError(errors),
      });
    }
    return ok;
  }

  /**
   * Publishes new metadata for the local member: raises our incarnation and gossips an alive message.
   * Rejects metadata above maxMetaBytes with RangeError (never dropped silently).
   */
  setMeta(meta: MemberMeta): void {
    this.#meta = this.#checkMeta(meta);
    if (this.#phase !== 'running') return;
    this.#incarnation++;
    this.#updateSelf();
    this.#broadcastAliveSelf();
  }

  get meta(): MemberMeta {
    return this.#meta;
  }

  /** Every known member (all states), the local one included. */
  members(): Member[] {
    return [...this.#members.values()].map(snapshot);
  }

  /** Members currently alive (the local one included). */
  aliveMembers(): Member[] {
    return this.members().filter((m) => m.state === NodeState.Alive);
  }

  member(name: string): Member | undefined {
    const m = this.#members.get(name);
    return m === undefined ? undefined : snapshot(m);
  }

  /** Estimated number of live or suspect members (for retransmit limits and suspicion scaling). */
  numMembers(): number {
    let n = 0;
    for (const m of this.#members.values()) if (m.state === NodeState.Alive || m.state === NodeState.Suspect) n++;
    return n;
  }

  /**
   * Broadcasts an application payload to every member. Payloads too big for a datagram travel over TCP.
   * key: a newer broadcast with the same key replaces a pending older one.
   */
  broadcastUser(payload: unknown, key?: string): void {
    if (this.#phase !== 'running') return;
    const encoded = encodeMessage({ t: 'user', p: payload });
    const opts = key === undefined ? undefined : { key: `user:${key}` };
    if (Buffer.byteLength(encoded) + packetOverhead(this.name) + 64 > this.config.udpBufferSize) this.#largeBroadcasts.queue(encoded, opts);
    else this.#broadcasts.queue(encoded, opts);
  }

  /**
   * Leaves gracefully: gossips that we left and waits until that message was sent out (or timeoutMs passed).
   * Keeps the sockets open so the news keeps spreading until shutdown().
   */
  async leave(timeoutMs = this.config.leavePropagateMs): Promise<void> {
    if (this.#phase !== 'running' || this.#leaving) return;
    this.#leaving = true;
    const self = this.#members.get(this.name)!;
    const msg: DeadMsg = { t: 'dead', node: this.name, inc: this.#incarnation, from: this.name };
    this.#setState(self, NodeState.Left, this.#incarnation);
    this.#phase = 'left';
    if (this.numMembers() === 0) return;
    await new Promise<void>((resolve) => {
      const timer = this.#clock.setTimeout(resolve, timeoutMs);
      this.#broadcasts.queue(encodeMessage(msg), { key: `node:${this.name}`, onDone: () => { timer.cancel(); resolve(); } });
    });
  }

  /** Stops every loop and closes the sockets; idempotent. Does not announce anything (use leave() first). */
  async shutdown(): Promise<void> {
    if (this.#phase === 'shutdown') return;
    this.#phase = 'shutdown';
    for (const t of this.#timers) t.cancel();
    this.#timers.clear();
    for (const a of this.#acks.values()) a.timer?.cancel();
    this.#acks.clear();
    for (const m of this.#members.values()) m.suspicion?.cancel();
    this.#broadcasts.clear();
    this.#largeBroadcasts.clear();
    await this.#transport.close();
  }

  /** Service-style stop: leave then shut down. */
  async stop(): Promise<void> {
    if (this.#phase === 'running') await this.leave();
    await this.shutdown();
  }

  // ---------------------------------------------------------------- loops

  #every(intervalMs: number, fn: () => void): void {
    const tick = (): void => {
      if (this.#phase === 'shutdown') return;
      try {
        fn();
      } catch (err) {
        this.#log('gossip loop failed', { err });
      }
      this.#schedule(tick, intervalMs);
    };
    this.#schedule(tick, intervalMs * this.#random());
  }

  #schedule(fn: () => void, ms: number): { cancel(): void } {
    const handle: { cancel(): void } = this.#clock.setTimeout(() => {
      this.#timers.delete(handle);
      fn();
    }, ms);
    this.#timers.add(handle);
    return handle;
  }

  #scheduleProbe(): void {
    // The interval stretches with local ill health (Lifeguard), so a slow member probes, and accuses, less
    this.#schedule(() => {
      if (this.#phase === 'shutdown') return;
      if (this.#phase === 'running') this.#probe();
      this.#scheduleProbe();
    }, this.#awareness.scaleTimeout(this.config.probeIntervalMs));
  }

  #schedulePushPull(): void {
    const n = this.numMembers();
    // Past 32 members, slow down the full-state sync so its total traffic stays flat (memberlist pushPullScale)
    const scale = n <= 32 ? 1 : Math.ceil(Math.log2(n) - Math.log2(32)) + 1;
    const interval = this.config.pushPullIntervalMs * scale;
    this.#schedule(() => {
      if (this.#phase === 'shutdown') return;
      const target = this.#randomMembers(1, (m) => m.state === NodeState.Alive)[0];
      if (target !== undefined && this.#phase === 'running') {
        this.#pushPull(target.addr, false).catch(() => { this.stats.failedPushPulls++; });
      }
      this.#schedulePushPull();
    }, interval * (0.5 + this.#random()));
  }

  #probe(): void {
    const target = this.#nextProbeTarget();
    if (target === undefined) return;
    this.stats.probes++;
    const seq = this.#nextSeq();
    const start = this.#clock.now();
    const probeTimeout = this.#awareness.scaleTimeout(this.config.probeTimeoutMs);
    const probeInterval = this.#awareness.scaleTimeout(this.config.probeIntervalMs);
    let acked = false;
    let nacks = 0;
    let expectedNacks = 0;
    const incAtProbe = target.incarnation;
    const handler: AckHandler = {
      onAck: () => {
        if (acked) return;
        acked = true;
        this.#acks.delete(seq);
        handler.timer?.cancel();
        this.#awareness.applyDelta(-1);
      },
      onNack: () => { nacks++; },
      timer: undefined,
    };
    this.#acks.set(seq, handler);
    this.#sendWithBroadcasts(target.addr, { t: 'ping', seq, node: target.name });

    handler.timer = this.#schedule(() => {
      if (acked || this.#phase !== 'running') return;
      // No direct ack in time: ask k others to probe the target for us, and to nack if they get no answer
      const helpers = this.#randomMembers(this.config.indirectChecks, (m) => m.state === NodeState.Alive && m.name !== target.name);
      for (const h of helpers) {
        this.#sendWithBroadcasts(h.addr, { t: 'ping-req', seq, node: target.name, addr: target.addr, nack: true });
      }
      expectedNacks = helpers.length;
      // memberlist's TCP fallback: a reliable ping gets through packet loss that defeats the UDP probes
      const remaining = Math.max(1, probeInterval - probeTimeout);
      const ping = encodeStreamRequest({ t: 'ping', from: this.name, node: target.name });
      if (!this.config.disableTcpPings) this.#transport.request(target.addr, ping, remaining).then(
        (buf) => { if (decodeStreamResponse(buf)?.t === 'ok') handler.onAck(); },
        () => {},
      );
      handler.timer = this.#schedule(() => {
        this.#acks.delete(seq);
        if (acked || this.#phase !== 'running') return;
        this.stats.failedProbes++;
        // Missing nacks mean our own messages are not getting through: raise our local-health score
        this.#awareness.applyDelta(expectedNacks > 0 ? expectedNacks - Math.min(nacks, expectedNacks) : 1);
        const cur = this.#members.get(target.name);
        if (cur === undefined || cur.state !== NodeState.Alive && cur.state !== NodeState.Suspect) return;
        this.#log('probe failed', { node: target.name, elapsedMs: this.#clock.now() - start });
        this.#handleSuspect({ t: 'suspect', node: target.name, inc: Math.max(incAtProbe, cur.incarnation), from: this.name });
      }, Math.max(0, probeInterval - probeTimeout));
    }, probeTimeout);
  }

  #nextProbeTarget(): MemberEntry | undefined {
    for (let tries = 0; tries < 2; tries++) {
      while (this.#probeIndex < this.#probeOrder.length) {
        const m = this.#members.get(this.#probeOrder[this.#probeIndex++]!);
        if (m !== undefined && m.name !== this.name && (m.state === NodeState.Alive || m.state === NodeState.Suspect)) return m;
      }
      // End of the round: reshuffle so every member is probed once per round, in a fresh random order
      this.#probeOrder = shuffle([...this.#members.keys()].filter((n) => n !== this.name), this.#random);
      this.#probeIndex = 0;
    }
    return undefined;
  }

  #gossip(): void {
    this.#reapDead();
    const now = this.#clock.now();
    const targets = this.#randomMembers(this.config.gossipNodes, (m) =>
      m.state === NodeState.Alive || m.state === NodeState.Suspect ||
      // Keep telling the recently dead, so a wrongly declared member learns it and refutes
      (m.state === NodeState.Dead && now - m.stateChangeMs < this.config.gossipToTheDeadMs));
    if (targets.length === 0) return;
    const n = this.numMembers();
    const overhead = packetOverhead(this.name);
    for (const t of targets) {
      const msgs = this.#broadcasts.take(1, this.config.udpBufferSize - overhead, n);
      if (msgs.length > 0) this.#sendPacket(t.addr, msgs);
      const large = this.#largeBroadcasts.take(1, 64 * 1024 * 1024, n);
      if (large.length > 0) {
        const req = encodeStreamRequest({ t: 'gossip', from: this.name, msgs: large.map((s) => JSON.parse(s) as Message) });
        this.#transport.request(t.addr, req, this.config.tcpTimeoutMs).catch(() => {});
      }
    }
  }

  /** Forgets dead and left members after deadNodeReclaimMs, so the member list does not grow forever. */
  #reapDead(): void {
    const now = this.#clock.now();
    for (const m of this.#members.values()) {
      if (m.name === this.name) continue;
      if ((m.state === NodeState.Dead || m.state === NodeState.Left) && now - m.stateChangeMs > this.config.deadNodeReclaimMs) {
        this.#members.delete(m.name);
      }
    }
  }

  async #pushPull(addr: string, join: boolean): Promise<void> {
    const req = encodeStreamRequest({ t: 'push-pull', from: this.name, join, nodes: this.#localNodes(), user: this.#delegate?.localState(join) ?? null });
    this.stats.pushPulls++;
    const replyBuf = await this.#transport.request(addr, req, this.config.tcpTimeoutMs);
    const reply = decodeStreamResponse(replyBuf);
    if (reply === undefined || reply.t !== 'push-pull') {
      this.stats.malformedStreams++;
      throw new GossipError('GOSSIP_STREAM_FAILED', `Invalid push-pull reply from "${addr}"`);
    }
    this.#mergeRemote(reply.nodes, reply.user, join);
  }

  #localNodes(): PushNode[] {
    return [...this.#members.values()].map((m) => ({ node: m.name, addr: m.addr, inc: m.incarnation, state: m.state, meta: m.meta }));
  }

  #mergeRemote(nodes: PushNode[], user: unknown, join: boolean): void {
    if (this.#phase === 'shutdown') return;
    for (const n of nodes) {
      switch (n.state) {
        case NodeState.Alive:
          this.#handleAlive({ t: 'alive', node: n.node, addr: n.addr, inc: n.inc, meta: n.meta });
          break;
        case NodeState.Left:
          this.#handleDead({ t: 'dead', node: n.node, inc: n.inc, from: n.node });
          break;
        default:
          // A remote belief that a member is dead only makes us suspect it: we check for ourselves
          this.#handleSuspect({ t: 'suspect', node: n.node, inc: n.inc, from: this.name });
      }
    }
    if (user !== null && user !== undefined) this.#delegate?.mergeRemoteState(user, join);
  }

  // ---------------------------------------------------------------- network input

  #onPacket(buf: Uint8Array, from: string): void {
    if (this.#phase === 'new' || this.#phase === 'shutdown') return;
    this.stats.packetsReceived++;
    const p = decodePacket(buf);
    if (p === undefined) {
      this.stats.malformedPackets++;
      return;
    }
    for (const m of p.msgs) this.#handleMessage(m, from);
  }

  async #onRequest(payload: Uint8Array, _from: string): Promise<Uint8Array> {
    if (this.#phase === 'new' || this.#phase === 'shutdown') throw new Error('memberlist is not running');
    const req: StreamRequest | undefined = decodeStreamRequest(payload);
    if (req === undefined) {
      this.stats.malformedStreams++;
      throw new Error('malformed stream request');
    }
    if (req.t === 'ping') {
      if (req.node !== this.name) {
        this.stats.misdirectedPings++;
        throw new Error('misdirected ping');
      }
      return encodeStreamResponse({ t: 'ok' });
    }
    if (req.t === 'gossip') {
      for (const m of req.msgs) this.#handleMessage(m, undefined);
      return encodeStreamResponse({ t: 'ok' });
    }
    // Reply with our state as it was before merging theirs, like memberlist
    const reply = encodeStreamResponse({ t: 'push-pull', from: this.name, nodes: this.#localNodes(), user: this.#delegate?.localState(req.join) ?? null });
    this.#mergeRemote(req.nodes, req.user, req.join);
    return reply;
  }

  #handleMessage(m: Message, from: string | undefined): void {
    switch (m.t) {
      case 'ping':
        // A ping for another name means the sender has stale addressing: do not ack in its place
        if (m.node !== this.name) {
          this.stats.misdirectedPings++;
          return;
        }
        if (from !== undefined) this.#sendWithBroadcasts(from, { t: 'ack', seq: m.seq });
        return;
      case 'ping-req':
        if (from !== undefined) this.#indirectProbe(m.seq, m.node, m.addr, m.nack, from);
        return;
      case 'ack':
        this.#acks.get(m.seq)?.onAck();
        return;
      case 'nack':
        this.#acks.get(m.seq)?.onNack();
        return;
      case 'alive':
        this.#handleAlive(m);
        return;
      case 'suspect':
        this.#handleSuspect(m);
        return;
      case 'dead':
        this.#handleDead(m);
        return;
      case 'user':
        try {
          this.#delegate?.notifyUser(m.p);
        } catch (err) {
          this.#log('user message rejected', { err });
        }
        return;
    }
  }

  #indirectProbe(origSeq: number, node: string, addr: string, nack: boolean, requester: string): void {
    const seq = this.#nextSeq();
    const handler: AckHandler = {
      onAck: () => {
        this.#acks.delete(seq);
        handler.timer?.cancel();
        this.#sendWithBroadcasts(requester, { t: 'ack', seq: origSeq });
      },
      onNack: () => {},
      timer: undefined,
    };
    this.#acks.set(seq, handler);
    this.#sendWithBroadcasts(addr, { t: 'ping', seq, node });
    handler.timer = this.#schedule(() => {
      this.#acks.delete(seq);
      // Tell the requester we are alive but the target did not answer (Lifeguard nack)
      if (nack) this.#sendWithBroadcasts(requester, { t: 'nack', seq: origSeq });
    }, this.config.probeTimeoutMs);
  }

  // ---------------------------------------------------------------- state handlers

  #handleAlive(m: AliveMsg): void {
    const isSelf = m.node === this.name;
    const local = this.#members.get(m.node);
    const decision = decideAlive(local && snapshot(local), { incarnation: m.inc, addr: m.addr, meta: m.meta }, isSelf);
    if (decision === 'ignore') return;
    if (decision === 'refute') {
      if (this.#leaving) return;
      this.#refute(m.inc);
      return;
    }
    const now = this.#clock.now();
    if (local === undefined) {
      const entry: MemberEntry = { name: m.node, addr: m.addr, meta: m.meta, incarnation: m.inc, state: NodeState.Alive, stateChangeMs: now, suspicion: undefined };
      this.#members.set(m.node, entry);
      // Insert at a random spot of the probe round so new members are probed soon but not all at once
      const at = this.#probeIndex + Math.floor(this.#random() * (this.#probeOrder.length - this.#probeIndex + 1));
      this.#probeOrder.splice(at, 0, m.node);
      this.#broadcasts.queue(encodeMessage(m), { key: `node:${m.node}` });
      this.emit('join', snapshot(entry));
      return;
    }
    const wasGone = local.state === NodeState.Dead || local.state === NodeState.Left;
    const changed = local.addr !== m.addr || !sameMeta(local.meta, m.meta);
    local.suspicion?.cancel();
    local.suspicion = undefined;
    local.addr = m.addr;
    local.meta = m.meta;
    local.incarnation = m.inc;
    if (local.state !== NodeState.Alive) {
      local.state = NodeState.Alive;
      local.stateChangeMs = now;
    }
    this.#broadcasts.queue(encodeMessage(m), { key: `node:${m.node}` });
    if (wasGone) this.emit('join', snapshot(local));
    else if (changed) this.emit('update', snapshot(local));
  }

  #handleSuspect(m: SuspectMsg): void {
    const isSelf = m.node === this.name;
    const local = this.#members.get(m.node);
    const decision = decideSuspect(local && snapshot(local), m.inc, isSelf, this.#leaving);
    if (decision === 'ignore' || local === undefined) return;
    if (decision === 'refute') {
      this.#refute(m.inc, m.from);
      return;
    }
    if (decision === 'confirm') {
      // A new independent accuser: shorten the timer and pass the news on
      if (local.suspicion?.confirm(m.from)) this.#broadcasts.queue(encodeMessage(m), { key: `node:${m.node}` });
      return;
    }
    this.#setState(local, NodeState.Suspect, m.inc);
    const n = this.numMembers();
    // Lifeguard: expect suspicionMult - 2 confirmations, unless the cluster is too small to give them
    let k = this.config.suspicionMult - 2;
    if (n - 2 < k) k = 0;
    const min = suspicionTimeout(this.config.suspicionMult, n, this.config.probeIntervalMs);
    const max = this.config.suspicionMaxTimeoutMult * min;
    const inc = m.inc;
    local.suspicion = new Suspicion({
      clock: this.#clock, from: m.from, k, minMs: min, maxMs: max,
      onTimeout: () => {
        const cur = this.#members.get(m.node);
        if (this.#phase === 'shutdown' || cur === undefined || cur.state !== NodeState.Suspect || cur.incarnation !== inc) return;
        this.#log('suspect timed out', { node: m.node });
        this.#handleDead({ t: 'dead', node: m.node, inc, from: this.name });
      },
    });
    this.#broadcasts.queue(encodeMessage(m), { key: `node:${m.node}` });
    // Tell the accused directly too: only it can refute, and random gossip may miss it for several rounds
    this.#sendWithBroadcasts(local.addr, m);
    this.emit('suspect', snapshot(local));
  }

  #handleDead(m: DeadMsg): void {
    const isSelf = m.node === this.name;
    const local = this.#members.get(m.node);
    const decision = decideDead(local && snapshot(local), m.inc, isSelf, this.#leaving);
    if (decision === 'ignore' || local === undefined) return;
    if (decision === 'refute') {
      this.#refute(m.inc, m.from);
      return;
    }
    local.suspicion?.cancel();
    local.suspicion = undefined;
    const left = m.from === m.node;
    this.#setState(local, left ? NodeState.Left : NodeState.Dead, m.inc);
    this.#broadcasts.queue(encodeMessage(m), { key: `node:${m.node}` });
    this.emit(left ? 'leave' : 'dead', snapshot(local));
  }

  /** Someone believes an outdated or wrong version of us: outbid it with a higher incarnation. */
  #refute(accusedInc: number, accuser?: string): void {
    this.stats.refutations++;
    this.#incarnation = Math.max(this.#incarnation, accusedInc) + 1;
    this.#updateSelf();
    this.#broadcastAliveSelf();
    // Every member that heard the accusation runs a timer against us: besides gossip, tell the accuser
    // and a handful of others directly, so the refutation outruns confirmations under packet loss
    const alive: AliveMsg = { t: 'alive', node: this.name, addr: this.#addr, inc: this.#incarnation, meta: this.#meta };
    const direct = this.#randomMembers(this.config.gossipNodes * 3, (x) => x.state === NodeState.Alive || x.state === NodeState.Suspect);
    const acc = accuser === undefined ? undefined : this.#members.get(accuser);
    if (acc !== undefined && acc.name !== this.name && !direct.includes(acc)) direct.push(acc);
    for (const d of direct) this.#sendWithBroadcasts(d.addr, alive);
    // Being accused hints that our own messages are late: raise local-health score
    this.#awareness.applyDelta(1);
  }

  #updateSelf(): void {
    const self = this.#members.get(this.name);
    if (self === undefined) return;
    self.incarnation = this.#incarnation;
    self.meta = this.#meta;
    self.addr = this.#addr;
  }

  #broadcastAliveSelf(): void {
    const msg: AliveMsg = { t: 'alive', node: this.name, addr: this.#addr, inc: this.#incarnation, meta: this.#meta };
    this.#broadcasts.queue(encodeMessage(msg), { key: `node:${this.name}` });
  }

  #setState(m: MemberEntry, state: NodeState, inc: number): void {
    m.incarnation = inc;
    if (m.state !== state) {
      m.state = state;
      m.stateChangeMs = this.#clock.now();
    }
  }

  // ---------------------------------------------------------------- helpers

  #sendWithBroadcasts(addr: string, primary: Message): void {
    const first = encodeMessage(primary);
    const overhead = packetOverhead(this.name);
    const room = this.config.udpBufferSize - overhead - Buffer.byteLength(first);
    const extra = room > 0 ? this.#broadcasts.take(1, room, this.numMembers()) : [];
    this.#sendPacket(addr, [first, ...extra]);
  }

  #sendPacket(addr: string, msgs: string[]): void {
    this.stats.packetsSent++;
    this.#transport.sendPacket(addr, encodePacket(this.name, msgs));
  }

  #randomMembers(k: number, filter: (m: MemberEntry) => boolean): MemberEntry[] {
    const pool: MemberEntry[] = [];
    for (const m of this.#members.values()) if (m.name !== this.name && filter(m)) pool.push(m);
    return shuffle(pool, this.#random).slice(0, k);
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) >>> 0;
    return this.#seq;
  }

  #checkMeta(meta: MemberMeta): MemberMeta {
    if (!isValidMeta(meta)) throw new TypeError(`Invalid member metadata: must be a flat object of strings, finite numbers and booleans`);
    const size = metaSize(meta);
    if (size > this.config.maxMetaBytes) {
      throw new RangeError(`Member metadata too large: ${size} bytes exceeds maxMetaBytes ${this.config.maxMetaBytes}`);
    }
    return Object.freeze({ ...meta });
  }

  #assertRunning(op: string): void {
    if (this.#phase !== 'running') throw new GossipError('GOSSIP_NOT_RUNNING', `Cannot ${op}: memberlist "${this.name}" is ${this.#phase}`);
  }
}

function snapshot(m: MemberEntry): Member {
  return { name: m.name, addr: m.addr, meta: m.meta, incarnation: m.incarnation, state: m.state, stateChangeMs: m.stateChangeMs };
}

/** A wildcard bind address cannot be dialled by others: advertise the first non-internal IPv4 address instead (memberlist does the same). */
function advertisableHost(bound: string): string {
  if (bound !== '0.0.0.0' && bound !== '::') return bound;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
