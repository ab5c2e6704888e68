/**
 * One Frankenstein process with every role (distributor, ingester, querier)
 * wired together behind one HTTP server. Single node: the distributor writes
 * to the local ingester. start() replays the WAL before /ready turns 200.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Service } from './core/service.ts';
import { buildServer } from './api/server.ts';
import { registerPushRoutes } from './api/push-routes.ts';
import { registerRemoteReadRoutes } from './api/remote-read-routes.ts';
import { registerReadRoutes } from './api/read-routes.ts';
import { registerQueryRoutes } from './api/query-routes.ts';
import { registerAdminRoutes } from './api/admin-routes.ts';
import type { FrankConfig } from './config.ts';
import { NodeMetrics } from './metrics.ts';
import { Ingester } from './ingester/ingester.ts';
import { Distributor } from './distributor/distributor.ts';
import { LocalRouter, type IngesterClient, type ReplicaRouter } from './distributor/ingester-client.ts';
import { Overrides, type Limits } from './distributor/limits.ts';
import { TenantResolver, type AuthConfig } from './distributor/tenant.ts';
import { Engine } from '../query/engine/index.ts';
import { TimeClampedQuerier } from '../query/querier/time-clamped-querier.ts';
import { MergeQuerier } from '../query/querier/merge-querier.ts';
import type { Querier } from '../query/querier/queryable.ts';
import { ClusterMembership } from './cluster/membership.ts';
// storage (store, flush, compactor) — begin
import { openStore, type OpenedStore } from './store/store-factory.ts';
import { Flusher } from './flush/flusher.ts';
import { FlushError } from './flush/errors.ts';
import { registerFlushRoutes } from './flush/flush-routes.ts';
import { resolveStorageSections } from './flush/storage-config.ts';
import { Compactor } from './compactor/compactor.ts';
// storage — end

export interface NodeOptions {
  /** Enable process-wide default metrics (off when several nodes share a test process). @default true */
  defaultMetrics?: boolean;
  /** Diagnostics sink (shutdown flush). @default stderr */
  log?: (msg: string) => void;
}

const VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
})();

export class FrankensteinNode extends Service {
  readonly #log: (msg: string) => void;
  readonly config: FrankConfig;
  readonly metrics: NodeMetrics;
  readonly ingester: Ingester;
  readonly distributor: Distributor;
  readonly engine: Engine;
  readonly server: FastifyInstance;
  /** Cluster membership, ring and internal API (cluster.enabled), else null. */
  readonly cluster: ClusterMembership | null;
  // storage (store, flush, compactor) — begin
  /** The long-term store, opened by start() (null before). */
  store: OpenedStore | null = null;
  /** Moves chunks from the ingester to the store (null before start()). */
  flusher: Flusher | null = null;
  /** Compactor role (null before start() or when compactor.enabled is false). */
  compactor: Compactor | null = null;
  /** Cluster sharding of compaction: whether this node compacts a tenant (the cluster wiring installs the ring's answer). */
  compactorOwnsTenant: (tenant: string) => boolean = () => true;
  // storage — end
  readonly #tenants: TenantResolver;
  readonly #overrides: Overrides;
  #router: ReplicaRouter;
  #samplesPerTenant: Record<string, number> = {};
  #address = '';

