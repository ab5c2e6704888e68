import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeXorChunk } from '../chunk/xor.ts';
import { labelsFromObject, formatLabels, compareLabels, type Labels } from '../../query/model/labels.ts';
import { newMatcher } from '../../query/model/matchers.ts';
import { isStaleNaN, staleNaN } from '../../query/model/samples.ts';
import { ChunkStore, type ChunkToWrite } from './chunk-store.ts';
import { MemoryBucket } from './memory-bucket.ts';
import { LocalBucket } from './local-bucket.ts';
import { S3Bucket } from './s3-bucket.ts';
import { RetryingBucket } from './retrying-bucket.ts';
import { FaultyBucket } from './faulty-bucket.ts';
import { listAll, type Bucket } from './bucket.ts';
import { MemoryChunkIndex, RocksDbChunkIndex, LevelDbChunkIndex, DynamoDbChunkIndex } from './index-backends.ts';
import { rocksDbSupported } from './rocksdb-row-store.ts';
import { MemoryRowStore } from './memory-row-store.ts';
import type { SchemaChunkIndex } from './schema-index.ts';
import { hasStoreCode } from './errors.ts';
import { startDynalite, startS3rver, type TestServer } from './test-servers.ts';
import { seriesIdFor } from './series-id.ts';
import { blockKey, type BlockChunk } from './block-format.ts';

const DAY = 86_400_000;
const T0 = 20_000 * DAY + 20 * 3600_000; // 20:00, so the data crosses a 24 h bucket boundary
const STEP = 15_000;
const N = 600; // 2.5 h of 15 s samples

interface Series {
  labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
}

function makeSeries(): Series[] {
  const out: Series[] = [];
  const defs: Record<string, string>[] = [
    { __name__: 'up', job: 'api', instance: 'a' },
    { __name__: 'up', job: 'api', instance: 'b' },
    { __name__: 'up', job: 'db', instance: 'c' },
    { __name__: 'http_requests_total', job: 'api', code: '200' },
    { __name__: 'http_requests_total', job: 'api', code: '500' },
  ];
  defs.forEach((d, k) => {
    const ts = new Float64Array(N);
    const vs = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      ts[i] = T0 + i * STEP + (i % 7 === 3 ? 137 : 0); // jitter
      vs[i] = k === 3 ? i * 3.5 : Math.sin(i / 10 + k) * 100;
    }
    vs[250] = staleNaN();
    vs[251] = -0;
    out.push({ labels: labelsFromObject(d), ts, vs });
  });
  return out;
}

/** Cuts each series into chunks of `size` samples starting at `offset` (an ingester's view). */
function chunksOf(series: Series[], size: number, offset = 0): ChunkToWrite[] {
  const out: ChunkToWrite[] = [];
  for (const s of series) {
    const cuts = [0];
    for (let c = offset > 0 ? offset : size; c < N; c += size) cuts.push(c);
    cuts.push(N);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const a = cuts[i]!;
      const b = cuts[i + 1]!;
      const bytes = encodeXorChunk(s.ts.subarray(a, b), s.vs.subarray(a, b)).copyBytes();
      out.push({ labels: s.labels, chunkBytes: bytes, minT: s.ts[a]!, maxT: s.ts[b - 1]! });
    }
  }
  return out;
}

/** Typed arrays on purpose: V8 canonicalises NaN payloads in plain double arrays, which would erase stale markers. */
function expectedRange(s: Series, start: number, end: number): { ts: number[]; vs: Float64Array } {
  const idx: number[] = [];
  for (let i = 0; i < N; i++) if (s.ts[i]! >= start && s.ts[i]! <= end) idx.push(i);
  return { ts: idx.map((i) => s.ts[i]!), vs: s.vs.subarray(idx[0] ?? 0, (idx[0] ?? 0) + idx.length) };
}

function assertSameSamples(got: { timestamps: Float64Array; values: Float64Array }, want: { ts: number[]; vs: Float64Array }, what: string): void {
  assert.deepEqual([...got.timestamps], want.ts, what);
  assert.equal(got.values.length, want.vs.length, what);
  let stale = 0;
  for (let i = 0; i < want.vs.length; i++) {
    const g = got.values[i]!;
    const w = want.vs[i]!;
    if (Number.isNaN(w)) {
      assert.ok(Number.isNaN(g) && isStaleNaN(g) === isStaleNaN(w), `${what}: NaN at ${i}`);
      if (isStaleNaN(g)) stale++;
    } else assert.ok(Object.is(g, w), `${what}: value at ${i}: got ${g}, want ${w}`);
  }
  if (want.ts.length === N) assert.equal(stale, 1, `${what}: stale marker kept`);
}

