import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBucket } from './local-bucket.ts';
import { getLabel, labelsFromObject } from '../../query/model/labels.ts';
import { newMatcher } from '../../query/model/matchers.ts';
import { blockKey, encodeBlock, type BlockChunk } from './block-format.ts';
import { BlockReader } from './block-reader.ts';
import { hasStoreCode } from './errors.ts';

const T = 1_750_000_000_000;

function sid(i: number): string {
  return createHash('sha256').update(`s${i}`).digest('hex').slice(0, 32);
}

async function withBucket(fn: (bucket: LocalBucket) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'block-reader-'));
  const bucket = new LocalBucket({ dir, fsync: false });
  try {
    await fn(bucket);
  } finally {
    await bucket.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `series` series; series i has 1 + i % 3 chunks of 100 s each, back to back. */
function chunksOf(series: number): BlockChunk[] {
  const out: BlockChunk[] = [];
  for (let i = 0; i < series; i++) {
    for (let c = 0; c <= i % 3; c++) {
      const minT = T + c * 100_000;
      out.push({ seriesId: sid(i), labels: labelsOf(i), minT, maxT: minT + 99_000, encoding: 'xor', bytes: Uint8Array.from([0, 1, i & 0xff, c]), samples: 1 });
    }
  }
  return out;
}

function labelsOf(i: number) {
  return labelsFromObject({ __name__: `metric_${i % 3}`, instance: `host-${i}`, shard: String(i % 10), ...(i % 2 === 0 ? { even: 'yes' } : {}) });
}

const ids = (xs: number[]) => xs.map(sid).sort().map((s) => Buffer.from(s, 'hex'));

test('finds every chunk of the wanted series across directory pages, and nothing else', async () => {
  await withBucket(async (bucket) => {
    const chunks = chunksOf(2000);
    // Small pages (8 entries) so series run over page boundaries.
    const { bytes, meta } = encodeBlock(chunks, 8);
    await bucket.put(blockKey(meta.id), bytes);
    const reader = new BlockReader({ cacheBytes: 1 << 20, concurrency: 4 });
    const wanted = [0, 1, 2, 5, 17, 1999, 1234];
    const got = await reader.entries(bucket, 't', meta, ids(wanted), -Infinity, Infinity);
    const expected = chunks.filter((c) => wanted.some((w) => sid(w) === c.seriesId));
    assert.equal(got.length, expected.length);
    for (const e of got) {
      const c = expected.find((x) => x.seriesId === e.seriesId && x.minT === e.minT)!;
      assert.ok(c, `unexpected entry ${e.seriesId}@${e.minT}`);
      assert.equal(e.maxT, c.maxT);
      assert.deepEqual(Uint8Array.from(bytes.subarray(e.offset, e.offset + e.length)), c.bytes);
    }
    // A series the block does not hold (below, between and above its IDs) finds nothing.
    assert.deepEqual(await reader.entries(bucket, 't', meta, ids([5000, 5001, 5002]), -Infinity, Infinity), []);
    assert.deepEqual(await reader.entries(bucket, 't', meta, [Buffer.alloc(16, 0), Buffer.alloc(16, 0xff)], -Infinity, Infinity), []);
  });
});

test('time bounds are inclusive and filter per chunk', async () => {
  await withBucket(async (bucket) => {
    const { bytes, meta } = encodeBlock(chunksOf(30), 4);
    await bucket.put(blockKey(meta.id), bytes);
    const reader = new BlockReader({ cacheBytes: 1 << 20, concurrency: 2 });
    // Series 2 has chunks [T, T+99s], [T+100s, T+199s], [T+200s, T+299s].
    const mid = await reader.entries(bucket, 't', meta, ids([2]), T + 99_000, T + 100_000);
    assert.deepEqual(mid.map((e) => e.minT), [T, T + 100_000]);
    assert.deepEqual(await reader.entries(bucket, 't', meta, ids([2]), T + 300_000, T + 400_000), []);
  });
});

test('reads only the pages it needs, coalesced, and serves repeats from its cache', async () => {
  await withBucket(async (bucket) => {
    const { bytes, meta } = encodeBlock(chunksOf(3000), 16);
    await bucket.put(blockKey(meta.id), bytes);
    const reader = new BlockReader({ cacheBytes: 1 << 20, concurrency: 2 });
    await reader.entries(bucket, 't', meta, ids([7]), -Infinity, Infinity);
    assert.equal(reader.stats.reads, 2, 'the fence table, then one page run');
    assert.ok(reader.stats.pageMisses <= 2);
    const before = reader.stats.reads;
    await reader.entries(bucket, 't', meta, ids([7]), -Infinity, Infinity);
    assert.equal(reader.stats.reads, before, 'cached');
    // Most of the directory wanted: one read of all the missing pages.
    await reader.entries(bucket, 't', meta, ids(Array.from({ length: 3000 }, (_, i) => i)), -Infinity, Infinity);
    assert.equal(reader.stats.reads, before + 1);
  });
});

test('a missing block is STORE_CHUNK_MISSING, a truncated one STORE_CHUNK_CORRUPT', async () => {
  await withBucket(async (bucket) => {
    const { bytes, meta } = encodeBlock(chunksOf(50), 8);
    const reader = new BlockReader({ cacheBytes: 1 << 20, concurrency: 2 });
    await assert.rejects(reader.entries(bucket, 't', meta, ids([1]), -Infinity, Infinity), (e) => hasStoreCode(e, 'STORE_CHUNK_MISSING'));
    await bucket.put(blockKey(meta.id), bytes.subarray(0, meta.dirOffset + 10));
    await assert.rejects(reader.entries(bucket, 't', meta, ids([1]), -Infinity, Infinity), (e) => hasStoreCode(e, 'STORE_CHUNK_CORRUPT'));
  });
});

test('select() finds series by their labels with Prometheus matcher semantics, from the block alone', async () => {
  await withBucket(async (bucket) => {
    const chunks = chunksOf(1000);
    const { bytes, meta } = encodeBlock(chunks, 8);
    await bucket.put(blockKey(meta.id), bytes);
    const reader = new BlockReader({ cacheBytes: 1 << 20, concurrency: 2 });
    const sel = async (...ms: ReturnType<typeof newMatcher>[]) => (await reader.select(bucket, 't', meta, ms, -Infinity, Infinity)).map((s) => Number(getLabel(s.labels, 'instance').slice(5))).sort((a, b) => a - b);
    const upTo = (n: number, f: (i: number) => boolean) => Array.from({ length: n }, (_, i) => i).filter(f);
    assert.deepEqual(await sel(newMatcher('=', 'shard', '3')), upTo(1000, (i) => i % 10 === 3));
    assert.deepEqual(await sel(newMatcher('=', 'shard', '3'), newMatcher('=', '__name__', 'metric_1')), upTo(1000, (i) => i % 10 === 3 && i % 3 === 1));
    assert.deepEqual(await sel(newMatcher('=~', 'instance', 'host-1[0-9]')), upTo(20, (i) => i >= 10));
    assert.deepEqual(await sel(newMatcher('=', 'even', '')), upTo(1000, (i) => i % 2 === 1), '="" selects series without the label');
    assert.deepEqual(await sel(newMatcher('!=', 'even', 'yes'), newMatcher('=', 'shard', '1')), upTo(1000, (i) => i % 2 === 1 && i % 10 === 1));
    assert.deepEqual(await sel(newMatcher('!~', 'shard', '[0-8]')), upTo(1000, (i) => i % 10 === 9), 'a matcher accepting "" alone: every series is a candidate, the labels decide');
    assert.deepEqual(await sel(newMatcher('=', 'nope', 'x')), []);
    assert.deepEqual(await sel(newMatcher('=', 'shard', '11')), []);
    // Chunks come with the series, filtered by time.
    const [one] = await reader.select(bucket, 't', meta, [newMatcher('=', 'instance', 'host-2')], T + 150_000, T + 150_000);
    assert.equal(one!.seriesId, sid(2));
    assert.deepEqual(one!.entries.map((e) => e.minT), [T + 100_000]);
    for (const e of one!.entries) assert.deepEqual(Uint8Array.from(bytes.subarray(e.offset, e.offset + e.length)), Uint8Array.from([0, 1, 2, 1]));
    assert.deepEqual(await reader.select(bucket, 't', meta, [newMatcher('=', 'instance', 'host-2')], T + 400_000, T + 500_000), [], 'no chunk in range: no series');
    const reads = reader.stats.reads;
    await sel(newMatcher('=', 'shard', '3'));
    assert.equal(reader.stats.reads, reads, 'label tables, postings, series pages and labels all cached');
  });
});
