/**
 * Long-term chunk storage: chunk bytes in a Bucket, their whereabouts in a
 * ChunkIndex. Objects are content-addressed,
 *   <tenant>/chunks/<seriesID>/<minT>-<maxT>-<contentHash>
 * so the replicas that flush the same chunk all name the same object; a
 * create-only put (or an exists check where the bucket cannot do conditional
 * puts) plus a cache of recently written keys keeps it to one upload. Objects
 * are written before index rows, so the index never names a missing object.
 *
 * The caller owns the bucket's and the index's lifecycles; several ChunkStores
 * (one per replica or per process) may share them.
 */
import { createHash } from 'node:crypto';
import type { Labels } from '../../query/model/labels.ts';
import type { Querier } from '../../query/querier/queryable.ts';
import { SystemClock, type Clock } from '../core/clock.ts';
import type { Bucket } from './bucket.ts';
import { compareChunkRefs, type ChunkIndex, type ChunkRef, type IndexEntry, type SeriesRef } from './chunk-index.ts';
import { hasStoreCode, storageError } from './errors.ts';
import { mapLimit } from './map-limit.ts';
import { RecentCache } from './recent-cache.ts';
import { seriesIdFor } from './series-id.ts';
import { TenantBucket } from './tenant-bucket.ts';
import { assertValidTenantId } from './tenant-id.ts';
import { ChunkStoreQuerier } from './chunk-querier.ts';
import { ChunkCache } from './chunk-cache.ts';
import { chunkSampleCount, type ChunkEncoding } from '../chunk/encoding.ts';
import { blockKey, encodeBlock, type BlockChunk, type BlockEntry, type BlockMeta } from './block-format.ts';
import { sortByLabels } from '../../query/model/labels.ts';
import { matchesAll, type Matcher } from '../../query/model/matchers.ts';
import { pushTo } from './push-to.ts';
import { BlockReader, missingBlock, type BlockSeries } from './block-reader.ts';

export interface ChunkStoreConfig {
  /** Chunk uploads in flight at once per putChunks() call. @default 16 */
  uploadConcurrency: number;
  /** Chunk downloads in flight at once per getChunks() call. @default 32 */
  fetchConcurrency: number;
  /** Object keys remembered as recently written (skips uploads replicas already made from this process). @default 100_000 */
  recentChunksSize: number;
  /** How long a written key is remembered, in ms. @default 900_000 (15 min) */
  recentChunksTtlMs: number;
  /** Bytes of chunk objects kept in memory for queries (LRU; objects are immutable, so never stale). 0 disables. @default 134217728 (128 MiB) */
  cacheBytes: number;
  /** Bytes of block directory pages and fence tables kept in memory (LRU). 0 disables. @default 67108864 (64 MiB) */
  blockDirectoryCacheBytes: number;
  /**
   * Chunks of one block at most this many bytes apart are fetched with one range read: a
   * request costs more than the bytes between (S3 bills per request, and its latency dwarfs
   * a few hundred KiB). @default 524288 (512 KiB)
   */
  blockRangeGapBytes: number;
  /** Largest single range read of a block's chunks (bounds the memory of one read). @default 16777216 (16 MiB) */
  blockRangeMaxBytes: number;
}

export function defaultChunkStoreConfig(): ChunkStoreConfig {
  return {
    uploadConcurrency: 16,
    fetchConcurrency: 32,
    recentChunksSize: 100_000,
    recentChunksTtlMs: 900_000,
    cacheBytes: 128 * 1024 * 1024,
    blockDirectoryCacheBytes: 64 * 1024 * 1024,
    blockRangeGapBytes: 512 * 1024,
    blockRangeMaxBytes: 16 * 1024 * 1024,
  };
}

export interface ChunkToWrite {
  labels: Labels;
  /** The encoded chunk (node/chunk/encoding.ts). */
  chunkBytes: Uint8Array;
  /** @default 'xor' (Prometheus XOR: 2-byte big-endian sample count, then the bit stream) */
  encoding?: ChunkEncoding;
  /** First and last sample timestamps, inclusive ms. */
  minT: number;
  maxT: number;
}

