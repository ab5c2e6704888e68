/**
 * The compactor role: per tenant it owns, every intervalMs,
 *  1. retention: drops index buckets older than the tenant's retention
 *     (ChunkIndex.deleteBefore) and marks the freed objects for deletion;
 *  2. compaction: for each series and aligned window (windowMs) that has closed and
 *     holds two or more chunks (replicas that cut at different points, idle flushes,
 *     restarts), merges their samples (one per timestamp), writes them as one new chunk
 *     in the smaller encoding (packed or XOR), then removes the old chunks' index rows
 *     and marks their objects for deletion; settled index buckets are skipped;
 *  3. deletion: objects whose marker's grace period is over are deleted, unless the
 *     index names them again (an ingester re-flushed the same bytes meanwhile).
 *
 * Order of writes (new object + index rows, marker, index deletion; for retention:
 * marker, index deletion) means a crash at any point leaves the data readable: at
 * worst duplicates (deduped by queries and the next run), never an object that no
 * index row and no marker names.
 */
import { SystemClock, type Clock } from '../core/clock.ts';
import { Service } from '../core/service.ts';
import { decodeChunk, encodeSmallest } from '../chunk/encoding.ts';
import type { Bucket } from '../store/bucket.ts';
import type { ChunkIndex, ChunkRef, SeriesRef } from '../store/chunk-index.ts';
import { mergeSampleColumns, type SampleColumns } from '../store/chunk-querier.ts';
import { ChunkStore, chunkEncodingOf } from '../store/chunk-store.ts';
import { blockKey, type BlockChunk } from '../store/block-format.ts';
import { mapLimit } from '../store/map-limit.ts';
import { pushTo } from '../store/push-to.ts';
import { TenantBucket } from '../store/tenant-bucket.ts';
import { defaultCompactorConfig, validateCompactorConfig, type CompactorConfig } from './config.ts';
import { deadlineOfKey, MARKER_PREFIX, readMarker, writeMarker } from './deletion-markers.ts';
import { readSettledThrough, writeSettledThrough } from './tenant-state.ts';
import type { Labels } from '../../query/model/labels.ts';

/** Series whose chunk refs are read from the index in one call (bounds the refs held in memory). */
const INDEX_GROUP_SERIES = 50_000;

/** The XOR chunk header counts samples in 16 bits. */
const MAX_CHUNK_SAMPLES = 65_535;

export interface CompactionResult {
  tenants: number;
  /** Series merged into a block, counted once per window (a series in two windows counts twice). */
  seriesCompacted: number;
  chunksIn: number;
  chunksOut: number;
  /** Duplicate samples dropped while merging (replicas' copies). */
  duplicateSamples: number;
  markersWritten: number;
  objectsDeleted: number;
  /** Objects kept because the index references them again. */
  objectsKeptReferenced: number;
  /** Chunks freed by retention (deleted after the grace period). */
  retentionChunks: number;
  /** Index bucket visits skipped because the bucket was settled and compacted before. */
  bucketsSkipped: number;
  /** Index rows naming a deleted object whose samples a compacted chunk holds (removed). */
  danglingRowsRemoved: number;
  /** Block objects written. */
  blocksWritten: number;
  /** Blocks freed by retention (deleted after the grace period). */
  retentionBlocks: number;
}

/** One series' flushed chunks of one window. */
interface WindowSeries {
  seriesId: string;
  labels: Labels;
  refs: ChunkRef[];
}

/** A window's merged chunks waiting to be written as a block, and the chunks they replace. */
interface PendingBlock {
  chunks: BlockChunk[];
  bytes: number;
  series: number;
  replaced: ChunkRef[];
}

/**
 * Each series' chunk refs by the closed window their first sample falls in (a chunk is
 * handled in the index bucket its first sample falls in, never twice), windows ascending.
 */
function windowsOf(group: readonly SeriesRef[], chunks: ReadonlyMap<string, ChunkRef[]>, bucketStart: number, windowMs: number, closedBefore: number): Map<number, WindowSeries[]> {
  const out = new Map<number, WindowSeries[]>();
  for (const s of group) {
    const list = chunks.get(s.seriesId);
    if (list === undefined) continue;
    const byWindow = new Map<number, ChunkRef[]>();
    for (const ref of list) {
      if (ref.minT < bucketStart) continue;
      const w = Math.floor(ref.minT / windowMs);
      if ((w + 1) * windowMs <= closedBefore) pushTo(byWindow, w, ref);
    }
    for (const [w, refs] of byWindow) pushTo(out, w, { seriesId: s.seriesId, labels: s.labels, refs });
  }
  return new Map([...out.entries()].sort((a, b) => a[0] - b[0]));
}

