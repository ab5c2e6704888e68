/**
 * ChunkIndex over any RowStore, using the bucketed schema of index-schema.ts
 * (see FORMAT.md for the rows and the cost of each query shape).
 *
 * Series selection, per time bucket:
 *  1. `__name__="x"`: one query of the metric's rows, which carry the labels;
 *  2. else a `__name__` matcher that rejects "": the bucket's metric names, filtered,
 *     then one metric query per matching name;
 *  3. else equality matchers with non-empty values: one posting query each, intersected;
 *  4. else another matcher that rejects "": the label's values, filtered, then postings;
 *  5. else (every matcher accepts ""): all series of the bucket.
 * Labels of posting hits come from point reads of the series rows. Every matcher
 * is then applied to the labels, so the steps above only need to over-select.
 */
import { Service } from '../core/service.ts';
import { SystemClock, type Clock } from '../core/clock.ts';
import { getLabel, METRIC_NAME, sortByLabels, type Labels } from '../../query/model/labels.ts';
import { matches, matchesAll, matchesEmpty, type Matcher } from '../../query/model/matchers.ts';
import { compareChunkRefs, type ChunkIndex, type ChunkRef, type IndexEntry, type SeriesRef } from './chunk-index.ts';
import type { IndexRow, RowKey, RowStore } from './row-store.ts';
import { rowKeyString } from './row-store.ts';
import {
  TENANTS_HASH,
  bucketsBetween,
  blockRange,
  chunkRange,
  decodeChunkMeta,
  decodeI64,
  decodeLabels,
  decodeString,
  encodeChunkMeta,
  encodeI64,
  encodeString,
  hashKeys,
  postingPrefix,
  seriesRows,
} from './index-schema.ts';
import { isValidSeriesId, SERIES_ID_BYTES, seriesIdFor, seriesIdFromBytes, seriesIdToBytes } from './series-id.ts';
import { assertValidTenantId } from './tenant-id.ts';
import { RecentCache } from './recent-cache.ts';
import { CachedRowStore, type CachedRowStoreStats } from './cached-row-store.ts';
import { mapLimit } from './map-limit.ts';
import { storageError } from './errors.ts';
import { blockMetaFrom, decodeBlockMeta, encodeBlockMeta, type BlockMeta } from './block-format.ts';

const CHUNK_ID_RE = /^[A-Za-z0-9._~-]{1,200}$/;

/** deleteChunks() of this many refs or more compacts the buckets' chunk-row ranges (LSM stores). */
const COMPACT_AFTER_DELETES = 1000;
/** chunksFor() scans a bucket's chunk rows instead of querying per series from this many series on... */
const SCAN_MIN_SERIES = 64;
/** ...and gives the scan up past this many rows per requested series (a small part of a big tenant). */
const SCAN_ROWS_PER_SERIES = 64;

export interface SchemaIndexConfig {
  /** Width of a time bucket in ms; fixed for the life of the data (it is part of every key). @default 86_400_000 (24 h) */
  bucketPeriodMs: number;
  /** Row keys remembered as recently written, to skip rewriting them (replicas, repeated flushes). @default 1_000_000 */
  writeCacheSize: number;
  /** How long a written row is remembered, in ms. @default 900_000 (15 min) */
  writeCacheTtlMs: number;
  /** Store queries in flight at once for one index call. @default 16 */
  queryConcurrency: number;
  /**
   * Bytes of index reads cached in memory, for stores only this process writes
   * (RocksDB, LevelDB), where invalidation on write is exact; 0 disables. Shared
   * stores (DynamoDB) are never cached. @default 67108864 (64 MiB)
   */
  readCacheBytes: number;
}

export function defaultSchemaIndexConfig(): SchemaIndexConfig {
  return { bucketPeriodMs: 86_400_000, writeCacheSize: 1_000_000, writeCacheTtlMs: 900_000, queryConcurrency: 16, readCacheBytes: 64 * 1024 * 1024 };
}

export interface IndexStats {
  /** Rows sent to the store. */
  rowsWritten: number;
  /** Rows not sent because this process wrote them recently or twice in one call. */
  rowsDeduplicated: number;
  /** Store queries and point-read batches issued. */
  reads: number;
}

