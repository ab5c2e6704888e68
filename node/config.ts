/**
 * The root configuration of a Frankenstein node. Every option has a default;
 * docs/configuration.md documents each one. Precedence: defaults < YAML file
 * (--config) < command-line flags.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Limits } from './distributor/limits.ts';
import { ConfigError, mergeConfig, parseArgs, readYamlFile } from './config-loader.ts';
// storage (store, flush, compactor) — begin
import { defaultStoreConfig, type StoreConfig } from './store/config.ts';
import { defaultFlushConfig, type FlushConfig } from './flush/config.ts';
import { defaultCompactorConfig, type CompactorConfig } from './compactor/config.ts';
import { resolveStorageSections, storeDefaultsForRoot } from './flush/storage-config.ts';
// storage — end

export interface AuthTokenConfig {
  tenant: string;
  /** sha256 hex digest of the token (`frankctl hash-token TOKEN` or `printf %s TOKEN | sha256sum`). */
  sha256: string;
}

export interface FrankConfig {
  server: {
    /** @default "0.0.0.0" */
    host: string;
    /** @default 9009 */
    port: number;
    /** Log every request (fastify logger) to stdout. @default false */
    logRequests: boolean;
  };
  /** Root of all local state (WAL, embedded store). @default "./data" */
  dataDir: string;
  auth: {
    /** none: every request is tenant `anonymousTenant`; header: trust X-Scope-OrgID; tokens: bearer/basic-auth API tokens. @default "none" */
    mode: 'none' | 'header' | 'tokens';
    /** @default "anonymous" */
    anonymousTenant: string;
    /** @default [] */
    tokens: AuthTokenConfig[];
  };
  /** Defaults for every tenant (Cortex's defaults; in auth mode none the ingestion rate is unlimited unless set). */
  limits: Partial<Limits>;
  /** Per-tenant limits, keyed by tenant ID. @default {} */
  overrides: Record<string, Partial<Limits>>;
  ingester: {
    /** 'process' survives a process crash; 'group' fsyncs each group commit and survives power loss. @default "process" */
    walFsync: 'process' | 'group';
    /** @default 1800000 (30 min) */
    checkpointIntervalMs: number;
    /** @default 50000 */
    checkpointRecords: number;
    /** @default 120 */
    chunkMaxSamples: number;
    /** @default 7200000 (2 h) */
    chunkWindowMs: number;
    /** How much recent data the head keeps in memory. @default 86400000 (24 h) */
    headRetentionMs: number;
    /** @default 60000 */
    gcIntervalMs: number;
  };
  // storage (store, flush, compactor) — begin
  /**
   * Long-term store (node/store/, see its config.ts for every option): chunk objects in a bucket
   * (local directory, S3/MinIO, memory) and an index (embedded rocksdb/leveldb, DynamoDB, memory).
   * Empty directories default to <dataDir>/bucket, <dataDir>/index, <dataDir>/index-leveldb.
   */
  store: StoreConfig;
  /** When ingesters write chunks to the store and drop them from memory (node/flush/config.ts). */
  flush: FlushConfig;
  /** Compaction, deletion of replaced chunks and retention in the store (node/compactor/config.ts). */
  compactor: CompactorConfig;
  // storage — end
  query: {
    /** @default 120000 */
    timeoutMs: number;
    /** @default 50000000 */
    maxSamples: number;
    /** @default 300000 */
    lookbackDeltaMs: number;
    /** @default 11000 */
    maxPointsPerSeries: number;
    /** @default 20 */
    maxConcurrent: number;
    /**
     * Only data older than this is read from the long-term store; newer data comes from the
     * ingesters alone (Cortex's query-store-after), sparing the store most dashboard queries.
     * 0 asks the store for every range. Must not exceed flush.retainAfterFlushMs: a flushed
     * chunk stays in memory that long, so everything younger is still in the ingesters.
     * @default 0
     */
    queryStoreAfterMs: number;
  };
  /**
   * Cluster mode (node/cluster/): several nodes share the series through a token ring kept in sync by SWIM
   * gossip. Every node runs every role; each series is written to `replicationFactor` ingesters and
   * acknowledged once a quorum (floor(RF/2)+1) has it in its WAL. Reads ask every healthy ingester and
   * union-merge the answers, so an ingester that missed writes while it was down leaves no gaps.
   */
  cluster: {
    /** Run as a cluster member (flag `--cluster`). Off: a single node with no gossip at all. @default false */
    enabled: boolean;
    /** Unique, stable name of this node in the ring and in gossip; keep it across restarts so the node takes back its tokens (flag `--instance-id`). @default "<hostname>-<server.port>" */
    instanceId: string;
    /**
     * Host (name or IP) other nodes use to reach this one, for both its HTTP port and its gossip port
     * (flag `--advertise-addr`). Empty: server.host when that is a specific address, else the first
     * non-loopback IPv4 address of the machine, else 127.0.0.1. @default ""
     */
    advertiseAddr: string;
    /** UDP and TCP port of the gossip protocol, bound on server.host (flag `--gossip-port`); 0 picks a free port. @default 7946 */
    gossipPort: number;
    /**
     * Gossip addresses ("host:port") of nodes to join through (flag `--seeds a:7946,b:7946`). One live seed is
     * enough; listing this node itself is harmless. Join is retried until a seed answers; the members last
     * seen are also remembered in <dataDir>/cluster/peers.json and tried on restart. @default []
     */
    seeds: string[];
    /** Availability zone of this node (flag `--zone`); shown on /ring. @default "" */
    zone: string;
    /** Ingesters each series is written to. Writes need floor(RF/2)+1 acknowledgements. @default 3 */
    replicationFactor: number;
    /** Tokens this node claims on the ring; more tokens spread series more evenly. @default 128 */
    tokens: number;
    /** How often this node refreshes its heartbeat in the ring. @default 5000 */
    heartbeatPeriodMs: number;
    /**
     * A node whose ring heartbeat is older than this is unhealthy: writes skip it and reads count it as
     * missing. Independently, nodes that gossip declares dead, or whose last call failed, are routed around
     * at once. @default 60000
     */
    heartbeatTimeoutMs: number;
    /** A node silent for this long is removed from the ring automatically (never below replicationFactor nodes); 0 disables. @default 600000 */
    forgetAfterMs: number;
    /** Time a new node spends JOINING, watching for token conflicts, before it turns ACTIVE. @default 5000 */
    observePeriodMs: number;
    /**
     * Gossip timings: 'lan' follows memberlist's LAN defaults (1 s probes, failure detected in ~5-10 s);
     * 'local' is for one machine and tests (200 ms probes, failure detected in ~1-3 s). @default "lan"
     */
    gossip: 'lan' | 'local';
    /** Timeout of a write from this node's distributor to another ingester. @default 2000 */
    pushTimeoutMs: number;
    /** Timeout of a read from this node's querier to another ingester. @default 30000 */
    queryTimeoutMs: number;
    /** On SIGTERM, how long the node stays reachable in LEAVING state so every peer stops writing to it before it closes. @default 1000 */
    leaveDrainMs: number;
  };
}

