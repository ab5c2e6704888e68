import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelsFromObject } from '../../query/model/labels.ts';
import { newMatcher } from '../../query/model/matchers.ts';
import { MergeQuerier } from '../../query/querier/merge-querier.ts';
import type { Querier } from '../../query/querier/queryable.ts';
import { FakeClock } from '../core/clock.ts';
import { Ingester, type PushSeries } from '../ingester/ingester.ts';
import type { IngesterConfig } from '../ingester/config.ts';
import { ChunkStore } from '../store/chunk-store.ts';
import { FaultyBucket } from '../store/faulty-bucket.ts';
import { MemoryBucket } from '../store/memory-bucket.ts';
import { LevelDbChunkIndex } from '../store/index-backends.ts';
import type { Bucket } from '../store/bucket.ts';
import { Flusher } from './flusher.ts';
import { FlushError } from './errors.ts';

const STEP = 15_000;
/** 40 min into an aligned 2 h chunk window, so no chunk below is cut by a window boundary. */
const T0 = 1_700_006_400_000 + 40 * 60_000;
const ALL = { start: -Infinity, end: Infinity };
const ANY = [newMatcher('=~', '__name__', '.+')];

function ingesterConfig(dir: string, clock: FakeClock): IngesterConfig {
  return { dataDir: join(dir, 'wal'), clock, checkpointIntervalMs: 0, gcIntervalMs: 0, checkpointRecords: 0, checkpointBytes: 0, checkpointOnStop: true };
}

function series(name: string, from: number, n: number, valueBase = 0): PushSeries {
  return {
    labels: labelsFromObject({ __name__: name, job: 'flush-test' }),
    timestamps: Array.from({ length: n }, (_, i) => from + i * STEP),
    values: Array.from({ length: n }, (_, i) => valueBase + i),
  };
}

/** name -> timestamps, from any querier. */
async function contents(q: Querier): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const s of await q.select(ANY, ALL)) out.set(s.labels.find((l) => l.name === '__name__')!.value, [...s.timestamps]);
  return out;
}