/** The chunk ID (and so the object key) names the encoding: no suffix for XOR, ".p" for packed. */
const ID_SUFFIX: Record<ChunkEncoding, string> = { xor: '', packed: '.p' };

/** The encoding of a stored chunk, from its ID (a block chunk's ID carries the suffix too). */
export function chunkEncodingOf(ref: Pick<ChunkRef, 'id' | 'block'>): ChunkEncoding {
  if (ref.block !== undefined) return ref.block.encoding;
  return ref.id.endsWith(ID_SUFFIX.packed) ? 'packed' : 'xor';
}

export interface PutChunksResult {
  /** Objects uploaded by this call. */
  uploaded: number;
  /** Chunks whose object already existed or was written recently by this process. */
  deduplicated: number;
  /** One ref per input chunk, in input order. */
  refs: ChunkRef[];
}

export interface FetchedChunk {
  ref: ChunkRef;
  bytes: Uint8Array;
}

export class ChunkStore {
  #bucket: Bucket;
  #index: ChunkIndex;
  #cfg: ChunkStoreConfig;
  #recent: RecentCache;
  #cache: ChunkCache;
  #blocks: BlockReader;
  /** Selections answered from blocks vs from the index's rows (selectSeries). */
  #selections = { fromBlocks: 0, fromIndex: 0 };
  #tenantBuckets = new Map<string, TenantBucket>();

  constructor(config: Partial<ChunkStoreConfig>, deps: { bucket: Bucket; index: ChunkIndex; clock?: Clock }) {
    this.#cfg = { ...defaultChunkStoreConfig(), ...config };
    this.#bucket = deps.bucket;
    this.#index = deps.index;
    this.#cache = new ChunkCache(this.#cfg.cacheBytes);
    this.#blocks = new BlockReader({ cacheBytes: this.#cfg.blockDirectoryCacheBytes, concurrency: this.#cfg.fetchConcurrency });
    this.#recent = new RecentCache({ maxEntries: this.#cfg.recentChunksSize, ttlMs: this.#cfg.recentChunksTtlMs, clock: deps.clock ?? new SystemClock() });
  }

