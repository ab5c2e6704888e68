/**
 * The chunk index contract: which series exist for a tenant and time range, and
 * which chunks hold their samples. schema-index.ts implements it once over a
 * RowStore; index.conformance.ts checks every backend.
 * All time bounds are inclusive milliseconds.
 */
import type { Labels } from '../../query/model/labels.ts';
import type { Matcher } from '../../query/model/matchers.ts';
import type { BlockMeta } from './block-format.ts';
import type { ChunkEncoding } from '../chunk/encoding.ts';

export interface ChunkRef {
  seriesId: string;
  /** "<minT>-<maxT>-<contentHash>"; the object key is chunks/<seriesId>/<id> under the tenant prefix. */
  id: string;
  minT: number;
  maxT: number;
  /** Samples in the chunk; 0 when the writer did not say. */
  samples: number;
  /** Encoded size in bytes; 0 when the writer did not say. */
  bytes: number;
  /**
   * Set for a chunk inside a block object (block-format.ts): the bytes are at `offset` in
   * blocks/<blockId>, and `id` is "<blockId>+<offset>[.p]" (unique, and it names the encoding).
   */
  block?: { id: string; offset: number; encoding: ChunkEncoding };
}

/** Chunk order within a series: by minT, then ID (deterministic when replicas' chunks start together). */
export function compareChunkRefs(a: ChunkRef, b: ChunkRef): number {
  return a.minT - b.minT || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export interface IndexEntry {
  /** Computed from tenant and labels when absent (series-id.ts). */
  seriesId?: string;
  labels: Labels;
  chunk: { id: string; minT: number; maxT: number; samples?: number; bytes?: number };
}

export interface SeriesRef {
  seriesId: string;
  labels: Labels;
}

export interface ChunkIndex {
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Idempotent: writing the same entries again (another replica) changes nothing.
   * `chunksOnly`: the caller knows every entry's series is already indexed in every
   * time bucket its chunk overlaps (the compactor rewriting chunks it found there), so
   * only the chunk rows are written.
   */
  writeEntries(tenant: string, entries: readonly IndexEntry[], opts?: { chunksOnly?: boolean }): Promise<void>;
  /**
   * Series matching every matcher (Prometheus semantics: a matcher that accepts ""
   * also selects series without the label) with index rows in a time bucket
   * overlapping [start, end], sorted by labels. Bucket granularity: a series may
   * have no chunk inside [start, end] itself; chunksFor() is exact.
   */
  lookupSeries(tenant: string, matchers: readonly Matcher[], start: number, end: number): Promise<SeriesRef[]>;
  /** Chunks overlapping [start, end] per series, sorted by minT then ID; series without any are absent. */
  chunksFor(tenant: string, seriesIds: readonly string[], start: number, end: number): Promise<Map<string, ChunkRef[]>>;
  /** Sorted label names; over all series of the range when matchers is empty. */
  labelNames(tenant: string, matchers: readonly Matcher[], start: number, end: number): Promise<string[]>;
  /** Sorted values of one label; over all series of the range when matchers is empty. */
  labelValues(tenant: string, name: string, matchers: readonly Matcher[], start: number, end: number): Promise<string[]>;
  /**
   * Every flushed chunk (chunk row, not yet in a block) overlapping [start, end], per series, sorted
   * like chunksFor(); undefined when the backend cannot list them in one scan (DynamoDB) or more
   * than `limit` rows would have to be read. Lets a querier take series from blocks and know
   * exactly which flushed chunks (and series) it must add.
   */
  pendingChunks(tenant: string, start: number, end: number, limit: number): Promise<Map<string, ChunkRef[]> | undefined>;
  /** Labels of the series (by ID) indexed in a time bucket overlapping [start, end]; unknown IDs are absent. */
  seriesLabels(tenant: string, seriesIds: readonly string[], start: number, end: number): Promise<Map<string, Labels>>;
  /** Indexes blocks (the compactor's objects) in every time bucket their [minT, maxT] overlaps; idempotent. */
  writeBlocks(tenant: string, blocks: readonly BlockMeta[]): Promise<void>;
  /** Blocks with chunks overlapping [start, end], sorted by minT then ID. */
  blocksFor(tenant: string, start: number, end: number): Promise<BlockMeta[]>;
  /** Removes block rows (objects are the caller's business). */
  deleteBlocks(tenant: string, blocks: readonly BlockMeta[]): Promise<void>;
  /** Removes chunk rows (objects are the caller's business). */
  deleteChunks(tenant: string, refs: readonly ChunkRef[]): Promise<void>;
  /**
   * The index time buckets the tenant has rows in, oldest first, as inclusive
   * [start, end] ms ranges (compaction walks the tenant one bucket at a time).
   */
  timeBuckets(tenant: string): Promise<{ start: number; end: number }[]>;
  /** Every tenant that ever wrote an entry (until deleted by retention). */
  listTenants(): Promise<string[]>;
  /**
   * Retention: drops every time bucket that ends at or before `ms`, and returns the
   * chunks no remaining bucket references (their objects can be deleted). `beforeDelete`
   * is called with each bucket's newly freed chunks and blocks before that bucket's rows are
   * deleted (and stops the deletion by throwing), so the caller can record them first:
   * a crash in between then leaves indexed chunks, never unindexed objects nobody knows of.
   */
  deleteBefore(tenant: string, ms: number, beforeDelete?: (freed: ChunkRef[], freedBlocks: BlockMeta[]) => Promise<void>): Promise<ChunkRef[]>;
}
