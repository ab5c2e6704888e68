/** Public API of gossip/: SWIM membership, replicated KV and the token ring. */
export { type Clock, FakeClock, SystemClock } from './clock.ts';
export { GossipCluster, type GossipClusterConfig, type GossipClusterDeps } from './cluster.ts';
export { type GossipConfig, type GossipConfigInput, lanDefaults, localDefaults, validateGossipConfig } from './config.ts';
export { GOSSIP_ERROR_CODES, GossipError, type GossipErrorCode, isGossipError } from './errors.ts';
export { GossipKV, type MergeableCodec } from './kv.ts';
export { Memberlist, type MemberlistDelegate, type MemberlistDeps, type MemberlistEvents, type MemberlistStats } from './memberlist.ts';
export { MemoryNetwork, MemoryTransport } from './memory-transport.ts';
export { type Member, type MemberMeta, NodeState } from './node-state.ts';
export { type Random, seededRandom } from './random.ts';
export type { Transport, TransportHandlers } from './transport.ts';
export { UdpTransport, type UdpTransportConfig } from './udp-transport.ts';
export { InstanceState, canTransition } from './ring/instance-state.ts';
export { Lifecycler, type LifecyclerConfig, defaultLifecyclerConfig, forgetInstance } from './ring/lifecycler.ts';
export { type ReplicationSet, doUntilQuorum, quorum, replicationSet } from './ring/replication-set.ts';
export { type InstanceDesc, RingDesc, ringDescCodec } from './ring/ring-desc.ts';
export { type InstanceInfo, Ring, type RingConfig, type RingOperation, defaultRingConfig } from './ring/ring.ts';
export { RING_SIZE, type TokenOwner, generateTokens, ownership } from './ring/tokens.ts';