async function withEnv(
  fn: (env: { dir: string; clock: FakeClock; store: ChunkStore; index: LevelDbChunkIndex }) => Promise<void>,
  bucket: Bucket = new MemoryBucket(),
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'flusher-test-'));
  const clock = new FakeClock(T0);
  const index = new LevelDbChunkIndex({ dir: join(dir, 'index') });
  await index.start();
  const store = new ChunkStore({}, { bucket, index, clock });
  try {
    await fn({ dir, clock, store, index });
  } finally {
    await index.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

test('full chunks flush at once, idle and old heads later; flushed chunks leave memory and the WAL after retainAfterFlush', async () => {
  await withEnv(async ({ dir, clock, store }) => {
    const ing = new Ingester(ingesterConfig(dir, clock));
    await ing.start();
    const flusher = new Flusher({ maxChunkIdleMs: 300_000, maxChunkAgeMs: 3_600_000, retainAfterFlushMs: 900_000, checkPeriodMs: 86_400_000 }, { ingester: ing, store, clock });
    await flusher.start();
    try {
      // busy: 130 samples ending now (one full chunk + a head of 10); idle: 10 samples ending 20 min ago.
      const now = T0;
      await ing.push('t1', [series('busy', now - 129 * STEP, 130), series('idle', now - 20 * 60_000 - 9 * STEP, 10)]);
      const r1 = await flusher.sweep();
      assert.equal(r1.chunks, 2, 'the full chunk of busy and the idle head of idle');
      assert.equal(r1.failed, 0);
      let stored = await contents(store.querier('t1'));
      assert.equal(stored.get('busy')!.length, 120);
      assert.equal(stored.get('idle')!.length, 10);

      // Still in memory until retainAfterFlush passes; then dropped, and the empty series is removed.
      clock.tick(60_000);
      await flusher.sweep();
      assert.equal(ing.stats().series, 2);
      assert.equal((await contents(ing.querier('t1'))).get('busy')!.length, 130);
      clock.tick(900_000);
      // busy keeps receiving samples, so it is never idle; its head is now 16 min old: not flushed yet.
      await ing.push('t1', [series('busy', clock.now() - 3 * STEP, 4, 130)]);
      const r2 = await flusher.sweep();
      assert.equal(r2.dropped, 2);
      assert.equal(r2.seriesRemoved, 1, 'idle had nothing left in memory');
      const mem = await contents(ing.querier('t1'));
      assert.deepEqual([...mem.keys()], ['busy']);
      assert.equal(mem.get('busy')!.length, 14, 'the open head only');
      const merged = await contents(new MergeQuerier([ing.querier('t1'), store.querier('t1')]));
      assert.equal(merged.get('busy')!.length, 134);
      assert.equal(merged.get('idle')!.length, 10);

      // Max age: the head started > 1 h ago is closed and flushed even though it is active.
      clock.tick(3_600_000);
      await ing.push('t1', [series('busy', clock.now() - STEP, 1, 999)]);
      const r3 = await flusher.sweep();
      assert.equal(r3.chunks, 1);
      stored = await contents(store.querier('t1'));
      assert.equal(stored.get('busy')!.length, 135);
    } finally {
      await flusher.stop();
      await ing.stop();
    }
    // The checkpoint written on stop holds only what is still in memory: the dropped chunks are gone from the WAL.
    const again = new Ingester(ingesterConfig(dir, clock));
    await again.start();
    try {
      const mem = await contents(again.querier('t1'));
      assert.deepEqual([...mem.keys()], ['busy']);
      assert.equal(mem.get('busy')!.length, 15, 'the flushed chunk still retained (15 samples)');
    } finally {
      await again.stop();
    }
  });
});

test('a store failure between flush and acknowledgement loses nothing, across a restart', async () => {
  const faulty = new FaultyBucket(new MemoryBucket(), { seed: 7, lostResponse: 1 });
  await withEnv(async ({ dir, clock, store }) => {
    const expected = new Map([
      ['a', 250],
      ['b', 30],
    ]);
    // No checkpoint on stop: the restart replays the raw WAL, as after a kill.
    let ing = new Ingester({ ...ingesterConfig(dir, clock), checkpointOnStop: false });
    await ing.start();
    let flusher = new Flusher({ retainAfterFlushMs: 0 }, { ingester: ing, store, clock });
    await flusher.start();
    try {
      await ing.push('t1', [series('a', T0 - 249 * STEP, 250), series('b', T0 - 29 * STEP, 30)]);
      // Every object write is applied but its answer is lost: nothing is acknowledged.
      await assert.rejects(flusher.flushAll(), (err: unknown) => err instanceof FlushError && err.httpStatus === 503);
      assert.ok(faulty.injected.lostResponse > 0);
      const r = await flusher.dropAllFlushed();
      assert.equal(r.dropped, 0, 'unacknowledged chunks never leave memory');
      assert.deepEqual(new Map([...(await contents(ing.querier('t1')))].map(([k, v]) => [k, v.length])), expected);
    } finally {
      await flusher.stop();
      await ing.stop();
    }

    // Restart ("the crash"): everything is back from the WAL; the store comes back and takes it all.
    faulty.heal();
    ing = new Ingester(ingesterConfig(dir, clock));
    await ing.start();
    flusher = new Flusher({ retainAfterFlushMs: 0 }, { ingester: ing, store, clock });
    await flusher.start();
    try {
      assert.deepEqual(new Map([...(await contents(ing.querier('t1')))].map(([k, v]) => [k, v.length])), expected);
      const r = await flusher.flushAll();
      assert.equal(r.failed, 0);
      await flusher.sweep(); // drops everything (retainAfterFlushMs 0)
      assert.equal(ing.stats().series, 0);
      const stored = await contents(store.querier('t1'));
      for (const [name, n] of expected) {
        const ts = stored.get(name)!;
        assert.equal(ts.length, n, `${name}: every sample once`);
        assert.equal(new Set(ts).size, n);
      }
    } finally {
      await flusher.stop();
      await ing.stop();
    }
  }, faulty);
});

test('flushAll before start is refused with a 503', async () => {
  await withEnv(async ({ dir, clock, store }) => {
    const ing = new Ingester(ingesterConfig(dir, clock));
    const flusher = new Flusher({}, { ingester: ing, store, clock });
    await assert.rejects(flusher.flushAll(), (err: unknown) => err instanceof FlushError && err.code === 'flush-not-running');
    assert.throws(() => new Flusher({ concurrency: 0 }, { ingester: ing, store, clock }), /flush\.concurrency/);
  });
});

test('retention GC of the head never drops chunks the store has not acknowledged', async () => {
  const faulty = new FaultyBucket(new MemoryBucket(), { unavailable: 1 });
  await withEnv(async ({ dir, clock, store }) => {
    const ing = new Ingester(ingesterConfig(dir, clock));
    await ing.start();
    const flusher = new Flusher({ retainAfterFlushMs: 0, checkPeriodMs: 86_400_000 }, { ingester: ing, store, clock });
    await flusher.start();
    try {
      await ing.push('t1', [series('old', T0 - 199 * STEP, 200)]);
      await assert.rejects(flusher.flushAll());
      // Far past the head retention: without the store's acknowledgement nothing may go.
      await ing.dropBefore(T0 + 1);
      assert.equal((await contents(ing.querier('t1'))).get('old')!.length, 200);
      faulty.heal();
      await flusher.flushAll();
      await ing.dropBefore(T0 + 1);
      assert.equal(ing.stats().series, 0, 'acknowledged chunks are collected');
      assert.equal((await contents(store.querier('t1'))).get('old')!.length, 200);
    } finally {
      await flusher.stop();
      await ing.stop();
    }
  }, faulty);
});
