/**
 * Moves an ingester's chunks to the long-term ChunkStore (Cortex chunks-era flushing).
 *
 * Every checkPeriodMs: head chunks that are too old (maxChunkAgeMs) or whose series went
 * idle (maxChunkIdleMs) are closed; every closed chunk not yet acknowledged is written
 * with ChunkStore.putChunks; acknowledged chunks are marked flushedAt and, once
 * retainAfterFlushMs has passed, dropped from the head (series left empty are removed
 * with a WAL tombstone).
 *
 * Crash safety: a chunk is only marked flushed after putChunks resolved, i.e. after the
 * object and its index rows are written. Until it is dropped it is part of every
 * checkpoint, and its samples stay in the WAL until the first checkpoint taken after the
 * drop; so a crash before the acknowledgement loses nothing (the chunk is flushed again
 * after replay; content addressing and the queriers' sample dedupe absorb the repeat).
 */
import { SystemClock, type Clock } from '../core/clock.ts';
import { Service } from '../core/service.ts';
import type { Ingester } from '../ingester/ingester.ts';
import type { ClosedChunk, MemSeries } from '../ingester/series.ts';
import type { ChunkStore, ChunkToWrite } from '../store/chunk-store.ts';
import { mapLimit } from '../store/map-limit.ts';
import { defaultFlushConfig, validateFlushConfig, type FlushConfig } from './config.ts';
import { FlushError } from './errors.ts';

export interface FlushResult {
  /** Chunks handed to the store. */
  chunks: number;
  /** Objects the store uploaded (the rest already existed: another replica, or a repeat). */
  uploaded: number;
  deduplicated: number;
  /** Chunks whose write failed (kept in memory, retried on the next run). */
  failed: number;
  /** Flushed chunks dropped from memory. */
  dropped: number;
  /** Series removed from the head because all their chunks are in the store. */
  seriesRemoved: number;
}

export interface FlusherStats {
  runs: number;
  chunksFlushed: number;
  chunksUploaded: number;
  chunkFlushFailures: number;
  chunksDropped: number;
  seriesRemoved: number;
  lastError: string;
}

interface Pending {
  series: MemSeries;
  chunk: ClosedChunk;
}

export class Flusher extends Service {
  readonly config: FlushConfig;
  #ingester: Ingester;
  #store: ChunkStore;
  #clock: Clock;
  #timer: { cancel(): void } | null = null;
  /** Runs are serialized: a manual flush waits for the periodic one and vice versa. */
  #queue: Promise<unknown> = Promise.resolve();
  #stats: FlusherStats = { runs: 0, chunksFlushed: 0, chunksUploaded: 0, chunkFlushFailures: 0, chunksDropped: 0, seriesRemoved: 0, lastError: '' };

  constructor(config: Partial<FlushConfig>, deps: { ingester: Ingester; store: ChunkStore; clock?: Clock }) {
    super('flusher');
    this.config = { ...defaultFlushConfig(), ...config };
    validateFlushConfig(this.config);
    this.#ingester = deps.ingester;
    this.#store = deps.store;
    this.#clock = deps.clock ?? new SystemClock();
  }

  protected async starting(): Promise<void> {
    if (!this.config.enabled) return;
    // From now on the ingester's retention GC must not drop chunks the store does not have.
    this.#ingester.head.config.keepUnflushed = true;
    this.#arm();
  }