  /** Chunk cache counters (hits, misses, bytes held) and the block directory cache's. */
  cacheStats(): { hits: number; misses: number; bytes: number; blockDirectory: { reads: number; pageHits: number; pageMisses: number; bytes: number } } {
    return { hits: this.#cache.hits, misses: this.#cache.misses, bytes: this.#cache.bytes, blockDirectory: { ...this.#blocks.stats, bytes: this.#blocks.cachedBytes } };
  }

  /** Counters of where queries found their series and chunks. */
  selectionStats(): { fromBlocks: number; fromIndex: number } {
    return { ...this.#selections };
  }

  get index(): ChunkIndex {
    return this.#index;
  }

  /** Object key of a chunk inside its tenant's prefix. */
  static chunkKey(ref: Pick<ChunkRef, 'seriesId' | 'id'>): string {
    return `chunks/${ref.seriesId}/${ref.id}`;
  }

  /**
   * Uploads the chunks (once each, whoever else wrote them) and indexes them.
   * `seriesIndexed`: see ChunkIndex.writeEntries' chunksOnly (compaction rewrites).
   */
  async putChunks(tenant: string, chunks: readonly ChunkToWrite[], opts: { seriesIndexed?: boolean } = {}): Promise<PutChunksResult> {
    assertValidTenantId(tenant);
    const bucket = this.#tenantBucket(tenant);
    const refs: ChunkRef[] = [];
    const entries: IndexEntry[] = [];
    for (const c of chunks) {
      if (c.chunkBytes.length < 2) throw new RangeError(`Invalid chunk: ${c.chunkBytes.length} bytes, want at least 2 (tenant ${JSON.stringify(tenant)})`);
      if (!(Number.isSafeInteger(c.minT) && Number.isSafeInteger(c.maxT) && c.minT <= c.maxT)) {
        throw new RangeError(`Invalid chunk time range: [${c.minT}, ${c.maxT}] (tenant ${JSON.stringify(tenant)})`);
      }
      const seriesId = seriesIdFor(tenant, c.labels);
      const encoding = c.encoding ?? 'xor';
      const hash = createHash('sha256').update(c.chunkBytes).digest('hex').slice(0, 32);
      const samples = chunkSampleCount(encoding, c.chunkBytes);
      const ref: ChunkRef = { seriesId, id: `${c.minT}-${c.maxT}-${hash}${ID_SUFFIX[encoding]}`, minT: c.minT, maxT: c.maxT, samples, bytes: c.chunkBytes.length };
      refs.push(ref);
      entries.push({ seriesId, labels: c.labels, chunk: { id: ref.id, minT: ref.minT, maxT: ref.maxT, samples, bytes: ref.bytes } });
    }
    let uploaded = 0;
    let deduplicated = 0;
    const seen = new Set<string>();
    await mapLimit(refs, this.#cfg.uploadConcurrency, async (ref, i) => {
      const key = ChunkStore.chunkKey(ref);
      const cacheKey = `${tenant}/${key}`;
      if (seen.has(cacheKey) || this.#recent.has(cacheKey)) {
        deduplicated++;
        return;
      }
      seen.add(cacheKey);
      if (await this.#upload(bucket, key, chunks[i]!.chunkBytes)) uploaded++;
      else deduplicated++;
      this.#recent.add(cacheKey);
    });
    await this.#index.writeEntries(tenant, entries, { chunksOnly: opts.seriesIndexed === true });
    return { uploaded, deduplicated, refs };
  }

  /** Returns true when this call created the object. */
  async #upload(bucket: Bucket, key: string, bytes: Uint8Array): Promise<boolean> {
    if (bucket.supports.conditionalPut) {
      try {
        await bucket.put(key, bytes, { ifNoneMatch: '*' });
        return true;
      } catch (err) {
        // Same key = same content: another replica (or our own retried attempt) got there first.
        if (hasStoreCode(err, 'STORE_OBJECT_EXISTS')) return false;
        throw err;
      }
    }
    // Without conditional puts two replicas may both upload; the bytes are identical, so the race is harmless.
    if (await bucket.exists(key)) return false;
    await bucket.put(key, bytes);
    return true;
  }

  /**
   * Writes the chunks as one block object (create-only: the ID is a content hash, so a
   * repeated compaction writes the same key) and indexes it. Returns its meta.
   */
  async putBlock(tenant: string, chunks: readonly BlockChunk[]): Promise<BlockMeta> {
    assertValidTenantId(tenant);
    const { bytes, meta } = encodeBlock(chunks);
    await this.#upload(this.#tenantBucket(tenant), blockKey(meta.id), bytes);
    await this.#index.writeBlocks(tenant, [meta]);
    return meta;
  }

  /**
   * Chunks overlapping [start, end] per series, from the index's chunk rows (flushed chunks)
   * and from the blocks of the range (compacted chunks), sorted by minT then ID; series
   * without any are absent.
   */
  async chunkRefs(tenant: string, seriesIds: readonly string[], start: number, end: number): Promise<Map<string, ChunkRef[]>> {
    assertValidTenantId(tenant);
    const [rows, blocks] = await Promise.all([this.#index.chunksFor(tenant, seriesIds, start, end), this.#index.blocksFor(tenant, start, end)]);
    return this.#addBlockRefs(tenant, rows, blocks, seriesIds, start, end);
  }

  /**
   * The series matching the matchers that have chunks overlapping [start, end], sorted by labels,
   * with those chunks. Over compacted data (the range's blocks cover it) on an index that can
   * list the pending chunk rows in one scan, the series come from the blocks' own series index
   * and the pending rows are added (labels of series found only there come from the index);
   * otherwise (recent, uncompacted data; DynamoDB; too many pending rows) from the index's rows:
   * lookupSeries, then their chunk rows and block directory entries. Both give the same answer.
   */
  async selectSeries(tenant: string, matchers: readonly Matcher[], start: number, end: number, signal?: AbortSignal): Promise<{ series: SeriesRef[]; chunks: Map<string, ChunkRef[]> }> {
    assertValidTenantId(tenant);
    const blocks = await this.#index.blocksFor(tenant, start, end);
    const pending = covers(blocks, start, end) ? await this.#index.pendingChunks(tenant, start, end, PENDING_ROWS_LIMIT) : undefined;
    if (pending !== undefined) {
      this.#selections.fromBlocks++;
      return this.#selectFromBlocks(tenant, blocks, pending, matchers, start, end);
    }
    this.#selections.fromIndex++;
    const series = await this.#index.lookupSeries(tenant, matchers, start, end);
    if (series.length === 0) return { series, chunks: new Map() };
    signal?.throwIfAborted();
    const ids = series.map((s) => s.seriesId);
    const chunks = await this.#addBlockRefs(tenant, await this.#index.chunksFor(tenant, ids, start, end), blocks, ids, start, end);
    return { series: series.filter((s) => chunks.has(s.seriesId)), chunks };
  }

  async #selectFromBlocks(
    tenant: string,
    blocks: readonly BlockMeta[],
    pending: ReadonlyMap<string, ChunkRef[]>,
    matchers: readonly Matcher[],
    start: number,
    end: number,
  ): Promise<{ series: SeriesRef[]; chunks: Map<string, ChunkRef[]> }> {
    const bucket = this.#tenantBucket(tenant);
    const perBlock = await mapLimit(blocks, this.#cfg.fetchConcurrency, (m) => this.#blocks.select(bucket, tenant, m, matchers, start, end));
    if (perBlock.length === 1 && pending.size === 0) return oneBlock(blocks[0]!.id, perBlock[0]!);
    const labels = new Map<string, Labels>();
    const chunks = new Map<string, ChunkRef[]>();
    perBlock.forEach((selected, i) => {
      const blockId = blocks[i]!.id;
      for (const s of selected) {
        if (!labels.has(s.seriesId)) labels.set(s.seriesId, s.labels);
        for (const e of s.entries) pushTo(chunks, s.seriesId, blockChunkRef(blockId, e));
      }
    });
    // Flushed chunks of series no block selected: their labels decide.
    const unknown = [...pending.keys()].filter((id) => !labels.has(id));
    if (unknown.length > 0) {
      for (const [id, ls] of await this.#index.seriesLabels(tenant, unknown, start, end)) {
        if (matchesAll(matchers, ls)) labels.set(id, ls);
      }
    }
    for (const [id, refs] of pending) if (labels.has(id)) for (const r of refs) pushTo(chunks, id, r);
    for (const list of chunks.values()) list.sort(compareChunkRefs);
    const series: SeriesRef[] = [];
    for (const [seriesId, ls] of labels) if (chunks.has(seriesId)) series.push({ seriesId, labels: ls });
    return { series: sortByLabels(series), chunks };
  }

  /** Only the chunks in blocks (compacted), per series, sorted like chunkRefs(). */
  async blockRefs(tenant: string, seriesIds: readonly string[], start: number, end: number): Promise<Map<string, ChunkRef[]>> {
    assertValidTenantId(tenant);
    return this.#addBlockRefs(tenant, new Map(), await this.#index.blocksFor(tenant, start, end), seriesIds, start, end);
  }

  async #addBlockRefs(tenant: string, rows: Map<string, ChunkRef[]>, blocks: readonly BlockMeta[], seriesIds: readonly string[], start: number, end: number): Promise<Map<string, ChunkRef[]>> {
    if (blocks.length === 0 || seriesIds.length === 0) return rows;
    // One hex conversion for all of them, then views. Each ID is searched on its own (no sorting needed).
    const all = Buffer.from(seriesIds.join(''), 'hex');
    if (all.length !== seriesIds.length * 16) throw new TypeError('Invalid series ID among the requested ones');
    const wanted = seriesIds.map((_, i) => all.subarray(i * 16, i * 16 + 16));
    const bucket = this.#tenantBucket(tenant);
    const perBlock = await mapLimit(blocks, this.#cfg.fetchConcurrency, (m) => this.#blocks.entries(bucket, tenant, m, wanted, start, end, seriesIds));
    const touched = new Set<ChunkRef[]>();
    perBlock.forEach((entries, i) => {
      const blockId = blocks[i]!.id;
      for (const e of entries) touched.add(pushTo(rows, e.seriesId, blockChunkRef(blockId, e)));
    });
    for (const list of touched) list.sort(compareChunkRefs);
    return rows;
  }

  /**
   * Chunk bytes for each ref, in order. Throws STORE_CHUNK_MISSING when an indexed object is gone,
   * unless `skipCovered`: then a missing chunk whose time range another fetched chunk of the same
   * series covers is left out of the answer (see withoutCoveredMissing); `alsoCovering` names
   * more chunks that count as covering (the compactor's blocks, which it does not fetch).
   * `cache: false` (compaction: chunks about to be replaced) neither reads nor fills the chunk cache.
   */
  async getChunks(
    tenant: string,
    refs: readonly ChunkRef[],
    signal?: AbortSignal,
    opts: { cache?: boolean; skipCovered?: boolean; alsoCovering?: (missing: readonly ChunkRef[]) => Promise<readonly ChunkRef[]> } = {},
  ): Promise<FetchedChunk[]> {
    const useCache = opts.cache ?? true;
    assertValidTenantId(tenant);
    const bucket = this.#tenantBucket(tenant);
    const out: FetchedChunk[] = new Array(refs.length);
    const misses: number[] = [];
    // Cached chunks synchronously: a promise per chunk costs more than the lookup itself.
    for (let i = 0; i < refs.length; i++) {
      const cached = useCache ? this.#cache.get(cacheKeyOf(tenant, refs[i]!)) : undefined;
      if (cached !== undefined) out[i] = { ref: refs[i]!, bytes: cached };
      else misses.push(i);
    }
    if (misses.length === 0) return out;
    const inBlocks = misses.filter((i) => refs[i]!.block !== undefined);
    if (inBlocks.length > 0) {
      await this.#fetchFromBlocks(tenant, bucket, refs, inBlocks, out, useCache, signal);
      if (inBlocks.length === misses.length) return out;
      const plain = misses.filter((i) => refs[i]!.block === undefined);
      misses.length = 0;
      misses.push(...plain);
    }
    const fetched = await mapLimit(misses, this.#cfg.fetchConcurrency, async (i) => {
      const ref = refs[i]!;
      signal?.throwIfAborted();
      const key = ChunkStore.chunkKey(ref);
      const cacheKey = `${tenant}/${key}`;
      const bytes = await bucket.get(key);
      if (bytes !== undefined && useCache) this.#cache.set(cacheKey, bytes);
      if (bytes === undefined && opts.skipCovered !== true) throw missingChunk(tenant, key);
      return { ref, bytes };
    });
    misses.forEach((i, j) => (out[i] = fetched[j]! as FetchedChunk));
    if (opts.skipCovered !== true) return out;
    const missing = out.filter((f) => f.bytes === undefined).map((f) => f.ref);
    const extra = missing.length > 0 && opts.alsoCovering !== undefined ? await opts.alsoCovering(missing) : [];
    return withoutCoveredMissing(tenant, out as { ref: ChunkRef; bytes: Uint8Array | undefined }[], extra);
  }

  /**
   * Block chunks: per block, in offset order, coalesced into range reads (gaps up to
   * blockRangeGapBytes, reads up to blockRangeMaxBytes). A missing block is always an error:
   * blocks leave the index before their objects go (after the grace period).
   */
  async #fetchFromBlocks(tenant: string, bucket: Bucket, refs: readonly ChunkRef[], which: readonly number[], out: FetchedChunk[], useCache: boolean, signal: AbortSignal | undefined): Promise<void> {
    const byBlock = new Map<string, number[]>();
    for (const i of which) pushTo(byBlock, refs[i]!.block!.id, i);
    const reads: { key: string; from: number; to: number; items: number[] }[] = [];
    for (const [id, items] of byBlock) {
      items.sort((a, b) => refs[a]!.block!.offset - refs[b]!.block!.offset);
      let cur: (typeof reads)[number] | undefined;
      for (const i of items) {
        const from = refs[i]!.block!.offset;
        const to = from + refs[i]!.bytes;
        if (cur !== undefined && from - cur.to <= this.#cfg.blockRangeGapBytes && to - cur.from <= this.#cfg.blockRangeMaxBytes) {
          cur.to = Math.max(cur.to, to);
          cur.items.push(i);
        } else {
          reads.push((cur = { key: blockKey(id), from, to, items: [i] }));
        }
      }
    }
    await mapLimit(reads, this.#cfg.fetchConcurrency, async (r) => {
      signal?.throwIfAborted();
      const bytes = await bucket.getRange(r.key, r.from, r.to - r.from);
      if (bytes === undefined) throw missingBlock(tenant, r.key);
      for (const i of r.items) {
        const ref = refs[i]!;
        const o = ref.block!.offset - r.from;
        if (o + ref.bytes > bytes.length) throw storageError('STORE_CHUNK_CORRUPT', `Block object too short: tenant ${JSON.stringify(tenant)}, key ${JSON.stringify(r.key)}: chunk at ${ref.block!.offset}+${ref.bytes}, object ends at ${r.from + bytes.length}`);
        // A copy (Uint8Array's slice: a Buffer's slice is a view): a view would keep the whole range
        // read alive for as long as the chunk is cached.
        const chunk = useCache ? Uint8Array.prototype.slice.call(bytes, o, o + ref.bytes) : bytes.subarray(o, o + ref.bytes);
        if (useCache) this.#cache.set(cacheKeyOf(tenant, ref), chunk);
        out[i] = { ref, bytes: chunk };
      }
    });
  }