export interface CompactorDeps {
  store: ChunkStore;
  /** The raw bucket the store writes into (not tenant-scoped): markers live beside the tenants. */
  bucket: Bucket;
  clock?: Clock;
  /** Cluster sharding: whether this node compacts the tenant. @default () => true */
  ownsTenant?: (tenant: string) => boolean;
  /** Retention in ms for a tenant (0 = forever). @default config.retentionPerTenantMs[tenant] ?? config.retentionMs */
  retentionFor?: (tenant: string) => number;
}

function emptyResult(): CompactionResult {
  return { tenants: 0, seriesCompacted: 0, chunksIn: 0, chunksOut: 0, duplicateSamples: 0, markersWritten: 0, objectsDeleted: 0, objectsKeptReferenced: 0, retentionChunks: 0, bucketsSkipped: 0, danglingRowsRemoved: 0, blocksWritten: 0, retentionBlocks: 0 };
}

export class Compactor extends Service {
  readonly config: CompactorConfig;
  #store: ChunkStore;
  #index: ChunkIndex;
  #bucket: Bucket;
  #clock: Clock;
  #owns: (tenant: string) => boolean;
  #retentionFor: (tenant: string) => number;
  #timer: { cancel(): void } | null = null;
  #running: Promise<CompactionResult> | null = null;
  #lastResult: CompactionResult | null = null;
  #lastError = '';
  #runs = 0;

  constructor(config: Partial<CompactorConfig>, deps: CompactorDeps) {
    super('compactor');
    this.config = { ...defaultCompactorConfig(), ...config };
    validateCompactorConfig(this.config);
    this.#store = deps.store;
    this.#index = deps.store.index;
    this.#bucket = deps.bucket;
    this.#clock = deps.clock ?? new SystemClock();
    this.#owns = deps.ownsTenant ?? (() => true);
    this.#retentionFor = deps.retentionFor ?? ((t) => this.config.retentionPerTenantMs[t] ?? this.config.retentionMs);
  }

  /** Installs the cluster's ownership test (the ring), replacing the default "own every tenant". */
  setOwnsTenant(fn: (tenant: string) => boolean): void {
    this.#owns = fn;
  }

  protected async starting(): Promise<void> {
    if (this.config.enabled) this.#arm();
  }

