/**
 * End to end against real S3 (s3rver) and DynamoDB (dynalite) servers, and against the
 * embedded store: a node
 * ingests over remote write, flushes on POST /ingester/flush, loses its whole WAL,
 * restarts, takes new samples, and still answers query_range, remote read and the
 * series API with every sample exactly once (old ones from the store, new ones
 * from memory); then the compactor turns the flushed chunks into block objects on the
 * same servers and every answer stays the same.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, validateConfig, type FrankConfig } from '../config.ts';
import { defaultStoreConfig } from '../store/config.ts';
import { FrankensteinNode } from '../frankenstein.ts';
import { startDynalite, startS3rver } from '../store/test-servers.ts';
import { FakeClock } from '../core/clock.ts';
import { Compactor } from '../compactor/compactor.ts';
import { listAll } from '../store/bucket.ts';
import { getJson, remoteRead, remoteWrite, labels as mkLabels } from '../e2e/harness.ts';

const SERIES = 4;
const STEP = 15_000;

function sampleValue(series: number, i: number): number {
  return series * 1000 + i * 0.5;
}

test('flush to S3 + DynamoDB, restart with an empty WAL: every sample exactly once', async (t) => {
  const s3 = await startS3rver();
  const dyn = await startDynalite();
  t.after(async () => {
    await s3.close();
    await dyn.close();
  });
  const base = DEFAULT_CONFIG.store;
  await flushRestartCompact(t, {
    ...base,
    bucket: {
      ...base.bucket,
      backend: 's3',
      s3: { ...base.bucket.s3, endpoint: s3.endpoint, bucket: 'frank-e2e', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true, conditionalPut: false, listApiVersion: 1, createBucket: true },
    },
    index: { ...base.index, backend: 'dynamodb', dynamodb: { ...base.index.dynamodb, endpoint: dyn.endpoint, accessKeyId: 'x', secretAccessKey: 'x', tablePrefix: 'e2e_' } },
  });
});

test('the embedded store (local bucket, RocksDB or LevelDB), restart with an empty WAL: every sample exactly once, compacted data answered from the blocks', async (t) => {
  await flushRestartCompact(t, null);
});

/**
 * Ingest over remote write, flush, lose the WAL, restart, query; compact into blocks, query again.
 * `store` null: the embedded default under the data dir.
 */
