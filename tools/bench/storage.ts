/**
 * Long-term storage benchmark (in-process: Ingester → Flusher → ChunkStore → Compactor,
 * local bucket + the embedded index in a temp dir). Ingests `--series` series ×
 * `--samples` samples at 15 s (default 100,000 × 240 = one hour), times a 1-hour range
 * query over `--query-series` series from memory, flushes everything, drops it from
 * memory, compacts once the 2 h window has closed (the clock is moved there), times the same
 * query from the store, and prints ONE JSON line:
 *   bytesPerSample      object bytes in the bucket after compaction / samples
 *   objectsWritten      bucket puts during flush + compaction (chunks and markers)
 *   storeRequestsPerMillionSamples  bucket calls (put/get/head/exists/delete/list) per 1e6 samples
 *   indexRowsWrittenPerMillionSamples, indexReadsPerMillionSamples
 *   queryMemoryMs / queryStoreColdMs / queryStoreMs  the same 1 h select: from the head (median of 5
 *                       after a warm-up); from the store through a freshly opened index and chunk store
 *                       (index read cache, block directory and chunk caches empty, code warm; median
 *                       of 3, each with a new index and store; the OS page cache stays warm);
 *                       from the store again, warm (median of 5)
 *   queryStoreFirstMs   the first store query of the process (another shard, same size): cold caches
 *                       and nothing of the read path compiled yet
 *   queryResultsMatch   the store's answer is bit-identical to memory's
 * Flags: --series N --samples N --query-series N --fsync (bucket fsync; off by default to keep the run short)
 * --index rocksdb|leveldb|memory (default: the embedded default of this Node version).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelsFromObject, labelsKey, type Labels } from '../../query/model/labels.ts';
import { newMatcher } from '../../query/model/matchers.ts';
import type { SeriesSamples } from '../../query/model/samples.ts';
import { FakeClock } from '../../node/core/clock.ts';
import { Ingester, type PushSeries } from '../../node/ingester/ingester.ts';
import type { Bucket, BucketSupports, ObjectInfo, PutOptions } from '../../node/store/bucket.ts';
import { ChunkStore } from '../../node/store/chunk-store.ts';
import { LocalBucket } from '../../node/store/local-bucket.ts';
import { createChunkIndex } from '../../node/store/store-factory.ts';
import { defaultStoreConfig } from '../../node/store/config.ts';
import { Flusher } from '../../node/flush/flusher.ts';
import { Compactor } from '../../node/compactor/compactor.ts';
import { VALUE_MIX, valueGenerator as makeValueGen } from '../../node/chunk/value-mix.ts';

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

const SERIES = flag('series', 100_000);
const SAMPLES = flag('samples', 240);
const QUERY_SERIES = Math.min(SERIES, flag('query-series', 10_000));
const FSYNC = process.argv.includes('--fsync');
/** Series are spread over this many shards; the query selects shard 0. */
const SHARDS = Math.max(1, Math.round(SERIES / QUERY_SERIES));
const STEP = 15_000;
/** Timed runs of each warm query; the median is reported. */
const RUNS = 5;
/** Cold runs (each through a freshly opened index and chunk store); the median is reported. */
const COLD_RUNS = 3;
const PER_PUSH = 8; // samples per series per push (a remote-write batch)
const SERIES_PER_PUSH = 5_000;
const TENANT = 'bench';
const WINDOW = 7_200_000;
/** The hour starts on a 2 h window boundary, like most of a real day's hours do not: the worst case is a split window. */
const START = 1_750_003_200_000 - (1_750_003_200_000 % WINDOW);

/** Counts every bucket call. */
class CountingBucket implements Bucket {
  /** deleteMany counts one request per 1,000 keys, as S3's DeleteObjects would take them. */
  readonly calls = { put: 0, get: 0, getRange: 0, head: 0, exists: 0, delete: 0, deleteMany: 0, list: 0 };
  bytesPut = 0;
  #inner: Bucket;
  constructor(inner: Bucket) {
    this.#inner = inner;
  }
  get supports(): BucketSupports {
    return this.#inner.supports;
  }
  put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<void> {
    this.calls.put++;
    this.bytesPut += bytes.length;
    return this.#inner.put(key, bytes, options);
  }
  get(key: string): Promise<Uint8Array | undefined> {
    this.calls.get++;
    return this.#inner.get(key);
  }
  getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    this.calls.getRange++;
    return this.#inner.getRange(key, offset, length);
  }
  head(key: string): Promise<ObjectInfo | undefined> {
    this.calls.head++;
    return this.#inner.head(key);
  }
  exists(key: string): Promise<boolean> {
    this.calls.exists++;
    return this.#inner.exists(key);
  }
  delete(key: string): Promise<void> {
    this.calls.delete++;
    return this.#inner.delete(key);
  }
  deleteMany(keys: readonly string[]): Promise<void> {
    this.calls.deleteMany += Math.ceil(keys.length / 1000);
    return this.#inner.deleteMany(keys);
  }
  list(prefix: string): AsyncIterable<string> {
    this.calls.list++;
    return this.#inner.list(prefix);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
  total(): number {
    let n = 0;
    for (const v of Object.values(this.calls)) n += v;
    return n;
  }
}