interface Setup {
  name: string;
  /** Shared bucket (what the replicas write to). */
  bucket: Bucket;
  /** One index handle per replica: either separate processes' handles on one store, or one shared handle. */
  indexes: SchemaChunkIndex[];
  memoryRows?: MemoryRowStore;
  close(): Promise<void>;
}

const root = mkdtempSync(join(tmpdir(), 'frank-chunk-store-'));
let s3: TestServer;
let dyn: TestServer;
before(async () => {
  [s3, dyn] = await Promise.all([startS3rver(), startDynalite()]);
});
after(async () => {
  await Promise.all([s3.close(), dyn.close()]);
  rmSync(root, { recursive: true, force: true });
});

let seq = 0;
const setups: [string, () => Promise<Setup>][] = [
  ['memory bucket + memory index', async () => {
    const rows = new MemoryRowStore();
    const indexes = [0, 1, 2].map(() => new MemoryChunkIndex({}, { store: rows }));
    const bucket = new MemoryBucket();
    return { name: 'memory bucket + memory index (3 index handles)', bucket, indexes, memoryRows: rows, close: async () => {} };
  }],
  [`local bucket + ${rocksDbSupported() ? 'RocksDB' : 'LevelDB'} index`, async () => {
    const dir = join(root, `local-${seq++}`);
    const bucket = new LocalBucket({ dir: join(dir, 'bucket'), fsync: false });
    // RocksDB/LevelDB allow one handle per directory: the replicas share it, as replicas in one process would.
    // The rocksdb binding cannot load on Node 24; LevelDB is the embedded index there.
    const idx = rocksDbSupported() ? new RocksDbChunkIndex({ dir: join(dir, 'index') }) : new LevelDbChunkIndex({ dir: join(dir, 'index') });
    return { name: `local bucket + ${rocksDbSupported() ? 'RocksDB' : 'LevelDB'} index (embedded)`, bucket, indexes: [idx, idx, idx], close: () => bucket.close() };
  }],
  ['S3 on s3rver + DynamoDB on dynalite', async () => {
    const n = seq++;
    const bucket = new S3Bucket({
      bucket: `chunks-${n}`,
      endpoint: s3.endpoint,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
      conditionalPut: false,
      listApiVersion: 1,
      createBucket: true,
    });
    const indexes = [0, 1, 2].map(
      () => new DynamoDbChunkIndex({ endpoint: dyn.endpoint, region: 'us-east-1', accessKeyId: 'x', secretAccessKey: 'x', tablePrefix: `cs${n}_` }),
    );
    return { name: 'S3 (s3rver) + DynamoDB (dynalite), 3 index handles', bucket, indexes, close: () => bucket.close() };
  }],
];