  constructor(config: FrankConfig, opts: NodeOptions = {}) {
    super('frankenstein');
    this.config = config;
    this.#log = opts.log ?? ((m) => process.stderr.write(`frankenstein: ${m}\n`));
    this.metrics = new NodeMetrics({ defaultMetrics: opts.defaultMetrics ?? true });
    this.#tenants = new TenantResolver(authConfig(config));
    const defaults: { -readonly [K in keyof Limits]?: Limits[K] } = { ...config.limits };
    // One user's own node should not throttle its own Prometheus: no rate limit in mode none unless configured.
    if (config.auth.mode === 'none' && defaults.ingestionRate === undefined) defaults.ingestionRate = Infinity;
    this.#overrides = new Overrides(defaults, config.overrides);

    const ing = config.ingester;
    this.ingester = new Ingester({
      dataDir: join(config.dataDir, 'wal'),
      walFsync: ing.walFsync,
      checkpointIntervalMs: ing.checkpointIntervalMs,
      checkpointRecords: ing.checkpointRecords,
      chunkMaxSamples: ing.chunkMaxSamples,
      chunkWindowMs: ing.chunkWindowMs,
      headRetentionMs: ing.headRetentionMs,
      gcIntervalMs: ing.gcIntervalMs,
      limits: (t) => this.#overrides.forTenant(t),
    });
    const local: IngesterClient = {
      id: 'local',
      push: (tenant, series, limits) => this.ingester.push(tenant, series, limits),
      querier: (tenant) => this.ingester.querier(tenant),
    };
    this.#router = new LocalRouter(local);
    this.distributor = new Distributor({
      overrides: this.#overrides,
      router: {
        writeReplicas: (t) => this.#router.writeReplicas(t),
        readReplicas: (t) => this.#router.readReplicas(t),
        onlyReplicaSet: () => this.#router.onlyReplicaSet?.(),
      },
      onDiscard: (tenant, reason, n) => this.metrics.discardedSamples.inc({ tenant, reason }, n),
      onIngested: (tenant, n) => {
        this.metrics.ingestedSamples.inc({ tenant }, n);
        this.#samplesPerTenant[tenant] = (this.#samplesPerTenant[tenant] ?? 0) + n;
      },
    });
    this.engine = new Engine(config.query);
    this.server = buildServer({ bodyLimitBytes: this.#overrides.defaults.maxRequestBodyBytes, logger: config.server.logRequests });
    this.#registerMetrics();
    this.#registerRoutes();
    this.cluster = config.cluster.enabled
      ? new ClusterMembership({ config, server: this.server, local, maxUncompressedBytes: this.#overrides.defaults.maxUncompressedBytes })
      : null;
    if (this.cluster) {
      this.setRouter(this.cluster.router);
      this.cluster.registerMetrics(this.metrics);
      const cluster = this.cluster;
      this.compactorOwnsTenant = (tenant) => cluster.ownsTenant(tenant);
    }
  }

  /** Replaces how replicas are chosen (cluster mode installs the ring here). */
  setRouter(router: ReplicaRouter): void {
    this.#router = router;
  }

  /** The tenant's view over every ingester that may hold its data, replicas merged. */
  querierFor(tenant: string): Querier {
    // storage: ingesters first (they win ties), then the long-term store; samples at equal timestamps are kept once
    const ingesters = this.ingesterQuerierFor(tenant);
    const store = this.store?.chunks;
    if (!store) return ingesters;
    const after = this.config.query.queryStoreAfterMs;
    const stored = after > 0 ? new TimeClampedQuerier(store.querier(tenant), () => Date.now() - after) : store.querier(tenant);
    return new MergeQuerier([ingesters, stored]);
  }

  /** The tenant's view over the ingesters only (replicas merged). */
  ingesterQuerierFor(tenant: string): Querier {
    const { clients, maxFailures } = this.#router.readReplicas(tenant);
    if (clients.length === 1) return clients[0]!.querier(tenant);
    return new MergeQuerier(clients.map((c) => c.querier(tenant)), { maxFailures });
  }

  get address(): string {
    return this.#address;
  }

  #tenantOf = (req: FastifyRequest): string => this.#tenants.resolve(req.headers);

  #registerRoutes(): void {
    const app = this.server;
    const querierFor = (t: string) => this.querierFor(t);
    const maxUncompressedBytes = this.#overrides.defaults.maxUncompressedBytes;
    registerPushRoutes(app, {
      tenantOf: this.#tenantOf,
      distributor: this.distributor,
      maxUncompressedBytes,
      onReceived: (tenant, samples, metadata) => {
        this.metrics.receivedSamples.inc({ tenant }, samples);
        if (metadata) this.metrics.receivedMetadata.inc({ tenant }, metadata);
      },
    });
    registerRemoteReadRoutes(app, { tenantOf: this.#tenantOf, querierFor, maxUncompressedBytes });
    registerReadRoutes(app, { tenantOf: this.#tenantOf, querierFor });
    registerQueryRoutes(app, { tenantOf: this.#tenantOf, querierFor, engine: this.engine, maxPointsPerSeries: this.config.query.maxPointsPerSeries });
    registerFlushRoutes(app, {
      flushAll: () => {
        if (this.flusher === null) return Promise.reject(new FlushError('flush-not-running', `Cannot flush: node is ${this.state}`));
        return this.flusher.flushAll();
      },
    });
    // storage — begin: flusher and compactor counters
    const m = this.metrics;
    const flushStat = (k: 'chunksFlushed' | 'chunksUploaded' | 'chunkFlushFailures' | 'chunksDropped' | 'seriesRemoved') => (): [Record<string, string>, number][] => [[{}, this.flusher?.stats()[k] ?? 0]];
    m.gaugeFrom('frankenstein_ingester_chunks_flushed', 'Chunks acknowledged by the long-term store since start.', [], flushStat('chunksFlushed'));
    m.gaugeFrom('frankenstein_ingester_chunks_uploaded', 'Chunk objects uploaded since start (the rest already existed).', [], flushStat('chunksUploaded'));
    m.gaugeFrom('frankenstein_ingester_chunk_flush_failures', 'Chunks whose flush failed since start (retried).', [], flushStat('chunkFlushFailures'));
    m.gaugeFrom('frankenstein_ingester_chunks_dropped', 'Flushed chunks dropped from memory since start.', [], flushStat('chunksDropped'));
    m.gaugeFrom('frankenstein_compactor_runs', 'Compaction runs since start.', [], () => [[{}, this.compactor?.stats().runs ?? 0]]);
    // storage — end
    registerAdminRoutes(app, {
      tenantOf: this.#tenantOf,
      isReady: () => (this.state === 'running' ? (this.cluster?.readiness() ?? { ready: true }) : { ready: false, reason: this.state === 'starting' ? 'replaying WAL' : this.state }),
      registry: this.metrics.registry,
      metadata: this.distributor.metadata,
      version: VERSION,
      seriesPerTenant: () => this.ingester.stats().seriesPerTenant,
      samplesPerTenant: () => ({ ...this.#samplesPerTenant }),
      walStats: () => this.ingester.walStats(),
      storeStats: () => this.#storeStats(),
      storeBlocks: async (tenant, start, end) => {
        const store = this.store;
        if (store === null || store === undefined) return [];
        return (await store.index.blocksFor(tenant, start, end)).map((b) => ({ id: b.id, minT: b.minT, maxT: b.maxT, series: b.series, chunks: b.chunks, samples: b.samples, bytes: b.size }));
      },
      config: () => this.config,
    });
    app.addHook('onResponse', async (req, reply) => {
      this.metrics.requestDuration.observe(
        { method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
  }

  /** Operator view of the long-term store (no tenant's data: counters and settings only). */
  #storeStats(): unknown {
    const store = this.store;
    if (store === null || store === undefined) return { enabled: false, state: this.state };
    const cfg = this.config.store;
    return {
      enabled: true,
      bucket: cfg.bucket.backend,
      index: cfg.index.backend,
      indexBucketPeriodMs: cfg.index.bucketPeriodMs,
      selections: store.chunks.selectionStats(),
      caches: { ...store.chunks.cacheStats(), indexRead: store.index.readCacheStats() ?? null, indexRequests: { ...store.index.stats } },
      flusher: this.flusher?.stats() ?? null,
      compactor: this.compactor === null ? { enabled: false } : { enabled: true, ...this.compactor.stats() },
    };
  }

  #registerMetrics(): void {
    const m = this.metrics;
    m.gaugeFrom('frankenstein_ingester_memory_series', 'In-memory series per tenant.', ['tenant'], () =>
      Object.entries(this.ingester.stats().seriesPerTenant).map(([tenant, n]) => [{ tenant }, n] as [Record<string, string>, number]),
    );
    m.gaugeFrom('frankenstein_ingester_wal_bytes_written', 'Bytes written to the WAL since start.', [], () => [[{}, this.ingester.stats().walBytesWritten]]);
    m.gaugeFrom('frankenstein_ingester_checkpoints', 'WAL checkpoints written since start.', [], () => [[{}, this.ingester.stats().checkpoints]]);
    m.gaugeFrom('frankenstein_ingester_samples_appended', 'Samples appended to the head since start.', [], () => [[{}, this.ingester.stats().samplesAppended]]);
    m.gaugeFrom('frankenstein_ingester_wal_replay_seconds', 'Duration of the last WAL replay.', [], () => [[{}, this.ingester.stats().replay?.seconds ?? 0]]);
  }

  /** Starts listening first (so /ready answers 503 during replay), then replays the WAL. */
  async listen(): Promise<string> {
    this.#address = await this.server.listen({ host: this.config.server.host, port: this.config.server.port });
    return this.#address;
  }

  protected async starting(): Promise<void> {
    // storage — begin: the store first, so the flusher can write as soon as the WAL is replayed
    const storage = resolveStorageSections(this.config);
    this.store = await openStore(storage.store);
    try {
      await this.ingester.start();
    } catch (err) {
      await this.store.close().catch(() => undefined);
      throw err;
    }
    // storage — end
    // storage — begin
    this.flusher = new Flusher(storage.flush, { ingester: this.ingester, store: this.store.chunks });
    await this.flusher.start();
    if (storage.compactor.enabled) {
      this.compactor = new Compactor(storage.compactor, { store: this.store.chunks, bucket: this.store.bucket, ownsTenant: (t) => this.compactorOwnsTenant(t) });
      await this.compactor.start();
    }
    // storage — end
    // Cluster mode: join the ring only once the WAL is replayed, so peers never route to an empty head
    await this.cluster?.start();
  }

  /** Everything in memory to the store before exiting (flush.flushOnShutdown); a failure only logs: the WAL keeps the data. */
  async #flushOnShutdown(): Promise<void> {
    if (this.flusher === null || !this.config.flush.flushOnShutdown || this.flusher.state !== 'running') return;
    try {
      const r = await this.flusher.flushAll();
      this.#log(`flushed ${r.chunks} chunks to the store before shutdown`);
    } catch (err) {
      this.#log(`flush before shutdown failed, the WAL keeps the data: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  protected async stopping(): Promise<void> {
    // Cluster mode: LEAVING, drain, flush, LEFT and leave gossip while still serving, then close the server
    if (this.cluster) await this.cluster.stop(() => this.server.close(), { whileLeaving: () => this.#flushOnShutdown() });
    else {
      await this.server.close();
      await this.#flushOnShutdown();
    }
    await this.compactor?.stop(); // storage
    await this.flusher?.stop(); // storage
    await this.ingester.stop();
    await this.store?.close(); // storage
  }
}

function authConfig(c: FrankConfig): AuthConfig {
  switch (c.auth.mode) {
    case 'none':
      return { mode: 'none', anonymousTenant: c.auth.anonymousTenant };
    case 'header':
      return { mode: 'header' };
    case 'tokens':
      return { mode: 'tokens', tokens: c.auth.tokens };
  }
}