function labelsOf(i: number): Labels {
  return labelsFromObject({
    __name__: `bench_metric_${i % 50}`,
    instance: `host-${Math.floor(i / 50)}:9100`,
    job: 'node',
    // Blocks of 20 consecutive series per shard, so a shard holds every kind of VALUE_MIX.
    shard: String(Math.floor(i / 20) % SHARDS),
  });
}

/**
 * A full GC before each timed query (node --expose-gc, as `npm run bench:storage` runs it):
 * the heap left by ingesting and flushing 24M samples otherwise lands a 100-400 ms collection
 * inside a random run, whichever path it times.
 */
const collect = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]!);
}

/** Same series with bit-identical timestamps and values (NaN payloads included). */
function sameSamples(a: SeriesSamples[], b: SeriesSamples[]): boolean {
  if (a.length !== b.length) return false;
  const byKey = new Map(b.map((s) => [labelsKey(s.labels), s]));
  const bytes = (x: Float64Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  return a.every((s) => {
    const o = byKey.get(labelsKey(s.labels));
    return o !== undefined && bytes(s.timestamps).equals(bytes(o.timestamps)) && bytes(s.values).equals(bytes(o.values));
  });
}

function countSamples(sel: SeriesSamples[]): number {
  let n = 0;
  for (const s of sel) n += s.timestamps.length;
  return n;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'frank-bench-storage-'));
  const clock = new FakeClock(START + SAMPLES * STEP);
  const bucket = new CountingBucket(new LocalBucket({ dir: join(dir, 'bucket'), fsync: FSYNC }));
  const storeCfg = defaultStoreConfig(dir);
  const backend = process.argv.indexOf('--index');
  if (backend > 0) storeCfg.index.backend = process.argv[backend + 1] as typeof storeCfg.index.backend;
  const index = createChunkIndex(storeCfg.index, { clock });
  await index.start();
  const store = new ChunkStore(storeCfg.chunks, { bucket, index, clock });
  const ingester = new Ingester({ dataDir: join(dir, 'wal'), clock, checkpointIntervalMs: 0, checkpointRecords: 0, checkpointBytes: 0, checkpointOnStop: false, gcIntervalMs: 0 });
  await ingester.start();
  const flusher = new Flusher({ checkPeriodMs: 86_400_000 }, { ingester, store, clock });
  await flusher.start();
  const compactor = new Compactor({ gracePeriodMs: 0, intervalMs: 86_400_000 }, { store, bucket, clock });
  let closeIndex2 = async (): Promise<void> => {};
  const out: Record<string, unknown> = { gcBeforeEachQuery: (globalThis as { gc?: unknown }).gc !== undefined, valueMix: VALUE_MIX, series: SERIES, samplesPerSeries: SAMPLES, querySeries: QUERY_SERIES, bucketFsync: FSYNC, index: storeCfg.index.backend };
  try {
    // 1. ingest
    const labels = Array.from({ length: SERIES }, (_, i) => labelsOf(i));
    const gens = Array.from({ length: SERIES }, (_, i) => makeValueGen(i));
    let t0 = performance.now();
    for (let from = 0; from < SAMPLES; from += PER_PUSH) {
      const n = Math.min(PER_PUSH, SAMPLES - from);
      const ts = Array.from({ length: n }, (_, k) => START + (from + k) * STEP);
      for (let s0 = 0; s0 < SERIES; s0 += SERIES_PER_PUSH) {
        const batch: PushSeries[] = [];
        for (let i = s0; i < Math.min(SERIES, s0 + SERIES_PER_PUSH); i++) {
          const g = gens[i]!;
          const vs = new Float64Array(n);
          for (let k = 0; k < n; k++) vs[k] = g();
          batch.push({ labels: labels[i]!, timestamps: ts, values: vs });
        }
        await ingester.push(TENANT, batch);
      }
    }
    const samples = SERIES * SAMPLES;
    out.ingestSeconds = +((performance.now() - t0) / 1000).toFixed(1);
    out.ingestSamplesPerSec = Math.round(samples / ((performance.now() - t0) / 1000));

    // 2. the query from memory
    const matchers = [newMatcher('=', 'shard', '0')];
    const range = { start: START, end: START + SAMPLES * STEP - 1 };
    await ingester.querier(TENANT).select(matchers, range); // warm-up
    const memRuns: number[] = [];
    let mem: SeriesSamples[] = [];
    for (let r = 0; r < RUNS; r++) {
      collect();
      t0 = performance.now();
      mem = await ingester.querier(TENANT).select(matchers, range);
      memRuns.push(performance.now() - t0);
    }
    out.queryMemoryMs = median(memRuns);
    const memSamples = countSamples(mem);

    // 3. flush, drop from memory
    t0 = performance.now();
    const before = bucket.total();
    const putsBefore = bucket.calls.put;
    const flushed = await flusher.flushAll();
    await flusher.dropAllFlushed();
    out.flushSeconds = +((performance.now() - t0) / 1000).toFixed(1);
    out.chunksFlushed = flushed.chunks;
    out.seriesLeftInMemory = ingester.stats().series;

    // 4. compact (grace 0: the second run deletes what the first replaced), once the
    // window has closed, as in production (compactor.compactAfterMs after its end)
    const compactAt = START - (START % WINDOW) + WINDOW + compactor.config.compactAfterMs;
    if (clock.now() < compactAt) clock.tick(compactAt - clock.now());
    t0 = performance.now();
    const c1 = await compactor.runOnce();
    clock.tick(1);
    const c2 = await compactor.runOnce();
    out.compactSeconds = +((performance.now() - t0) / 1000).toFixed(1);
    out.chunksBeforeCompaction = c1.chunksIn;
    out.chunksAfterCompaction = c1.chunksOut;
    out.blocksWritten = c1.blocksWritten;
    out.objectsDeleted = c1.objectsDeleted + c2.objectsDeleted;
    out.objectsWritten = bucket.calls.put - putsBefore;
    const requests = bucket.total() - before;
    out.storeRequestsPerMillionSamples = Math.round(requests / (samples / 1e6));
    out.storeRequests = { ...bucket.calls };
    const istats = (index as unknown as { stats?: { rowsWritten: number; reads: number } }).stats;
    if (istats) {
      out.indexRowsWrittenPerMillionSamples = Math.round(istats.rowsWritten / (samples / 1e6));
      out.indexReadsPerMillionSamples = Math.round(istats.reads / (samples / 1e6));
    }

    // 5. bytes per sample in the object store
    let bytes = 0;
    let objects = 0;
    // Flushed chunk objects left (none once compacted) and block objects.
    for await (const key of bucket.list(`${TENANT}/`)) {
      bytes += (await bucket.head(key))!.size;
      objects++;
    }
    out.objectsInStore = objects;
    out.bytesPerSample = +(bytes / samples).toFixed(3);

    // 6. the same query from the store. First through a freshly opened index and chunk store
    // in this process (nothing of the store's read path compiled yet); then, after that
    // querier is closed, once more through another fresh index and store: a restarted
    // querier's caches (index read cache, block directories, chunks) are empty, but the code
    // is warm, as it is in a long-running querier (the memory figure is warm too).
    await index.stop();
    /** One select through a freshly opened index and chunk store, timed; `keep` leaves them open. */
    const fresh = async (ms: typeof matchers, keep = false): Promise<{ ms: number; store: ChunkStore }> => {
      const idx = createChunkIndex(storeCfg.index, { clock });
      await idx.start();
      try {
        const store = new ChunkStore(storeCfg.chunks, { bucket, index: idx, clock });
        collect();
        const t = performance.now();
        await store.querier(TENANT).select(ms, range);
        return { ms: performance.now() - t, store };
      } finally {
        if (keep) closeIndex2 = () => idx.stop();
        else await idx.stop();
      }
    };
    // Another shard: the same amount of work, none of it shared with the timed cold queries below.
    out.queryStoreFirstMs = Math.round((await fresh([newMatcher('=', 'shard', SHARDS > 1 ? '1' : '0')])).ms);
    const coldRuns: number[] = [];
    for (let r = 0; r < COLD_RUNS - 1; r++) coldRuns.push((await fresh(matchers)).ms);
    // The last cold run's store serves the warm runs.
    const last = await fresh(matchers, true);
    coldRuns.push(last.ms);
    const store2 = last.store;
    const sq = store2.querier(TENANT);
    out.queryStoreColdMs = median(coldRuns);
    out.queryStoreColdRunsMs = coldRuns.map((x) => Math.round(x));
    // warm: index reads and chunks from the in-process caches
    const storeRuns: number[] = [];
    let fromStore: SeriesSamples[] = [];
    for (let r = 0; r < RUNS; r++) {
      collect();
      t0 = performance.now();
      fromStore = await sq.select(matchers, range);
      storeRuns.push(performance.now() - t0);
    }
    out.queryStoreMs = median(storeRuns);
    out.chunkCache = store2.cacheStats();
    out.indexReadCache = (store2.index as { readCacheStats?: () => unknown }).readCacheStats?.();
    out.querySamples = memSamples;
    out.queryResultsMatch = sameSamples(mem, fromStore);
    out.storeFirstToMemoryRatio = +((out.queryStoreFirstMs as number) / Math.max(1, out.queryMemoryMs as number)).toFixed(1);
    out.storeColdToMemoryRatio = +((out.queryStoreColdMs as number) / Math.max(1, out.queryMemoryMs as number)).toFixed(1);
    out.storeToMemoryRatio = +((out.queryStoreMs as number) / Math.max(1, out.queryMemoryMs as number)).toFixed(1);
  } finally {
    await flusher.stop();
    await ingester.stop();
    if (index.state === 'running') await index.stop();
    await closeIndex2();
    await bucket.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