export const DEFAULT_CONFIG: FrankConfig = {
  server: { host: '0.0.0.0', port: 9009, logRequests: false },
  dataDir: './data',
  auth: { mode: 'none', anonymousTenant: 'anonymous', tokens: [] },
  limits: {},
  overrides: {},
  ingester: {
    walFsync: 'process',
    checkpointIntervalMs: 30 * 60_000,
    checkpointRecords: 50_000,
    chunkMaxSamples: 120,
    chunkWindowMs: 2 * 3600_000,
    headRetentionMs: 24 * 3600_000,
    gcIntervalMs: 60_000,
  },
  // storage (store, flush, compactor) — begin
  store: storeDefaultsForRoot(defaultStoreConfig('')),
  flush: defaultFlushConfig(),
  compactor: defaultCompactorConfig(),
  // storage — end
  query: { timeoutMs: 120_000, maxSamples: 50_000_000, lookbackDeltaMs: 300_000, maxPointsPerSeries: 11_000, maxConcurrent: 20, queryStoreAfterMs: 0 },
  cluster: {
    enabled: false,
    instanceId: '',
    advertiseAddr: '',
    gossipPort: 7946,
    seeds: [],
    zone: '',
    replicationFactor: 3,
    tokens: 128,
    heartbeatPeriodMs: 5000,
    heartbeatTimeoutMs: 60_000,
    forgetAfterMs: 600_000,
    observePeriodMs: 5000,
    gossip: 'lan',
    pushTimeoutMs: 2000,
    queryTimeoutMs: 30_000,
    leaveDrainMs: 1000,
  },
};

/** Maps whose keys are user data (tenant IDs, limit names), not options. */
const OPEN_PATHS = ['limits', 'overrides', 'compactor.retentionPerTenantMs'];

/** Command-line flags and the config path each sets. */
const FLAGS: Record<string, { path: string[]; type: 'number' | 'string' | 'boolean' | 'list' }> = {
  port: { path: ['server', 'port'], type: 'number' },
  host: { path: ['server', 'host'], type: 'string' },
  'data-dir': { path: ['dataDir'], type: 'string' },
  'auth-mode': { path: ['auth', 'mode'], type: 'string' },
  'log-requests': { path: ['server', 'logRequests'], type: 'boolean' },
  cluster: { path: ['cluster', 'enabled'], type: 'boolean' },
  'instance-id': { path: ['cluster', 'instanceId'], type: 'string' },
  'advertise-addr': { path: ['cluster', 'advertiseAddr'], type: 'string' },
  'gossip-port': { path: ['cluster', 'gossipPort'], type: 'number' },
  seeds: { path: ['cluster', 'seeds'], type: 'list' },
  zone: { path: ['cluster', 'zone'], type: 'string' },
};