  protected async stopping(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = null;
    await this.#running?.catch(() => undefined);
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      void this.runOnce()
        .catch(() => undefined)
        .finally(() => {
          if (this.state === 'running') this.#arm();
        });
    }, this.config.intervalMs);
  }

  stats(): { runs: number; lastError: string; last: CompactionResult | null } {
    return { runs: this.#runs, lastError: this.#lastError, last: this.#lastResult };
  }

  /** One full pass over every owned tenant; concurrent calls share the running pass. */
  runOnce(): Promise<CompactionResult> {
    if (this.#running !== null) return this.#running;
    const p = this.#run().finally(() => {
      this.#running = null;
    });
    this.#running = p;
    return p;
  }

  async #run(): Promise<CompactionResult> {
    this.#runs++;
    const res = emptyResult();
    try {
      // Deletions first: a chunk this run takes out of the index is never deleted in the same run,
      // so a query that read its index row moments ago still finds the object.
      await this.#deleteDue(res);
      for (const tenant of await this.#index.listTenants()) {
        if (!this.#owns(tenant)) continue;
        res.tenants++;
        await this.#retention(tenant, res);
        await this.compactTenant(tenant, res);
      }
      this.#lastResult = res;
      this.#lastError = '';
      return res;
    } catch (err) {
      this.#lastError = (err as Error)?.message ?? String(err);
      throw err;
    }
  }

  async #retention(tenant: string, res: CompactionResult): Promise<void> {
    const retention = this.#retentionFor(tenant);
    if (!(retention > 0)) return;
    const now = this.#clock.now();
    // Markers first, index rows second: a crash in between leaves chunks that are still
    // indexed (the marker's deletion keeps referenced objects; the next run frees them again).
    const freed = await this.#index.deleteBefore(tenant, now - retention, async (refs, blocks) => {
      await writeMarker(this.#bucket, tenant, now + this.config.gracePeriodMs, 'retention', refs, blocks.map((b) => blockKey(b.id)));
      res.markersWritten++;
      res.retentionBlocks += blocks.length;
    });
    res.retentionChunks += freed.length;
  }

  /**
   * Compacts one tenant: every index bucket not yet settled, every window that closed at least
   * compactAfterMs ago and still has flushed chunks (chunk rows). Each such window's chunks,
   * merged per series, go into one block object (a second block for chunks flushed after the
   * window was compacted); then the flushed chunks leave the index. Settled buckets (ended
   * settledAfterMs ago and compacted once since) are skipped through the tenant's watermark.
   */
  async compactTenant(tenant: string, res: CompactionResult = emptyResult()): Promise<CompactionResult> {
    const now = this.#clock.now();
    const settledThrough = await readSettledThrough(this.#bucket, tenant);
    let newSettledThrough = settledThrough;
    let contiguous = true;
    // Windows ending after this are still open (or just closed): left for a later run.
    const closedBefore = now - this.config.compactAfterMs;
    for (const bucket of await this.#index.timeBuckets(tenant)) {
      if (bucket.end < settledThrough) {
        res.bucketsSkipped++;
        continue;
      }
      const series = await this.#index.lookupSeries(tenant, [], bucket.start, bucket.end);
      const blocks = new Map<number, PendingBlock>();
      // Chunk refs for many series at once: on embedded indexes that is one scan of the time
      // bucket's chunk rows instead of one query per series (FORMAT.md, chunksFor costs).
      for (let g = 0; g < series.length; g += INDEX_GROUP_SERIES) {
        const group = series.slice(g, g + INDEX_GROUP_SERIES);
        const chunks = await this.#index.chunksFor(tenant, group.map((s) => s.seriesId), bucket.start, bucket.end);
        const work = windowsOf(group, chunks, bucket.start, this.config.windowMs, closedBefore);
        for (const [w, items] of work) {
          const batches: WindowSeries[][] = [];
          for (let i = 0; i < items.length; i += this.config.seriesBatchSize) batches.push(items.slice(i, i + this.config.seriesBatchSize));
          await mapLimit(batches, this.config.concurrency, async (batch) => {
            const out = await this.#mergeBatch(tenant, batch, res);
            let pending = blocks.get(w);
            if (pending === undefined) blocks.set(w, (pending = { chunks: [], bytes: 0, series: 0, replaced: [] }));
            for (const c of out.chunks) {
              pending.chunks.push(c);
              pending.bytes += c.bytes.length;
            }
            pending.series += out.series;
            pending.replaced.push(...out.replaced);
            // A full block is written at once (swapped out first: other batches keep filling a new one).
            if (pending.bytes >= this.config.blockMaxBytes || pending.series >= this.config.blockMaxSeries) {
              blocks.delete(w);
              await this.#writeBlock(tenant, pending, res);
            }
          });
        }
      }
      for (const pending of blocks.values()) await this.#writeBlock(tenant, pending, res);
      // Only a prefix of settled buckets moves the watermark: a gap would hide an unsettled one.
      if (contiguous && bucket.end + this.config.settledAfterMs <= now) newSettledThrough = bucket.end + 1;
      else contiguous = false;
    }
    if (newSettledThrough > settledThrough) await writeSettledThrough(this.#bucket, tenant, newSettledThrough);
    return res;
  }

  /** Reads, merges (one sample per timestamp) and re-encodes each series' chunks of one window. */
  async #mergeBatch(tenant: string, batch: readonly WindowSeries[], res: CompactionResult): Promise<{ chunks: BlockChunk[]; series: number; replaced: ChunkRef[] }> {
    const allRefs = batch.flatMap((g) => g.refs);
    // A missing object covered by another chunk of its window (a re-indexed, already compacted
    // chunk: chunk-store.ts withoutCoveredMissing) is left out of the merge; its dangling index
    // row goes with the replaced ones.
    const fetched = await this.#store.getChunks(tenant, allRefs, undefined, {
      cache: false,
      skipCovered: true,
      // The chunk that covers a dangling row is usually in a block written by an earlier run.
      alsoCovering: async (missing) => {
        const refs = await this.#store.blockRefs(tenant, [...new Set(missing.map((r) => r.seriesId))], Math.min(...missing.map((r) => r.minT)), Math.max(...missing.map((r) => r.maxT)));
        return [...refs.values()].flat();
      },
    });
    const bytesOf = new Map<ChunkRef, Uint8Array>();
    for (const f of fetched) bytesOf.set(f.ref, f.bytes);
    const chunks: BlockChunk[] = [];
    let series = 0;
    for (const g of batch) {
      let inSamples = 0;
      const parts: SampleColumns[] = [];
      for (const ref of g.refs) {
        const bytes = bytesOf.get(ref);
        if (bytes === undefined) {
          res.danglingRowsRemoved++;
          continue;
        }
        const cols = decodeChunk(chunkEncodingOf(ref), bytes);
        inSamples += cols.timestamps.length;
        parts.push(cols);
      }
      // Replicas' chunks overlap: order by first sample so the merge keeps one sample per timestamp.
      parts.sort((a, b) => (a.timestamps[0] ?? 0) - (b.timestamps[0] ?? 0));
      const merged = mergeSampleColumns(parts);
      const n = merged.timestamps.length;
      res.duplicateSamples += inSamples - n;
      for (let o = 0; o < n; o += MAX_CHUNK_SAMPLES) {
        const ts = merged.timestamps.subarray(o, Math.min(n, o + MAX_CHUNK_SAMPLES));
        const vs = merged.values.subarray(o, Math.min(n, o + MAX_CHUNK_SAMPLES));
        // Whichever encoding is smaller for these samples: usually packed (decimal values), XOR for noisy floats.
        const c = encodeSmallest(ts, vs);
        chunks.push({ seriesId: g.seriesId, labels: g.labels, minT: ts[0]!, maxT: ts[ts.length - 1]!, encoding: c.encoding, bytes: c.bytes, samples: ts.length });
      }
      if (n > 0) series++;
      res.chunksIn += g.refs.length;
    }
    return { chunks, series, replaced: allRefs };
  }

  /**
   * 1. the block (object, then its index rows); 2. the deletion marker of the chunks it
   * replaces; 3. their index rows. A crash after 1 leaves both (queries dedupe; the next run
   * writes the same content-addressed block again); after 2, the marker's objects are still
   * indexed and so kept; after 3, the objects go after the grace period.
   */
  async #writeBlock(tenant: string, pending: PendingBlock, res: CompactionResult): Promise<void> {
    if (pending.chunks.length > 0) {
      await this.#store.putBlock(tenant, pending.chunks);
      res.blocksWritten++;
      res.chunksOut += pending.chunks.length;
      res.seriesCompacted += pending.series;
    }
    if (pending.replaced.length === 0) return;
    await writeMarker(this.#bucket, tenant, this.#clock.now() + this.config.gracePeriodMs, 'compacted', pending.replaced);
    res.markersWritten++;
    await this.#index.deleteChunks(tenant, pending.replaced);
  }

  /** Deletes the objects of every marker whose grace period is over, then the marker. */
  async #deleteDue(res: CompactionResult): Promise<void> {
    const now = this.#clock.now();
    const due: string[] = [];
    for await (const key of this.#bucket.list(MARKER_PREFIX)) {
      if (deadlineOfKey(key) > now) break; // keys are in deadline order
      due.push(key);
    }
    for (const key of due) {
      const m = await readMarker(this.#bucket, key);
      if (m === undefined) continue;
      if (!this.#owns(m.tenant)) continue;
      const tb = new TenantBucket(this.#bucket, m.tenant);
      // Re-referenced chunks: an ingester flushed the same bytes again after the compaction.
      const bySeries = new Map<string, { min: number; max: number }>();
      for (const c of m.chunks) {
        const r = bySeries.get(c.seriesId);
        if (r === undefined) bySeries.set(c.seriesId, { min: c.minT, max: c.maxT });
        else {
          r.min = Math.min(r.min, c.minT);
          r.max = Math.max(r.max, c.maxT);
        }
      }
      const referenced = new Set<string>();
      const ids = [...bySeries.keys()];
      let lo = Infinity;
      let hi = -Infinity;
      for (const r of bySeries.values()) {
        lo = Math.min(lo, r.min);
        hi = Math.max(hi, r.max);
      }
      if (ids.length > 0) {
        const still = await this.#index.chunksFor(m.tenant, ids, lo, hi);
        for (const [sid, list] of still) for (const r of list) referenced.add(`${sid}/${r.id}`);
      }
      // Block IDs are content hashes of data no index row names any more: nothing re-references them.
      const doomed: string[] = [...(m.objects ?? [])];
      for (const c of m.chunks) {
        if (referenced.has(`${c.seriesId}/${c.id}`)) res.objectsKeptReferenced++;
        else doomed.push(ChunkStore.chunkKey(c));
      }
      // One bulk delete per marker (S3: a DeleteObjects request per 1,000 keys).
      await tb.deleteMany(doomed);
      res.objectsDeleted += doomed.length;
      await this.#bucket.delete(key);
    }
  }
}