  protected async stopping(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = null;
    await this.#queue.catch(() => undefined);
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      void this.sweep()
        .catch(() => undefined)
        .finally(() => {
          if (this.state === 'running') this.#arm();
        });
    }, this.config.checkPeriodMs);
  }

  stats(): FlusherStats {
    return { ...this.#stats };
  }

  /**
   * Closes every head chunk and writes every chunk not yet in the store; resolves once
   * the store acknowledged all of them.
   * @throws FlushError 'flush-failed' (503) when some chunk could not be written
   */
  flushAll(): Promise<FlushResult> {
    return this.#enqueue(true);
  }

  /** One periodic pass: flush what is full, old or idle, then drop what was flushed long enough ago. */
  sweep(): Promise<FlushResult> {
    return this.#enqueue(false);
  }

  #enqueue(force: boolean): Promise<FlushResult> {
    if (this.state !== 'running') return Promise.reject(new FlushError('flush-not-running', `Cannot flush: flusher is ${this.state}`));
    const run = this.#queue.catch(() => undefined).then(() => this.#run(force));
    this.#queue = run;
    return run;
  }

  async #run(force: boolean): Promise<FlushResult> {
    this.#stats.runs++;
    const res: FlushResult = { chunks: 0, uploaded: 0, deduplicated: 0, failed: 0, dropped: 0, seriesRemoved: 0 };
    const errors: unknown[] = [];
    const batches: { tenant: string; items: Pending[] }[] = [];
    const head = this.#ingester.head;
    const now = this.#clock.now();
    const { maxChunkAgeMs, maxChunkIdleMs, batchSize } = this.config;
    for (const tenant of head.tenants()) {
      const th = head.get(tenant);
      if (th === undefined) continue;
      let items: Pending[] = [];
      for (const s of th.allSeries()) {
        const h = s.head;
        if (h !== null && h.count > 0 && (force || now - s.lastT >= maxChunkIdleMs || now - h.minTime >= maxChunkAgeMs)) s.closeHead();
        const closed = s.closed;
        if (closed === null) continue;
        for (const c of closed) {
          if (c.flushedAt !== undefined) continue;
          items.push({ series: s, chunk: c });
          if (items.length >= batchSize) {
            batches.push({ tenant, items });
            items = [];
          }
        }
      }
      if (items.length > 0) batches.push({ tenant, items });
    }
    await mapLimit(batches, this.config.concurrency, async ({ tenant, items }) => {
      const chunks: ChunkToWrite[] = items.map(({ series, chunk }) => ({ labels: series.labels, chunkBytes: chunk.bytes, minT: chunk.minT, maxT: chunk.maxT }));
      res.chunks += chunks.length;
      try {
        const r = await this.#store.putChunks(tenant, chunks);
        // Acknowledged: objects and index rows are written.
        const at = this.#clock.now();
        for (const it of items) it.chunk.flushedAt = at;
        res.uploaded += r.uploaded;
        res.deduplicated += r.deduplicated;
      } catch (err) {
        res.failed += chunks.length;
        errors.push(err);
      }
    });
    this.#stats.chunksFlushed += res.chunks - res.failed;
    this.#stats.chunksUploaded += res.uploaded;
    this.#stats.chunkFlushFailures += res.failed;
    if (!force) await this.#dropFlushed(this.#clock.now() - this.config.retainAfterFlushMs, res);
    if (errors.length > 0) {
      const first = errors[0] as Error;
      this.#stats.lastError = first?.message ?? String(first);
      if (force) {
        throw new FlushError('flush-failed', `Flush failed: ${res.failed} of ${res.chunks} chunks not written to the store: ${this.#stats.lastError}`, { cause: first });
      }
    }
    return res;
  }

  /** Drops chunks acknowledged at or before `flushedBefore`; removes series left empty. */
  async #dropFlushed(flushedBefore: number, res: FlushResult): Promise<void> {
    const head = this.#ingester.head;
    const removals: Promise<number>[] = [];
    for (const tenant of head.tenants()) {
      const th = head.get(tenant);
      if (th === undefined) continue;
      const empty: number[] = [];
      for (const s of th.allSeries()) {
        res.dropped += s.dropFlushed(flushedBefore);
        if (s.empty) empty.push(s.ref);
      }
      // removeSeries takes them out of the head synchronously, before any push can run.
      if (empty.length > 0) removals.push(this.#ingester.removeSeries(tenant, empty));
    }
    for (const n of await Promise.all(removals)) res.seriesRemoved += n;
    this.#stats.chunksDropped += res.dropped;
    this.#stats.seriesRemoved += res.seriesRemoved;
  }

  /** Drops flushed chunks now regardless of retainAfterFlushMs (tests, benchmarks, memory pressure). */
  dropAllFlushed(): Promise<FlushResult> {
    const run = this.#queue.catch(() => undefined).then(async () => {
      const res: FlushResult = { chunks: 0, uploaded: 0, deduplicated: 0, failed: 0, dropped: 0, seriesRemoved: 0 };
      await this.#dropFlushed(Infinity, res);
      return res;
    });
    this.#queue = run;
    return run;
  }
}