export function loadConfig(argv: readonly string[]): FrankConfig {
  const args = parseArgs(argv);
  let cfg = DEFAULT_CONFIG;
  const file = args.get('config');
  if (file !== undefined) cfg = mergeConfig(cfg, readYamlFile(file), OPEN_PATHS);
  for (const [name, value] of args) {
    if (name === 'config') continue;
    const flag = FLAGS[name];
    if (!flag) throw new ConfigError(`Unknown flag: "--${name}" (known: --config, ${Object.keys(FLAGS).map((f) => `--${f}`).join(', ')})`);
    let v: unknown = value;
    if (flag.type === 'number') {
      v = Number(value);
      if (!Number.isInteger(v)) throw new ConfigError(`Invalid value for --${name}: "${value}" is not an integer`);
    } else if (flag.type === 'boolean') v = value !== 'false';
    else if (flag.type === 'list') v = value.split(',').map((x) => x.trim()).filter((x) => x !== '');
    const patch: Record<string, unknown> = {};
    let cur = patch;
    flag.path.forEach((k, i) => {
      if (i === flag.path.length - 1) cur[k] = v;
      else cur = cur[k] = {} as Record<string, unknown>;
    });
    cfg = mergeConfig(cfg, patch, OPEN_PATHS);
  }
  return validateConfig(cfg);
}

export function validateConfig(cfg: FrankConfig): FrankConfig {
  const port = cfg.server.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`Invalid server.port: ${port}, want 0..65535`);
  if (!['none', 'header', 'tokens'].includes(cfg.auth.mode)) throw new ConfigError(`Invalid auth.mode: "${cfg.auth.mode}", want none, header or tokens`);
  if (!['process', 'group'].includes(cfg.ingester.walFsync)) throw new ConfigError(`Invalid ingester.walFsync: "${cfg.ingester.walFsync}", want process or group`);
  validateClusterConfig(cfg);
  const after = cfg.query.queryStoreAfterMs;
  if (!Number.isSafeInteger(after) || after < 0) throw new ConfigError(`Invalid query.queryStoreAfterMs: ${JSON.stringify(after)}, want an integer >= 0`);
  if (after > cfg.flush.retainAfterFlushMs) {
    throw new ConfigError(
      `Invalid query.queryStoreAfterMs: ${after} exceeds flush.retainAfterFlushMs (${cfg.flush.retainAfterFlushMs}): flushed data younger than that would be in neither the ingesters nor the store's answer`,
    );
  }
  const instanceId = cfg.cluster.instanceId || `${hostname()}-${port}`;
  cfg = { ...cfg, ...resolveStorageSections(cfg) }; // storage sections: directories under dataDir, validation
  return { ...cfg, dataDir: resolve(cfg.dataDir), cluster: { ...cfg.cluster, instanceId } };
}

function validateClusterConfig(cfg: FrankConfig): void {
  const c = cfg.cluster;
  const int = (name: keyof FrankConfig['cluster'], min: number, max = Number.MAX_SAFE_INTEGER) => {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(`Invalid cluster.${name}: ${JSON.stringify(v)}, want an integer in ${min}..${max}`);
  };
  int('gossipPort', 0, 65535);
  int('replicationFactor', 1, 100);
  int('tokens', 1, 4096);
  int('heartbeatPeriodMs', 1);
  int('heartbeatTimeoutMs', 1);
  int('forgetAfterMs', 0);
  int('observePeriodMs', 0);
  int('pushTimeoutMs', 1);
  int('queryTimeoutMs', 1);
  int('leaveDrainMs', 0);
  if (!['lan', 'local'].includes(c.gossip)) throw new ConfigError(`Invalid cluster.gossip: "${c.gossip}", want lan or local`);
  if (!Array.isArray(c.seeds)) throw new ConfigError('Invalid cluster.seeds: want a list of "host:port"');
  for (const s of c.seeds) {
    const i = typeof s === 'string' ? s.lastIndexOf(':') : -1;
    const p = i > 0 ? Number((s as string).slice(i + 1)) : NaN;
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new ConfigError(`Invalid cluster.seeds entry: "${String(s)}", want "host:port"`);
  }
  if (c.heartbeatTimeoutMs <= c.heartbeatPeriodMs) {
    throw new ConfigError(`Invalid cluster.heartbeatTimeoutMs: ${c.heartbeatTimeoutMs} must exceed cluster.heartbeatPeriodMs (${c.heartbeatPeriodMs})`);
  }
}