  /** Deletes chunk objects and their index rows (index first, so queries never meet a missing object). */
  async deleteChunks(tenant: string, refs: readonly ChunkRef[]): Promise<void> {
    assertValidTenantId(tenant);
    await this.#index.deleteChunks(tenant, refs);
    const keys = refs.map((ref) => ChunkStore.chunkKey(ref));
    for (const key of keys) {
      this.#recent.delete(`${tenant}/${key}`);
      this.#cache.delete(`${tenant}/${key}`);
    }
    await this.#tenantBucket(tenant).deleteMany(keys);
  }

  /** A Querier over this store for one tenant (query/querier/queryable.ts). */
  querier(tenant: string): Querier {
    assertValidTenantId(tenant);
    return new ChunkStoreQuerier(tenant, this);
  }

  #tenantBucket(tenant: string): TenantBucket {
    let b = this.#tenantBuckets.get(tenant);
    if (b === undefined) {
      if (this.#tenantBuckets.size > 10_000) this.#tenantBuckets.clear();
      this.#tenantBuckets.set(tenant, (b = new TenantBucket(this.#bucket, tenant)));
    }
    return b;
  }
}

/** Pending chunk rows read before selectSeries() gives up on the blocks for the index path (a scan visits ~3 µs a row). */
const PENDING_ROWS_LIMIT = 20_000;
/**
 * Gaps up to this long between blocks, and before the first or after the last, still count as
 * covered: a window's last and the next one's first sample are a scrape interval apart, and PromQL
 * selects 5 minutes (the lookback) before a range's first step. Correctness never depends on it:
 * whatever data lies in a gap is in pending chunk rows, which the block path adds.
 */