async function flushRestartCompact(t: TestContext, store: FrankConfig['store'] | null): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'frank-store-e2e-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const base = DEFAULT_CONFIG;
  const embedded = store === null;
  const config: FrankConfig = validateConfig({
    ...base,
    dataDir,
    server: { ...base.server, host: '127.0.0.1', port: 0 },
    store: store ?? defaultStoreConfig(dataDir),
    flush: { ...base.flush, checkPeriodMs: 3_600_000 },
    compactor: { ...base.compactor, enabled: false },
    // The store is asked only for data older than 5 minutes; the newest samples below come from memory alone.
    query: { ...base.query, queryStoreAfterMs: 300_000 },
  });

  // 300 samples per series, ending 10 minutes ago (so the restart can append newer ones).
  const end1 = Math.floor((Date.now() - 600_000) / STEP) * STEP;
  const first = end1 - 299 * STEP;
  const ts1 = Array.from({ length: 300 }, (_, i) => first + i * STEP);

  let node = new FrankensteinNode(config, { defaultMetrics: false });
  await node.start();
  let url = await node.listen();
  try {
    for (let part = 0; part < 3; part++) {
      const slice = ts1.slice(part * 100, part * 100 + 100);
      const res = await remoteWrite(
        url,
        Array.from({ length: SERIES }, (_, s) => ({
          labels: mkLabels({ __name__: 'e2e_flush', series: String(s) }),
          timestamps: slice,
          values: slice.map((_, i) => sampleValue(s, part * 100 + i)),
        })),
      );
      assert.equal(res.status, 204, res.text);
    }
    const flushed = await fetch(`${url}/ingester/flush`, { method: 'POST' });
    assert.equal(flushed.status, 204);
    assert.ok(node.flusher!.stats().chunksUploaded >= SERIES * 3, `uploaded ${node.flusher!.stats().chunksUploaded} chunks`);
  } finally {
    await node.stop();
  }

  // Lose the WAL entirely: the store must hold everything.
  rmSync(join(dataDir, 'wal'), { recursive: true, force: true });
  assert.equal(existsSync(join(dataDir, 'wal')), false);

  node = new FrankensteinNode(config, { defaultMetrics: false });
  await node.start();
  url = await node.listen();
  try {
    assert.equal(node.ingester.stats().series, 0, 'the restarted head is empty');
    const series = await getJson(url, '/api/v1/series', { 'match[]': 'e2e_flush', start: String(first / 1000), end: String(end1 / 1000) });
    assert.equal(series.status, 200);
    assert.equal(series.body.data.length, SERIES);

    // 20 newer samples per series go to memory only; a query spans both.
    const ts2 = Array.from({ length: 20 }, (_, i) => end1 + (i + 1) * STEP);
    const res = await remoteWrite(
      url,
      Array.from({ length: SERIES }, (_, s) => ({
        labels: mkLabels({ __name__: 'e2e_flush', series: String(s) }),
        timestamps: ts2,
        values: ts2.map((_, i) => sampleValue(s, 300 + i)),
      })),
    );
    assert.equal(res.status, 204);
    const all = [...ts1, ...ts2];
    const last = all[all.length - 1]!;

    const q = await getJson(url, '/api/v1/query_range', { query: 'e2e_flush', start: String(first / 1000), end: String(last / 1000), step: '15' });
    assert.equal(q.status, 200, q.text);
    const result = q.body.data.result as { metric: Record<string, string>; values: [number, string][] }[];
    assert.equal(result.length, SERIES);
    for (const r of result) {
      const s = Number(r.metric.series);
      assert.equal(r.values.length, all.length, `series ${s}: one point per sample`);
      r.values.forEach(([at, v], i) => {
        assert.equal(at * 1000, all[i]);
        assert.equal(Number(v), sampleValue(s, i));
      });
    }

    const read = await remoteRead(url, [{ startMs: first, endMs: last, matchers: [{ type: '=', name: '__name__', value: 'e2e_flush' }] }]);
    assert.equal(read[0]!.series.length, SERIES);
    for (const rs of read[0]!.series) {
      const s = Number(rs.labels.find((l) => l.name === 'series')!.value);
      assert.deepEqual([...rs.timestamps], all, `series ${s}: every timestamp exactly once`);
      assert.deepEqual([...rs.values], all.map((_, i) => sampleValue(s, i)));
    }

    // Compaction, as seen from 3 h later (every window of the flushed data has closed): the
    // flushed chunks become block objects in S3 and block rows in DynamoDB, and once the grace
    // period (0 here) is over the chunk objects go. The answers stay the same.
    const store = node.store!;
    const later = new FakeClock(Date.now() + 3 * 3_600_000);
    const compactor = new Compactor({ gracePeriodMs: 0, settledAfterMs: 30 * 86_400_000 }, { store: store.chunks, bucket: store.bucket, clock: later });
    const c1 = await compactor.runOnce();
    assert.ok(c1.blocksWritten >= 1 && c1.blocksWritten <= 2, `one block per 2 h window the data touches: ${c1.blocksWritten}`);
    assert.equal(c1.seriesCompacted, SERIES * c1.blocksWritten);
    later.tick(1);
    await compactor.runOnce();
    assert.deepEqual(await listAll(store.bucket, 'anonymous/chunks/'), [], 'the flushed chunk objects were deleted');
    assert.equal((await listAll(store.bucket, 'anonymous/blocks/')).length, c1.blocksWritten);
    const q2 = await getJson(url, '/api/v1/query_range', { query: 'e2e_flush', start: String(first / 1000), end: String(last / 1000), step: '15' });
    assert.equal(q2.status, 200, q2.text);
    assert.deepEqual(q2.body.data.result, q.body.data.result, 'identical answers from the blocks');
    const series2 = await getJson(url, '/api/v1/series', { 'match[]': 'e2e_flush', start: String(first / 1000), end: String(end1 / 1000) });
    assert.equal(series2.body.data.length, SERIES);
    // Inside the compacted windows only (the flushed samples): on the embedded index the series come
    // from the blocks' own index; DynamoDB cannot list pending chunk rows, so it takes the index path.
    const q3 = await getJson(url, '/api/v1/query_range', { query: 'e2e_flush', start: String(first / 1000), end: String(end1 / 1000), step: '15' });
    assert.equal(q3.status, 200, q3.text);
    const within = (q.body.data.result as { metric: unknown; values: [number, string][] }[]).map((r) => ({ ...r, values: r.values.filter(([at]) => at * 1000 <= end1) }));
    assert.deepEqual(q3.body.data.result, within);
    const admin = await getJson(url, '/admin/store', {});
    assert.equal(admin.status, 200);
    assert.equal(admin.body.bucket, embedded ? 'local' : 's3');
    assert.equal(admin.body.index, embedded ? config.store.index.backend : 'dynamodb');
    assert.ok(admin.body.caches.blockDirectory.reads >= 1, JSON.stringify(admin.body.caches));
    if (embedded) assert.ok(admin.body.selections.fromBlocks >= 1, JSON.stringify(admin.body.selections));
    else assert.equal(admin.body.selections.fromBlocks, 0);
    const blocks = await getJson(url, '/admin/store/blocks', { start: String(first / 1000 - 3600), end: String(end1 / 1000 + 3600) });
    assert.equal(blocks.status, 200, blocks.text);
    assert.equal(blocks.body.tenant, 'anonymous');
    assert.equal(blocks.body.blocks.length, c1.blocksWritten);
    assert.equal(blocks.body.blocks.reduce((n: number, b: { samples: number }) => n + b.samples, 0), SERIES * 300, 'every flushed sample once');
    const bad = await getJson(url, '/admin/store/blocks', { start: 'yesterday' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /invalid parameter "start": cannot parse "yesterday"/);
  } finally {
    await node.stop();
  }
}
