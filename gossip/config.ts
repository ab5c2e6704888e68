/**
 * Memberlist configuration. Field meanings and the reasons for the defaults follow hashicorp/memberlist's
 * DefaultLANConfig; localDefaults() shrinks every interval so loopback clusters and tests converge quickly.
 */
export interface GossipConfig {
  /** Unique member name; also used as the node key in every message. */
  name: string;
  /** Address to bind UDP and TCP on. @default '0.0.0.0' (lan), '127.0.0.1' (local) */
  bindHost: string;
  /** Port for both UDP and TCP; 0 picks a free one. @default 7946 (lan), 0 (local) */
  bindPort: number;
  /** Address other members use to reach us; empty means the bound address (for a wildcard bind, the first non-internal IPv4 address). @default '' */
  advertiseHost: string;
  /** Port advertised to others; 0 means the bound port. @default 0 */
  advertisePort: number;

  /** Time between failure-detection probes, in ms. @default 1000 (lan), 200 (local) */
  probeIntervalMs: number;
  /** Time to wait for a direct ack before asking others to probe, in ms; should be near the RTT 99th percentile. @default 500 (lan), 100 (local) */
  probeTimeoutMs: number;
  /** Members asked to probe a target indirectly when a direct probe fails. @default 3 */
  indirectChecks: number;
  /** Suspicion lasts suspicionMult * log10(max(1, n)) * probeInterval at minimum. @default 4 (lan), 3 (local) */
  suspicionMult: number;
  /** Upper bound of the suspicion timeout as a multiple of its minimum; Lifeguard starts high and shrinks with confirmations. @default 6 */
  suspicionMaxTimeoutMult: number;
  /** Lifeguard local-health score ceiling; probe interval and timeout are scaled by (score + 1). @default 8 */
  awarenessMaxMultiplier: number;

  /** Skip memberlist's TCP fallback ping when UDP probes fail (tests of the pure UDP path, or peers without TCP). @default false */
  disableTcpPings: boolean;
  /** Time between gossip rounds, in ms. @default 200 (lan), 50 (local) */
  gossipIntervalMs: number;
  /** Members each gossip round sends broadcasts to. @default 3 */
  gossipNodes: number;
  /** Dead members still receive gossip for this long so they can learn they were declared dead and refute. @default 30000 (lan), 2000 (local) */
  gossipToTheDeadMs: number;
  /** A broadcast is sent retransmitMult * ceil(log10(n + 1)) times. @default 4 */
  retransmitMult: number;

  /** Period of the full-state TCP exchange with one random member, in ms (scaled up slowly with cluster size); 0 disables. @default 30000 (lan), 2000 (local) */
  pushPullIntervalMs: number;
  /** Timeout of a TCP request (push-pull, reliable gossip, join), in ms. @default 10000 (lan), 2000 (local) */
  tcpTimeoutMs: number;
  /** Largest UDP payload we build, in bytes; bigger broadcasts travel over TCP instead. @default 1400 */
  udpBufferSize: number;
  /** Largest encoded size of the local member's metadata, in bytes; setMeta() rejects bigger values. @default 512 */
  maxMetaBytes: number;
  /** Dead or left members are forgotten by memberlist this long after their death, in ms. @default 60000 (lan), 10000 (local) */
  deadNodeReclaimMs: number;
  /** leave() waits at most this long for the leave message to be gossiped, in ms. @default 2000 (lan), 500 (local) */
  leavePropagateMs: number;
}

export type GossipConfigInput = Partial<GossipConfig> & { name: string };

/** Defaults for a LAN: loss-tolerant timings measured in seconds. */
export function lanDefaults(name: string): GossipConfig {
  return {
    name,
    bindHost: '0.0.0.0',
    bindPort: 7946,
    advertiseHost: '',
    advertisePort: 0,
    probeIntervalMs: 1000,
    probeTimeoutMs: 500,
    indirectChecks: 3,
    suspicionMult: 4,
    suspicionMaxTimeoutMult: 6,
    awarenessMaxMultiplier: 8,
    disableTcpPings: false,
    gossipIntervalMs: 200,
    gossipNodes: 3,
    gossipToTheDeadMs: 30_000,
    retransmitMult: 4,
    pushPullIntervalMs: 30_000,
    tcpTimeoutMs: 10_000,
    udpBufferSize: 1400,
    maxMetaBytes: 512,
    deadNodeReclaimMs: 60_000,
    leavePropagateMs: 2000,
  };
}

/** Defaults for one machine (loopback) and tests: every interval a few times shorter. */
export function localDefaults(name: string): GossipConfig {
  return {
    ...lanDefaults(name),
    bindHost: '127.0.0.1',
    bindPort: 0,
    probeIntervalMs: 200,
    probeTimeoutMs: 100,
    suspicionMult: 3,
    gossipIntervalMs: 50,
    gossipToTheDeadMs: 2000,
    pushPullIntervalMs: 2000,
    tcpTimeoutMs: 2000,
    deadNodeReclaimMs: 10_000,
    leavePropagateMs: 500,
  };
}

/** Throws TypeError/RangeError for a config that cannot work; returns it otherwise. */
export function validateGossipConfig(c: GossipConfig): GossipConfig {
  if (typeof c.name !== 'string' || c.name.length === 0 || c.name.length > 256) {
    throw new TypeError(`Invalid gossip member name: "${String(c.name)}"`);
  }
  const positive: (keyof GossipConfig)[] = [
    'probeIntervalMs', 'probeTimeoutMs', 'suspicionMult', 'suspicionMaxTimeoutMult', 'awarenessMaxMultiplier',
    'gossipIntervalMs', 'retransmitMult', 'tcpTimeoutMs', 'udpBufferSize', 'maxMetaBytes',
  ];
  for (const k of positive) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`Invalid gossip config "${k}": must be a positive number, got ${String(v)}`);
  }
  const nonNegative: (keyof GossipConfig)[] = [
    'bindPort', 'advertisePort', 'indirectChecks', 'gossipNodes', 'gossipToTheDeadMs', 'pushPullIntervalMs', 'deadNodeReclaimMs', 'leavePropagateMs',
  ];
  for (const k of nonNegative) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`Invalid gossip config "${k}": must be a non-negative number, got ${String(v)}`);
  }
  if (c.bindPort > 65535 || c.advertisePort > 65535) throw new RangeError(`Invalid gossip port: "${c.bindPort}"`);
  if (c.probeTimeoutMs >= c.probeIntervalMs) {
    throw new RangeError(`Invalid gossip config: probeTimeoutMs (${c.probeTimeoutMs}) must be below probeIntervalMs (${c.probeIntervalMs})`);
  }
  if (c.udpBufferSize < 256 || c.udpBufferSize > 65000) throw new RangeError(`Invalid gossip config "udpBufferSize": ${c.udpBufferSize} is outside 256..65000`);
  return c;
}