const COVERAGE_SLACK_MS = 600_000;

/** Whether the blocks (sorted by minT) span [start, end] with no gap longer than the slack: compacted data. */
function covers(blocks: readonly BlockMeta[], start: number, end: number): boolean {
  if (blocks.length === 0) return false;
  let reached = start - 1;
  for (const b of blocks) {
    if (b.minT > reached + COVERAGE_SLACK_MS) return false;
    if (b.maxT > reached) reached = b.maxT;
    if (reached + COVERAGE_SLACK_MS >= end) return true;
  }
  return reached + COVERAGE_SLACK_MS >= end;
}

/**
 * One block's selection, nothing pending: every series once, chunks already in minT order, and
 * the block's label-order ranks sort the series without comparing labels.
 */
function oneBlock(blockId: string, selected: readonly BlockSeries[]): { series: SeriesRef[]; chunks: Map<string, ChunkRef[]> } {
  const order = Array.from(selected.keys()).sort((a, b) => selected[a]!.rank - selected[b]!.rank);
  const series: SeriesRef[] = new Array(order.length);
  const chunks = new Map<string, ChunkRef[]>();
  order.forEach((i, k) => {
    const s = selected[i]!;
    series[k] = { seriesId: s.seriesId, labels: s.labels };
    chunks.set(s.seriesId, s.entries.map((e) => blockChunkRef(blockId, e)));
  });
  return { series, chunks };
}

