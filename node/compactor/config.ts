/** Configuration of the compactor: coalescing store chunks, deleting replaced ones, retention. */

export interface CompactorConfig {
  /** Run the compactor role on this node (in a cluster each tenant is compacted by the node that owns it on the ring). @default true */
  enabled: boolean;
  /** Time between compaction runs (the first one starts one interval after start). @default 1800000 (30 min) */
  intervalMs: number;
  /**
   * Chunks replaced by compaction (or freed by retention) are deleted from the bucket only this long
   * after they left the index, so queries already running never miss an object. Keep it above
   * store.chunks.recentChunksTtlMs. @default 1800000 (30 min)
   */
  gracePeriodMs: number;
  /** Store retention for every tenant: index buckets entirely older than now − retention are deleted. 0 keeps data forever. @default 0 */
  retentionMs: number;
  /** Per-tenant retention overriding retentionMs, keyed by tenant ID (0 = forever). @default {} */
  retentionPerTenantMs: Record<string, number>;
  /**
   * Chunks are coalesced per aligned window of this width: once a window has closed, every
   * series' flushed chunks of it (replicas' copies, idle flushes, restarts) are merged into one
   * deduplicated chunk, and all of them written as one block object. Keep it equal to
   * ingester.chunkWindowMs and a divisor of store.index.bucketPeriodMs. @default 7200000 (2 h)
   */
  windowMs: number;
  /**
   * A window is compacted only once it ended this long ago, when ingesters have flushed their last
   * chunks of it: an open window is not rewritten on every run. @default 900000 (15 min)
   */
  compactAfterMs: number;
  /**
   * Index buckets that ended this long ago are visited once more and then never again (a per-tenant
   * watermark kept in the bucket), so a run costs what recent data costs, not the whole history.
   * Chunks flushed into a settled bucket later (an ingester down for longer than this) stay as they
   * are; queries de-duplicate them. @default 86400000 (1 day)
   */
  settledAfterMs: number;
  /** Series merged per batch (their chunks fetched together). @default 500 */
  seriesBatchSize: number;
  /**
   * A window's merged chunks are written as one block object; a block is cut once it holds this
   * many bytes of chunks (bounding the compactor's memory), and another started. @default 268435456 (256 MiB)
   */
  blockMaxBytes: number;
  /** ...or this many series (its directory takes 32 bytes per chunk). @default 1000000 */
  blockMaxSeries: number;
  /** Batches in flight at once. @default 4 */
  concurrency: number;
}

export function defaultCompactorConfig(): CompactorConfig {
  return {
    enabled: true,
    intervalMs: 1_800_000,
    gracePeriodMs: 1_800_000,
    retentionMs: 0,
    retentionPerTenantMs: {},
    windowMs: 7_200_000,
    compactAfterMs: 900_000,
    settledAfterMs: 86_400_000,
    seriesBatchSize: 500,
    blockMaxBytes: 256 * 1024 * 1024,
    blockMaxSeries: 1_000_000,
    concurrency: 4,
  };
}

/** Throws RangeError naming the first invalid option. */
export function validateCompactorConfig(c: CompactorConfig, path = 'compactor'): void {
  const int = (key: string, v: unknown, min: number) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new RangeError(`Invalid config: "${path}.${key}" must be an integer >= ${min}: got ${JSON.stringify(v)}`);
  };
  if (typeof c.enabled !== 'boolean') throw new RangeError(`Invalid config: "${path}.enabled" must be true or false: got ${JSON.stringify(c.enabled)}`);
  int('intervalMs', c.intervalMs, 1);
  int('gracePeriodMs', c.gracePeriodMs, 0);
  int('retentionMs', c.retentionMs, 0);
  int('windowMs', c.windowMs, 1);
  int('compactAfterMs', c.compactAfterMs, 0);
  int('settledAfterMs', c.settledAfterMs, 0);
  int('seriesBatchSize', c.seriesBatchSize, 1);
  int('concurrency', c.concurrency, 1);
  int('blockMaxBytes', c.blockMaxBytes, 1);
  int('blockMaxSeries', c.blockMaxSeries, 1);
  if (typeof c.retentionPerTenantMs !== 'object' || c.retentionPerTenantMs === null) throw new RangeError(`Invalid config: "${path}.retentionPerTenantMs" must be a mapping of tenant to ms`);
  for (const [t, v] of Object.entries(c.retentionPerTenantMs)) int(`retentionPerTenantMs.${t}`, v, 0);
}