/** Chunk rows (of a scan of `t:b:C:` hash keys, `prefixLength` chars) overlapping [start, end], into `out`. */
function addChunkRows(out: Map<string, Map<string, ChunkRef>>, rows: readonly IndexRow[], prefixLength: number, start: number, end: number): void {
  for (const r of rows) {
    // Range keys start with maxT: chunks ending before the range are skipped here.
    if (decodeI64(r.range) < start) continue;
    addChunkRow(out, r.hash.slice(prefixLength), r, end);
  }
}

function addChunkRow(out: Map<string, Map<string, ChunkRef>>, seriesId: string, r: IndexRow, end: number): void {
  const meta = decodeChunkMeta(r.value!);
  if (meta.minT > end) return;
  // Chunk IDs are ASCII (digits, '-', hex, '.'): latin1 decodes them without TextDecoder's overhead.
  const id = Buffer.from(r.range.buffer, r.range.byteOffset + 8, r.range.byteLength - 8).toString('latin1');
  let m = out.get(seriesId);
  if (m === undefined) out.set(seriesId, (m = new Map()));
  m.set(id, { seriesId, id, minT: meta.minT, maxT: meta.maxT, samples: meta.samples, bytes: meta.bytes });
}

/** Each series' chunks sorted by minT, then ID. */
function sortedChunkRefs(out: Map<string, Map<string, ChunkRef>>): Map<string, ChunkRef[]> {
  const sorted = new Map<string, ChunkRef[]>();
  for (const [id, m] of out) sorted.set(id, [...m.values()].sort(compareChunkRefs));
  return sorted;
}

export class SchemaChunkIndex extends Service implements ChunkIndex {
  #store: RowStore;
  #cfg: SchemaIndexConfig;
  #written: RecentCache;
  readonly stats: IndexStats = { rowsWritten: 0, rowsDeduplicated: 0, reads: 0 };
  /**
   * Decoded row values by value object. Rows served again from the read cache are the same
   * objects, so a repeated query skips parsing labels and postings; the entries go with the
   * rows. Callers must treat the returned labels as immutable (they do).
   */
  #decodedLabels = new WeakMap<Uint8Array, Labels>();
  #decodedPostings = new WeakMap<Uint8Array, string>();