function blockChunkRef(blockId: string, e: BlockEntry): ChunkRef {
  return {
    seriesId: e.seriesId,
    id: `${blockId}+${e.offset}${ID_SUFFIX[e.encoding]}`,
    minT: e.minT,
    maxT: e.maxT,
    samples: 0,
    bytes: e.length,
    block: { id: blockId, offset: e.offset, encoding: e.encoding },
  };
}

function cacheKeyOf(tenant: string, ref: ChunkRef): string {
  return ref.block === undefined ? `${tenant}/${ChunkStore.chunkKey(ref)}` : `${tenant}/${blockKey(ref.block.id)}@${ref.block.offset}`;
}

function missingChunk(tenant: string, key: string): Error {
  return storageError('STORE_CHUNK_MISSING', `Chunk object missing: tenant ${JSON.stringify(tenant)}, key ${JSON.stringify(key)}`);
}

/**
 * Leaves out missing chunks whose samples another present chunk of the same series covers
 * (minT..maxT inside it); throws STORE_CHUNK_MISSING for any other missing chunk.
 * Why: the compactor deletes a replaced object after checking the index, and an ingester
 * that re-flushes those exact bytes at that moment can index the key again just before the
 * object goes. The samples are safe in the compacted chunk that replaced it, so a query must
 * not fail for it (and the compactor drops the dangling row on its next pass).
 */
export function withoutCoveredMissing(tenant: string, fetched: readonly { ref: ChunkRef; bytes: Uint8Array | undefined }[], alsoCovering: readonly ChunkRef[] = []): FetchedChunk[] {
  const present: FetchedChunk[] = [];
  const missing: ChunkRef[] = [];
  for (const f of fetched) {
    if (f.bytes === undefined) missing.push(f.ref);
    else present.push(f as FetchedChunk);
  }
  if (missing.length === 0) return present;
  const bySeries = new Map<string, ChunkRef[]>();
  for (const ref of [...present.map((f) => f.ref), ...alsoCovering]) pushTo(bySeries, ref.seriesId, ref);
  for (const m of missing) {
    const covered = (bySeries.get(m.seriesId) ?? []).some((r) => r.minT <= m.minT && r.maxT >= m.maxT);
    if (!covered) throw missingChunk(tenant, ChunkStore.chunkKey(m));
  }
  return present;
}
