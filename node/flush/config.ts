/** Configuration of the flusher: when ingesters move chunks to the long-term store. */

export interface FlushConfig {
  /** Flush chunks to the long-term store at all (off: the head and WAL keep everything until headRetentionMs). @default true */
  enabled: boolean;
  /**
   * A head chunk whose first sample is older than this (now − minT, by sample time) is closed
   * and flushed even if it is not full (Cortex's max chunk age). @default 3600000 (1 h)
   */
  maxChunkAgeMs: number;
  /** A series whose newest sample is older than this has its head chunk closed and flushed (Cortex's max chunk idle). @default 300000 (5 min) */
  maxChunkIdleMs: number;
  /** How often the flusher looks for chunks to flush and for flushed chunks to drop from memory. @default 60000 */
  checkPeriodMs: number;
  /** putChunks() calls in flight at once (each uploads its chunks with store.chunks.uploadConcurrency). @default 4 */
  concurrency: number;
  /** Chunks per putChunks() call (one index write each). @default 500 */
  batchSize: number;
  /**
   * How long a flushed chunk stays in memory (for queries, which also read the store) before it is
   * dropped; its samples then leave the WAL with the next checkpoint. @default 900000 (15 min)
   */
  retainAfterFlushMs: number;
  /**
   * On a graceful stop, flush every in-memory chunk before exiting: in a cluster while the node is
   * LEAVING (peers already write elsewhere), on a single node after the server stopped accepting
   * writes. A failed flush does not block the exit: the WAL still holds the data. @default true
   */
  flushOnShutdown: boolean;
}

export function defaultFlushConfig(): FlushConfig {
  return { enabled: true, maxChunkAgeMs: 3_600_000, maxChunkIdleMs: 300_000, checkPeriodMs: 60_000, concurrency: 4, batchSize: 500, retainAfterFlushMs: 900_000, flushOnShutdown: true };
}

/** Throws RangeError naming the first invalid option. */
export function validateFlushConfig(c: FlushConfig, path = 'flush'): void {
  const int = (key: keyof FlushConfig, min: number) => {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new RangeError(`Invalid config: "${path}.${key}" must be an integer >= ${min}: got ${JSON.stringify(v)}`);
  };
  for (const key of ['enabled', 'flushOnShutdown'] as const) {
    if (typeof c[key] !== 'boolean') throw new RangeError(`Invalid config: "${path}.${key}" must be true or false: got ${JSON.stringify(c[key])}`);
  }
  int('maxChunkAgeMs', 1);
  int('maxChunkIdleMs', 1);
  int('checkPeriodMs', 1);
  int('concurrency', 1);
  int('batchSize', 1);
  int('retainAfterFlushMs', 0);
}
