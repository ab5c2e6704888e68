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
import type { ChunkIndex, ChunkRef, IndexEntry } from './chunk-index.ts';
import { hasStoreCode, storageError } from './errors.ts';
import { mapLimit } from './map-limit.ts';
import { RecentCache } from './recent-cache.ts';
import { seriesIdFor } from './series-id.ts';
import { TenantBucket } from './tenant-bucket.ts';
import { assertValidTenantId } from './tenant-id.ts';
import { ChunkStoreQuerier } from './chunk-querier.ts';
import { ChunkCache } from './chunk-cache.ts';
import { chunkSampleCount, type ChunkEncoding } from '../chunk/encoding.ts';

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
}

export function defaultChunkStoreConfig(): ChunkStoreConfig {
  return { uploadConcurrency: 16, fetchConcurrency: 32, recentChunksSize: 100_000, recentChunksTtlMs: 900_000, cacheBytes: 128 * 1024 * 1024 };
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

/** The encoding of a stored chunk, from its ID. */
export function chunkEncodingOf(ref: Pick<ChunkRef, 'id'>): ChunkEncoding {
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
  #tenantBuckets = new Map<string, TenantBucket>();

  constructor(config: Partial<ChunkStoreConfig>, deps: { bucket: Bucket; index: ChunkIndex; clock?: Clock }) {
    this.#cfg = { ...defaultChunkStoreConfig(), ...config };
    this.#bucket = deps.bucket;
    this.#index = deps.index;
    this.#cache = new ChunkCache(this.#cfg.cacheBytes);
    this.#recent = new RecentCache({ maxEntries: this.#cfg.recentChunksSize, ttlMs: this.#cfg.recentChunksTtlMs, clock: deps.clock ?? new SystemClock() });
  }

  /** Chunk cache counters (hits, misses, bytes held). */
  cacheStats(): { hits: number; misses: number; bytes: number } {
    return { hits: this.#cache.hits, misses: this.#cache.misses, bytes: this.#cache.bytes };
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
   * Chunk bytes for each ref, in order. Throws STORE_CHUNK_MISSING when an indexed object is gone,
   * unless `skipCovered`: then a missing chunk whose time range another fetched chunk of the same
   * series covers is left out of the answer (see withoutCoveredMissing). `cache: false`
   * (compaction: chunks about to be replaced) neither reads nor fills the chunk cache.
   */
  async getChunks(tenant: string, refs: readonly ChunkRef[], signal?: AbortSignal, opts: { cache?: boolean; skipCovered?: boolean } = {}): Promise<FetchedChunk[]> {
    const useCache = opts.cache ?? true;
    assertValidTenantId(tenant);
    const bucket = this.#tenantBucket(tenant);
    const out: FetchedChunk[] = new Array(refs.length);
    const misses: number[] = [];
    // Cached chunks synchronously: a promise per chunk costs more than the lookup itself.
    for (let i = 0; i < refs.length; i++) {
      const cached = useCache ? this.#cache.get(`${tenant}/${ChunkStore.chunkKey(refs[i]!)}`) : undefined;
      if (cached !== undefined) out[i] = { ref: refs[i]!, bytes: cached };
      else misses.push(i);
    }
    if (misses.length === 0) return out;
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
    return withoutCoveredMissing(tenant, out as { ref: ChunkRef; bytes: Uint8Array | undefined }[]);
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
export function withoutCoveredMissing(tenant: string, fetched: readonly { ref: ChunkRef; bytes: Uint8Array | undefined }[]): FetchedChunk[] {
  const present: FetchedChunk[] = [];
  const missing: ChunkRef[] = [];
  for (const f of fetched) {
    if (f.bytes === undefined) missing.push(f.ref);
    else present.push(f as FetchedChunk);
  }
  if (missing.length === 0) return present;
  const bySeries = new Map<string, ChunkRef[]>();
  for (const f of present) {
    const l = bySeries.get(f.ref.seriesId);
    if (l === undefined) bySeries.set(f.ref.seriesId, [f.ref]);
    else l.push(f.ref);
  }
  for (const m of missing) {
    const covered = (bySeries.get(m.seriesId) ?? []).some((r) => r.minT <= m.minT && r.maxT >= m.maxT);
    if (!covered) throw missingChunk(tenant, ChunkStore.chunkKey(m));
  }
  return present;
}