  constructor(name: string, store: RowStore, config: Partial<SchemaIndexConfig> = {}, deps: { clock?: Clock } = {}) {
    super(name);
    this.#cfg = { ...defaultSchemaIndexConfig(), ...config };
    this.#store = store.exclusive === true && this.#cfg.readCacheBytes > 0 ? new CachedRowStore(store, this.#cfg.readCacheBytes) : store;
    if (!(Number.isSafeInteger(this.#cfg.bucketPeriodMs) && this.#cfg.bucketPeriodMs > 0)) {
      throw new RangeError(`Invalid index bucket period: ${this.#cfg.bucketPeriodMs} ms`);
    }
    this.#written = new RecentCache({ maxEntries: this.#cfg.writeCacheSize, ttlMs: this.#cfg.writeCacheTtlMs, clock: deps.clock ?? new SystemClock() });
  }

  /** Read cache counters, or undefined when reads are not cached (shared stores, readCacheBytes 0). */
  readCacheStats(): CachedRowStoreStats | undefined {
    return this.#store instanceof CachedRowStore ? { ...this.#store.stats } : undefined;
  }

  get bucketPeriodMs(): number {
    return this.#cfg.bucketPeriodMs;
  }

  protected async starting(): Promise<void> {
    await this.#store.open();
  }

  protected async stopping(): Promise<void> {
    await this.#store.close();
  }

  async writeEntries(tenant: string, entries: readonly IndexEntry[], opts: { chunksOnly?: boolean } = {}): Promise<void> {
    this.#check(tenant);
    const rows: IndexRow[] = [];
    const keys: string[] = [];
    const inCall = new Set<string>();
    const add = (row: IndexRow, key = rowKeyString(row)) => {
      if (inCall.has(key) || this.#written.has(key)) {
        this.stats.rowsDeduplicated++;
        return;
      }
      inCall.add(key);
      rows.push(row);
      keys.push(key);
    };
    for (const e of entries) {
      const { chunk } = e;
      if (!(Number.isSafeInteger(chunk.minT) && Number.isSafeInteger(chunk.maxT) && chunk.minT <= chunk.maxT)) {
        throw new RangeError(`Invalid chunk time range: [${chunk.minT}, ${chunk.maxT}] for chunk ${JSON.stringify(chunk.id)}`);
      }
      // Chunk IDs name objects (a key segment) and are read back as latin1: plain ASCII only.
      if (!CHUNK_ID_RE.test(chunk.id)) throw new TypeError(`Invalid chunk ID: ${JSON.stringify(chunk.id)}: want 1-200 characters of A-Z a-z 0-9 . _ ~ -`);
      const seriesId = e.seriesId ?? seriesIdFor(tenant, e.labels);
      if (!isValidSeriesId(seriesId)) throw new TypeError(`Invalid series ID: ${JSON.stringify(seriesId)}`);
      const meta = encodeChunkMeta({ minT: chunk.minT, maxT: chunk.maxT, samples: chunk.samples ?? 0, bytes: chunk.bytes ?? 0 });
      // A chunk crossing a bucket boundary is indexed in every bucket it overlaps.
      for (const b of bucketsBetween(chunk.minT, chunk.maxT, this.#cfg.bucketPeriodMs)) {
        const seriesKey = `${tenant}:${b}:series:${seriesId}`;
        if (opts.chunksOnly !== true && !inCall.has(seriesKey) && !this.#written.has(seriesKey)) {
          inCall.add(seriesKey);
          for (const r of seriesRows(tenant, b, seriesId, e.labels)) add(r);
          keys.push(seriesKey);
        }
        add({ hash: hashKeys.chunks(tenant, b, seriesId), range: chunkRange(chunk.maxT, chunk.id), value: meta });
      }
    }
    if (rows.length > 0) await this.#store.write(rows);
    this.stats.rowsWritten += rows.length;
    // Remember only after the write succeeded: a failed write must be retried in full.
    for (const k of keys) this.#written.add(k);
  }

  async lookupSeries(tenant: string, matchers: readonly Matcher[], start: number, end: number): Promise<SeriesRef[]> {
    this.#check(tenant);
    const found = new Map<string, Labels>();
    const perBucket = await mapLimit(await this.#bucketsIn(tenant, start, end), this.#cfg.queryConcurrency, (b) =>
      this.#candidates(tenant, b, matchers),
    );
    for (const m of perBucket) for (const [id, ls] of m) if (!found.has(id)) found.set(id, ls);
    const out: SeriesRef[] = [];
    for (const [seriesId, labels] of found) {
      if (matchesAll(matchers, labels)) out.push({ seriesId, labels });
    }
    return sortByLabels(out);
  }

  async #candidates(tenant: string, b: number, matchers: readonly Matcher[]): Promise<Map<string, Labels>> {
    const nameEq = matchers.find((m) => m.name === METRIC_NAME && m.type === '=' && m.value !== '');
    if (nameEq) return this.#metricSeries(tenant, b, [nameEq.value]);
    const nameSel = matchers.find((m) => m.name === METRIC_NAME && !matchesEmpty(m));
    if (nameSel) {
      const names = (await this.#query(hashKeys.values(tenant, b, METRIC_NAME))).map((r) => decodeString(r.range)).filter((v) => matches(nameSel, v));
      return this.#metricSeries(tenant, b, names);
    }
    const eqs = matchers.filter((m) => m.type === '=' && m.value !== '');
    if (eqs.length > 0) {
      const sets = await Promise.all(eqs.map((m) => this.#postings(tenant, b, m.name, [m.value])));
      sets.sort((x, y) => x.size - y.size);
      const hits = new Map<string, Labels | undefined>();
      for (const [id, ls] of sets[0]!) if (sets.every((s) => s.has(id))) hits.set(id, ls);
      return this.#withLabels(tenant, b, hits);
    }
    const sel = matchers.find((m) => !matchesEmpty(m));
    if (sel) {
      const values = (await this.#query(hashKeys.values(tenant, b, sel.name))).map((r) => decodeString(r.range)).filter((v) => matches(sel, v));
      return this.#withLabels(tenant, b, await this.#postings(tenant, b, sel.name, values));
    }
    const all = new Map<string, Labels>();
    for (const r of await this.#query(hashKeys.series(tenant, b))) all.set(seriesIdFromBytes(r.range), this.#labels(r.value!));
    return all;
  }

  #labels(value: Uint8Array): Labels {
    let ls = this.#decodedLabels.get(value);
    if (ls === undefined) this.#decodedLabels.set(value, (ls = decodeLabels(value)));
    return ls;
  }

  async #metricSeries(tenant: string, b: number, names: readonly string[]): Promise<Map<string, Labels>> {
    const out = new Map<string, Labels>();
    const results = await mapLimit(names, this.#cfg.queryConcurrency, (n) => this.#query(hashKeys.metric(tenant, b, n)));
    for (const rows of results) for (const r of rows) out.set(seriesIdFromBytes(r.range), this.#labels(r.value!));
    return out;
  }

  /** Series IDs with the label value, and their labels where the posting row carries them. */
  async #postings(tenant: string, b: number, name: string, values: readonly string[]): Promise<Map<string, Labels | undefined>> {
    const out = new Map<string, Labels | undefined>();
    const hash = hashKeys.label(tenant, b, name);
    const prefixes = values.map((v) => postingPrefix(v));
    const results = await mapLimit(prefixes, this.#cfg.queryConcurrency, (prefix) => this.#query(hash, { prefix }));
    results.forEach((rows, i) => {
      // The range key is the queried prefix (value, 0x00) plus the 16-byte series ID: any other
      // length is a value that merely starts with this one and a NUL. No text is decoded.
      const exact = prefixes[i]!.length + SERIES_ID_BYTES;
      for (const r of rows) {
        if (r.range.length !== exact) continue;
        let id = this.#decodedPostings.get(r.range);
        if (id === undefined) this.#decodedPostings.set(r.range, (id = seriesIdFromBytes(r.range.subarray(exact - SERIES_ID_BYTES))));
        out.set(id, r.value === undefined ? undefined : this.#labels(r.value));
      }
    });
    return out;
  }

  /** The hits with labels; those whose posting rows carried none (older rows) from point reads of the series rows. */
  async #withLabels(tenant: string, b: number, hits: Map<string, Labels | undefined>): Promise<Map<string, Labels>> {
    const missing: string[] = [];
    for (const [id, ls] of hits) if (ls === undefined) missing.push(id);
    if (missing.length > 0) {
      const hash = hashKeys.series(tenant, b);
      this.stats.reads++;
      const rows = await this.#store.getMany(missing.map((id) => ({ hash, range: seriesIdToBytes(id) })));
      rows.forEach((r, i) => {
        if (r?.value !== undefined) hits.set(missing[i]!, this.#labels(r.value));
        else hits.delete(missing[i]!);
      });
    }
    return hits as Map<string, Labels>;
  }

  async chunksFor(tenant: string, seriesIds: readonly string[], start: number, end: number): Promise<Map<string, ChunkRef[]>> {
    this.#check(tenant);
    const out = new Map<string, Map<string, ChunkRef>>();
    const jobs: { id: string; b: number }[] = [];
    const wanted = seriesIds.length >= SCAN_MIN_SERIES && this.#store.scanHashPrefix ? new Set(seriesIds) : null;
    for (const b of await this.#bucketsIn(tenant, start, end)) {
      // Many series: one scan of the bucket's chunk rows beats one query per series, unless the
      // tenant has far more chunk rows than asked for (the scan gives up past the limit).
      if (wanted !== null) {
        const prefix = hashKeys.chunks(tenant, b, '');
        this.stats.reads++;
        const rows = await this.#store.scanHashPrefix!(prefix, Buffer.byteLength(prefix) + SERIES_ID_BYTES * 2, seriesIds.length * SCAN_ROWS_PER_SERIES, wanted);
        if (rows !== undefined) {
          // The store kept only the wanted series (`only`).
          addChunkRows(out, rows, prefix.length, start, end);
          continue;
        }
      }
      for (const id of seriesIds) jobs.push({ id, b });
    }
    const results = await mapLimit(jobs, this.#cfg.queryConcurrency, ({ id, b }) =>
      // Range keys start with maxT: skip chunks that end before the range.
      this.#query(hashKeys.chunks(tenant, b, id), { gte: encodeI64(Math.max(start, Number.MIN_SAFE_INTEGER)) }),
    );
    results.forEach((rows, i) => {
      for (const r of rows) addChunkRow(out, jobs[i]!.id, r, end);
    });
    return sortedChunkRefs(out);
  }

  async pendingChunks(tenant: string, start: number, end: number, limit: number): Promise<Map<string, ChunkRef[]> | undefined> {
    this.#check(tenant);
    if (this.#store.scanHashPrefix === undefined) return undefined;
    const out = new Map<string, Map<string, ChunkRef>>();
    let budget = limit;
    for (const b of await this.#bucketsIn(tenant, start, end)) {
      const prefix = hashKeys.chunks(tenant, b, '');
      this.stats.reads++;
      const rows = await this.#store.scanHashPrefix(prefix, Buffer.byteLength(prefix) + SERIES_ID_BYTES * 2, budget);
      if (rows === undefined) return undefined;
      budget -= rows.length;
      addChunkRows(out, rows, prefix.length, start, end);
    }
    return sortedChunkRefs(out);
  }

  async seriesLabels(tenant: string, seriesIds: readonly string[], start: number, end: number): Promise<Map<string, Labels>> {
    this.#check(tenant);
    const found = new Map<string, Labels>();
    for (const b of await this.#bucketsIn(tenant, start, end)) {
      const missing = seriesIds.filter((id) => !found.has(id));
      if (missing.length === 0) break;
      const hits = new Map<string, Labels | undefined>(missing.map((id) => [id, undefined]));
      for (const [id, ls] of await this.#withLabels(tenant, b, hits)) found.set(id, ls);
    }
    return found;
  }

  async labelNames(tenant: string, matchers: readonly Matcher[], start: number, end: number): Promise<string[]> {
    this.#check(tenant);
    const names = new Set<string>();
    if (matchers.length === 0) {
      const results = await mapLimit(await this.#bucketsIn(tenant, start, end), this.#cfg.queryConcurrency, (b) => this.#query(hashKeys.names(tenant, b)));
      for (const rows of results) for (const r of rows) names.add(decodeString(r.range));
    } else {
      for (const s of await this.lookupSeries(tenant, matchers, start, end)) for (const l of s.labels) names.add(l.name);
    }
    return [...names].sort();
  }

  async labelValues(tenant: string, name: string, matchers: readonly Matcher[], start: number, end: number): Promise<string[]> {
    this.#check(tenant);
    const values = new Set<string>();
    if (matchers.length === 0) {
      const results = await mapLimit(await this.#bucketsIn(tenant, start, end), this.#cfg.queryConcurrency, (b) => this.#query(hashKeys.values(tenant, b, name)));
      for (const rows of results) for (const r of rows) values.add(decodeString(r.range));
    } else {
      for (const s of await this.lookupSeries(tenant, matchers, start, end)) {
        const v = getLabel(s.labels, name);
        if (v !== '') values.add(v);
      }
    }
    return [...values].sort();
  }

  async writeBlocks(tenant: string, blocks: readonly BlockMeta[]): Promise<void> {
    this.#check(tenant);
    const rows: IndexRow[] = [];
    for (const m of blocks) {
      // A malformed meta is refused before it reaches the store.
      const value = encodeBlockMeta(blockMetaFrom({ ...m }));
      if (m.minT > m.maxT) throw new RangeError(`Invalid block time range: [${m.minT}, ${m.maxT}] for block ${m.id}`);
      for (const b of bucketsBetween(m.minT, m.maxT, this.#cfg.bucketPeriodMs)) {
        rows.push({ hash: hashKeys.blocks(tenant, b), range: blockRange(m.maxT, m.id), value });
        rows.push({ hash: hashKeys.buckets(tenant), range: encodeI64(b) });
      }
      rows.push({ hash: TENANTS_HASH, range: encodeString(tenant) });
    }
    if (rows.length > 0) await this.#store.write(rows);
    this.stats.rowsWritten += rows.length;
  }

  async blocksFor(tenant: string, start: number, end: number): Promise<BlockMeta[]> {
    this.#check(tenant);
    const found = new Map<string, BlockMeta>();
    const gte = encodeI64(Math.max(start, Number.MIN_SAFE_INTEGER));
    const results = await mapLimit(await this.#bucketsIn(tenant, start, end), this.#cfg.queryConcurrency, (b) => this.#query(hashKeys.blocks(tenant, b), { gte }));
    for (const rows of results) {
      for (const r of rows) {
        const m = decodeBlockMeta(r.value!);
        if (m.minT <= end && m.maxT >= start) found.set(m.id, m);
      }
    }
    return [...found.values()].sort((a, b) => a.minT - b.minT || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async deleteBlocks(tenant: string, blocks: readonly BlockMeta[]): Promise<void> {
    this.#check(tenant);
    const keys: RowKey[] = [];
    for (const m of blocks) for (const b of bucketsBetween(m.minT, m.maxT, this.#cfg.bucketPeriodMs)) keys.push({ hash: hashKeys.blocks(tenant, b), range: blockRange(m.maxT, m.id) });
    if (keys.length > 0) await this.#store.delete(keys);
  }

  async deleteChunks(tenant: string, refs: readonly ChunkRef[]): Promise<void> {
    this.#check(tenant);
    const keys: RowKey[] = [];
    for (const ref of refs) {
      for (const b of bucketsBetween(ref.minT, ref.maxT, this.#cfg.bucketPeriodMs)) {
        const k = { hash: hashKeys.chunks(tenant, b, ref.seriesId), range: chunkRange(ref.maxT, ref.id) };
        keys.push(k);
        this.#written.delete(rowKeyString(k));
      }
    }
    if (keys.length === 0) return;
    await this.#store.delete(keys);
    // The compactor empties a window's chunk rows at once: compact their range on LSM stores so
    // scans of the bucket do not wade through the tombstones until background compaction runs.
    if (refs.length >= COMPACT_AFTER_DELETES && this.#store.compactHashPrefix !== undefined) {
      const buckets = new Set<number>();
      for (const ref of refs) for (const b of bucketsBetween(ref.minT, ref.maxT, this.#cfg.bucketPeriodMs)) buckets.add(b);
      for (const b of buckets) await this.#store.compactHashPrefix(hashKeys.chunks(tenant, b, ''), Buffer.byteLength(hashKeys.chunks(tenant, b, refs[0]!.seriesId)));
    }
  }

  async listTenants(): Promise<string[]> {
    this.#check();
    return (await this.#query(TENANTS_HASH)).map((r) => decodeString(r.range));
  }

  async timeBuckets(tenant: string): Promise<{ start: number; end: number }[]> {
    this.#check(tenant);
    const period = this.#cfg.bucketPeriodMs;
    const rows = await this.#query(hashKeys.buckets(tenant));
    return rows.map((r) => decodeI64(r.range)).sort((a, b) => a - b).map((b) => ({ start: b * period, end: (b + 1) * period - 1 }));
  }

  async deleteBefore(tenant: string, ms: number, beforeDelete?: (freed: ChunkRef[], freedBlocks: BlockMeta[]) => Promise<void>): Promise<ChunkRef[]> {
    this.#check(tenant);
    const period = this.#cfg.bucketPeriodMs;
    const bucketRows = await this.#query(hashKeys.buckets(tenant));
    const all = bucketRows.map((r) => decodeI64(r.range));
    const doomed = all.filter((b) => (b + 1) * period <= ms);
    if (doomed.length === 0) return [];
    const lastDoomedEnd = (Math.max(...doomed) + 1) * period;
    const freed = new Map<string, ChunkRef>();
    const freedBlockIds = new Set<string>();
    for (const b of doomed) {
      const keys: RowKey[] = [];
      const freedHere: ChunkRef[] = [];
      const blocksHere: BlockMeta[] = [];
      for (const r of await this.#query(hashKeys.blocks(tenant, b))) {
        const m = decodeBlockMeta(r.value!);
        // A block reaching past the deleted buckets is still indexed in a later one.
        if (m.maxT < lastDoomedEnd && !freedBlockIds.has(m.id)) {
          freedBlockIds.add(m.id);
          blocksHere.push(m);
        }
        keys.push({ hash: r.hash, range: r.range });
      }
      const addAll = (rows: IndexRow[]) => {
        for (const r of rows) keys.push({ hash: r.hash, range: r.range });
      };
      const names = await this.#query(hashKeys.names(tenant, b));
      for (const nr of names) {
        const name = decodeString(nr.range);
        const values = await this.#query(hashKeys.values(tenant, b, name));
        if (name === METRIC_NAME) {
          for (const vr of values) addAll(await this.#query(hashKeys.metric(tenant, b, decodeString(vr.range))));
        } else {
          addAll(await this.#query(hashKeys.label(tenant, b, name)));
        }
        addAll(values);
      }
      addAll(names);
      const series = await this.#query(hashKeys.series(tenant, b));
      for (const sr of series) {
        const seriesId = seriesIdFromBytes(sr.range);
        const chunks = await this.#query(hashKeys.chunks(tenant, b, seriesId));
        for (const cr of chunks) {
          const meta = decodeChunkMeta(cr.value!);
          const id = decodeString(cr.range.subarray(8));
          // A chunk reaching past the deleted buckets is still indexed in a later one.
          const k = `${seriesId}/${id}`;
          if (meta.maxT < lastDoomedEnd && !freed.has(k)) {
            const ref = { seriesId, id, ...meta };
            freed.set(k, ref);
            freedHere.push(ref);
          }
        }
        addAll(chunks);
      }
      addAll(series);
      keys.push({ hash: hashKeys.buckets(tenant), range: encodeI64(b) });
      // The caller records what is freed (deletion markers) before the rows that name it go.
      if (beforeDelete !== undefined && (freedHere.length > 0 || blocksHere.length > 0)) await beforeDelete(freedHere, blocksHere);
      await this.#store.delete(keys);
    }
    if (doomed.length === all.length) await this.#store.delete([{ hash: TENANTS_HASH, range: encodeString(tenant) }]);
    // Forget what this process wrote for the tenant so fresh writes reach the store.
    this.#written.deletePrefix(tenant + ':');
    this.#written.deletePrefix(TENANTS_HASH + '\u0000');
    return [...freed.values()];
  }

  /**
   * Buckets overlapping [start, end]. Short ranges are enumerated; long or unbounded
   * ones (the series API defaults to all time) are intersected with the tenant's
   * bucket list (one query), so the cost follows the data, not the range.
   */
  async #bucketsIn(tenant: string, start: number, end: number): Promise<number[]> {
    if (!(start <= end)) return [];
    const period = this.#cfg.bucketPeriodMs;
    const first = Math.floor(start / period);
    const last = Math.floor(end / period);
    if (last - first < 64) return bucketsBetween(start, end, period);
    const rows = await this.#query(hashKeys.buckets(tenant));
    return rows.map((r) => decodeI64(r.range)).filter((b) => b >= first && b <= last).sort((a, b) => a - b);
  }

  #query(hash: string, condition?: { prefix?: Uint8Array; gte?: Uint8Array }): Promise<IndexRow[]> {
    this.stats.reads++;
    return this.#store.query(hash, condition);
  }

  #check(tenant?: string): void {
    if (this.state !== 'running') throw storageError('STORE_CLOSED', `Chunk index ${JSON.stringify(this.name)} is not running: state is ${this.state}`);
    if (tenant !== undefined) assertValidTenantId(tenant);
  }
}