for (const [setupName, make] of setups) {
  describe(`ChunkStore: ${setupName}`, () => {
    let setup: Setup;
    let replicas: ChunkStore[];
    const data = makeSeries();
    before(async () => {
      setup = await make();
      for (const idx of new Set(setup.indexes)) await idx.start();
      replicas = setup.indexes.map((index) => new ChunkStore({}, { bucket: setup.bucket, index }));
    });
    after(async () => {
      for (const idx of new Set(setup.indexes)) await idx.stop();
      await setup.close();
    });

    it('3 replicas writing the same chunks store each object once and do not multiply the index', async () => {
      const chunks = chunksOf(data, 120);
      const first = await replicas[0]!.putChunks('t1', chunks);
      assert.equal(first.uploaded, chunks.length);
      const rowsAfterOne = setup.memoryRows?.rowCount;
      const objectsAfterOne = await listAll(setup.bucket, 't1/chunks/');
      assert.equal(objectsAfterOne.length, chunks.length);
      const [r2, r3] = await Promise.all([replicas[1]!.putChunks('t1', chunks), replicas[2]!.putChunks('t1', chunks)]);
      assert.equal(r2.refs.length, chunks.length);
      assert.deepEqual(r2.refs, first.refs);
      assert.deepEqual(r3.refs, first.refs);
      assert.deepEqual(await listAll(setup.bucket, 't1/chunks/'), objectsAfterOne);
      assert.ok(r2.deduplicated + r3.deduplicated >= chunks.length, `${r2.deduplicated} + ${r3.deduplicated}`);
      if (rowsAfterOne !== undefined) assert.equal(setup.memoryRows!.rowCount, rowsAfterOne);
      const ids = [...new Set(first.refs.map((r) => r.seriesId))];
      const refs = await setup.indexes[0]!.chunksFor('t1', ids, T0, T0 + N * STEP);
      let total = 0;
      for (const list of refs.values()) total += list.length;
      assert.equal(total, chunks.length);
    });

    it('the same replica writing again is absorbed by its caches', async () => {
      const chunks = chunksOf(data, 120);
      const idx = setup.indexes[0]!;
      const before = idx.stats.rowsWritten;
      const again = await replicas[0]!.putChunks('t1', chunks);
      assert.equal(again.uploaded, 0);
      assert.equal(again.deduplicated, chunks.length);
      assert.equal(idx.stats.rowsWritten, before);
    });

    it('the querier returns exactly the written samples when replicas cut chunks differently', async () => {
      // Replica 1 cut at 100-sample boundaries (offset 50): chunks overlap the 120-sample ones.
      await replicas[1]!.putChunks('t1', chunksOf(data, 100, 50));
      const q = replicas[2]!.querier('t1');
      const ranges: [number, number][] = [
        [T0 - DAY, T0 + DAY],
        [T0 + 37 * STEP, T0 + 333 * STEP + 500],
        [T0 + 4 * 3600_000 - 1, T0 + 4 * 3600_000 + 120_000], // across the day boundary
        [T0 + N * STEP + 1, T0 + N * STEP + 10_000],
      ];
      for (const [start, end] of ranges) {
        const got = await q.select([newMatcher('=~', '__name__', '.+')], { start, end });
        const want = data.map((s) => ({ s, e: expectedRange(s, start, end) })).filter((x) => x.e.ts.length > 0);
        const sorted = [...want].sort((a, b) => compareLabels(a.s.labels, b.s.labels));
        assert.deepEqual(got.map((g) => formatLabels(g.labels)), sorted.map((w) => formatLabels(w.s.labels)));
        for (const g of got) {
          const w = want.find((x) => formatLabels(x.s.labels) === formatLabels(g.labels))!;
          assertSameSamples(g, w.e, `${formatLabels(g.labels)} in [${start}, ${end}]`);
        }
      }
      const api = await q.select([newMatcher('=', 'job', 'api'), newMatcher('!=', 'instance', 'a')], { start: T0, end: T0 + DAY });
      assert.deepEqual(api.map((s) => formatLabels(s.labels)), [
        'http_requests_total{code="200", job="api"}',
        'http_requests_total{code="500", job="api"}',
        'up{instance="b", job="api"}',
      ]);
      assertSameSamples(api[2]!, expectedRange(data[1]!, T0, T0 + DAY), 'up b');
    });

    it('the querier answers series, label names and label values', async () => {
      const q = replicas[0]!.querier('t1');
      const hints = { start: T0, end: T0 + DAY };
      assert.deepEqual((await q.series([newMatcher('=', '__name__', 'up')], hints)).map(formatLabels), [
        'up{instance="a", job="api"}',
        'up{instance="b", job="api"}',
        'up{instance="c", job="db"}',
      ]);
      assert.deepEqual(await q.series([newMatcher('=', '__name__', 'up')], { start: T0 + 2 * DAY, end: T0 + 3 * DAY }), []);
      assert.deepEqual(await q.labelNames([], hints), ['__name__', 'code', 'instance', 'job']);
      assert.deepEqual(await q.labelNames([newMatcher('=', 'job', 'db')], hints), ['__name__', 'instance', 'job']);
      assert.deepEqual(await q.labelValues('job', [], hints), ['api', 'db']);
      assert.deepEqual(await q.labelValues('code', [newMatcher('=~', 'code', '5..')], hints), ['500']);
      assert.deepEqual(await replicas[0]!.querier('other-tenant').select([newMatcher('=', '__name__', 'up')], hints), []);
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(q.select([newMatcher('=', '__name__', 'up')], { ...hints, signal: ac.signal }), { name: 'AbortError' });
    });

    it('blocks: a block and flushed chunks of the same series merge into exact samples; blocks stay in their tenant', async () => {
      const tenant = 't-blk';
      // Samples 0-299 of every series in one block (two chunks each), 250-599 flushed in chunks of
      // 100 by a replica: they overlap the block by 50 samples.
      const inBlock: BlockChunk[] = [];
      for (const s of data) {
        for (const a of [0, 150]) {
          const ts = s.ts.subarray(a, a + 150);
          const bytes = encodeXorChunk(ts, s.vs.subarray(a, a + 150)).copyBytes();
          inBlock.push({ seriesId: seriesIdFor(tenant, s.labels), labels: s.labels, minT: ts[0]!, maxT: ts[149]!, encoding: 'xor', bytes, samples: 150 });
        }
      }
      const flushed = chunksOf(data, 100, 50).filter((c) => c.minT >= data[0]!.ts[250]! - 200);
      await replicas[1]!.putChunks(tenant, flushed);
      const meta = await replicas[0]!.putBlock(tenant, inBlock);
      assert.equal(meta.series, data.length);
      assert.equal(meta.chunks, inBlock.length);
      assert.deepEqual(await listAll(setup.bucket, `${tenant}/blocks/`), [`${tenant}/${blockKey(meta.id)}`]);
      assert.equal((await replicas[2]!.putBlock(tenant, [...inBlock].reverse())).id, meta.id, 'same chunks, same block');
      assert.equal((await listAll(setup.bucket, `${tenant}/blocks/`)).length, 1);
      const q = replicas[2]!.querier(tenant);
      const paths = replicas[2]!.selectionStats();
      const ranges: [number, number][] = [
        [T0 - DAY, T0 + DAY],
        [T0 + 10 * STEP, T0 + 120 * STEP], // the block alone
        [T0 + 260 * STEP, T0 + 290 * STEP], // where block and flushed chunks overlap
        [T0 + 4 * 3600_000 - 1, T0 + 4 * 3600_000 + 120_000], // flushed only, across the day boundary
      ];
      for (const [start, end] of ranges) {
        const got = await q.select([newMatcher('=~', '__name__', '.+')], { start, end });
        const want = data.filter((x) => expectedRange(x, start, end).ts.length > 0);
        assert.equal(got.length, want.length, `series in [${start}, ${end}]`);
        const names = got.map((g) => formatLabels(g.labels));
        assert.deepEqual(names, [...got].sort((a, b) => compareLabels(a.labels, b.labels)).map((g) => formatLabels(g.labels)), 'sorted by labels');
        for (const g of got) {
          const w = data.find((x) => formatLabels(x.labels) === formatLabels(g.labels))!;
          assertSameSamples(g, expectedRange(w, start, end), `${formatLabels(g.labels)} in [${start}, ${end}]`);
        }
      }
      // A series flushed into the block's range after compaction (no block holds it): the block
      // path finds it through the pending chunk rows and the matchers.
      const lateLabels = labelsFromObject({ __name__: 'up', job: 'late', instance: 'z' });
      const lateTs = Float64Array.from({ length: 20 }, (_, i) => T0 + (50 + i) * STEP);
      await replicas[0]!.putChunks(tenant, [{ labels: lateLabels, chunkBytes: encodeXorChunk(lateTs, lateTs.map((_, i) => i)).copyBytes(), minT: lateTs[0]!, maxT: lateTs[19]! }]);
      const inBlockRange = { start: T0 + 10 * STEP, end: T0 + 120 * STEP };
      const ups = await q.select([newMatcher('=', '__name__', 'up')], inBlockRange);
      assert.deepEqual(ups.map((x) => formatLabels(x.labels)), ['up{instance="a", job="api"}', 'up{instance="b", job="api"}', 'up{instance="c", job="db"}', 'up{instance="z", job="late"}']);
      assert.deepEqual([...ups[3]!.timestamps], [...lateTs]);
      assert.deepEqual((await q.select([newMatcher('=', 'job', 'db')], inBlockRange)).map((x) => formatLabels(x.labels)), ['up{instance="c", job="db"}']);
      assert.deepEqual((await q.select([newMatcher('!=', 'job', 'api')], inBlockRange)).map((x) => formatLabels(x.labels)), ['up{instance="c", job="db"}', 'up{instance="z", job="late"}']);
      const after = replicas[2]!.selectionStats();
      // The first and last ranges reach past the block (index path); the middle two lie inside it:
      // series from the block's own index, plus the flushed chunks pending in the same range. DynamoDB
      // cannot list the pending chunk rows in one scan: there every query takes the index path.
      const want = setup.name.includes('DynamoDB') ? { blocks: 0, index: 7 } : { blocks: 5, index: 2 };
      assert.deepEqual({ blocks: after.fromBlocks - paths.fromBlocks, index: after.fromIndex - paths.fromIndex }, want);
      const blockOnly = { start: T0, end: T0 + 100 * STEP };
      assert.equal((await q.series([newMatcher('=', '__name__', 'up')], blockOnly)).length, 4, 'the series API finds series through their blocks (and the late one through its chunk row)');
      assert.deepEqual(await replicas[0]!.querier('t-blk-other').select([newMatcher('=~', '__name__', '.+')], { start: T0 - DAY, end: T0 + DAY }), []);
      assert.deepEqual(await setup.indexes[0]!.blocksFor('t-blk-other', T0 - DAY, T0 + DAY), []);
      // A block object that vanished is an error, never a silent gap (a fresh store: nothing cached).
      await setup.bucket.delete(`${tenant}/${blockKey(meta.id)}`);
      const fresh = new ChunkStore({}, { bucket: setup.bucket, index: setup.indexes[0]! });
      await assert.rejects(fresh.querier(tenant).select([newMatcher('=', '__name__', 'up')], blockOnly), (e) => hasStoreCode(e, 'STORE_CHUNK_MISSING'));
    });

    it('reports a chunk object that vanished and deletes chunks from bucket and index', async () => {
      const gone = { labels: labelsFromObject({ __name__: 'gone', job: 'x' }), ts: new Float64Array(N).map((_, i) => T0 + i), vs: new Float64Array(N) };
      const [c] = chunksOf([gone], N);
      const res = await replicas[0]!.putChunks('t-del', [c!]);
      await setup.bucket.delete(`t-del/${ChunkStore.chunkKey(res.refs[0]!)}`);
      const q = replicas[0]!.querier('t-del');
      await assert.rejects(q.select([newMatcher('=', '__name__', 'gone')], { start: T0, end: T0 + DAY }), (e) => hasStoreCode(e, 'STORE_CHUNK_MISSING'));
      await replicas[0]!.deleteChunks('t-del', res.refs);
      assert.deepEqual(await q.select([newMatcher('=', '__name__', 'gone')], { start: T0, end: T0 + DAY }), []);
      assert.deepEqual(await listAll(setup.bucket, 't-del/'), []);
    });
  });
}

describe('ChunkStore over a faulty bucket', () => {
  it('lands every chunk and reads back correct samples despite 503s, lost responses and timeouts', async () => {
    const mem = new MemoryBucket();
    const faulty = new FaultyBucket(mem, { seed: 11, unavailable: 0.15, lostResponse: 0.15, timeout: 0.05, hangMs: 30 });
    const bucket = new RetryingBucket(faulty, { maxRetries: 40, minBackoffMs: 1, maxBackoffMs: 5, attemptTimeoutMs: 20 });
    const index = new MemoryChunkIndex();
    await index.start();
    const data = makeSeries();
    const chunks = chunksOf(data, 60);
    const stores = [0, 1, 2].map(() => new ChunkStore({}, { bucket, index }));
    await Promise.all(stores.map((s) => s.putChunks('tf', chunks)));
    assert.ok(faulty.totalInjected > 0);
    assert.equal((await listAll(mem, 'tf/chunks/')).length, chunks.length);
    const got = await stores[0]!.querier('tf').select([newMatcher('=~', 'job', '.+')], { start: T0, end: T0 + DAY });
    assert.equal(got.length, data.length);
    for (const g of got) {
      const s = data.find((d) => formatLabels(d.labels) === formatLabels(g.labels))!;
      assertSameSamples(g, expectedRange(s, T0, T0 + DAY), formatLabels(g.labels));
    }
    await index.stop();
  });
});
