import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelsFromObject, labelsKey, type Labels } from '../../query/model/labels.ts';
import { newMatcher } from '../../query/model/matchers.ts';
import { isStaleNaN, staleNaN, type SeriesSamples } from '../../query/model/samples.ts';
import { FakeClock } from '../core/clock.ts';
import { Wal } from '../../wal/wal.ts';
import type { IngesterConfig } from './config.ts';
import { IngesterError } from './errors.ts';
import { Ingester, type PushSeries } from './ingester.ts';

const T0 = 1_700_000_000_000;
const ALL = { start: -Infinity, end: Infinity };

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ingester-test-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function cfg(dir: string, extra: Partial<IngesterConfig> = {}): IngesterConfig {
  return { dataDir: dir, clock: new FakeClock(T0), checkpointIntervalMs: 0, gcIntervalMs: 0, checkpointRecords: 0, checkpointBytes: 0, checkpointOnStop: false, ...extra };
}

/** Round r of `n` series: one sample each at T0 + r*15s; some values are stale markers. */
function round(n: number, r: number, tenant = 'x'): PushSeries[] {
  const out: PushSeries[] = [];
  for (let i = 0; i < n; i++) {
    const labels = labelsFromObject({ __name__: `metric_${i % 7}`, instance: `host-${i}`, job: 'node', tenant });
    const values = new Float64Array(1);
    values[0] = (i + r) % 11 === 0 ? staleNaN() : i * 1.5 + r;
    out.push({ labels, timestamps: [T0 + r * 15000], values });
  }
  return out;
}

function bitsKey(v: number): string {
  const b = new Float64Array([v]);
  return Buffer.from(b.buffer).toString('hex');
}

async function dump(ing: Ingester, tenant: string): Promise<string[]> {
  const sel: SeriesSamples[] = await ing.querier(tenant).select([newMatcher('=~', '__name__', '.+')], ALL);
  return sel.map((s) => labelsKey(s.labels) + ':' + Array.from(s.timestamps).join(',') + ':' + Array.from(s.values, bitsKey).join(','));
}

test('Ingester restart (close + reopen) returns identical data, including stale markers', async () => {
  await withDir(async (dir) => {
    const a = new Ingester(cfg(dir));
    await a.start();
    for (let r = 0; r < 130; r++) {
      const res = await a.push('x', round(50, r));
      assert.equal(res.accepted, 50);
    }
    await a.push('y', round(5, 0, 'y'));
    const before = await dump(a, 'x');
    assert.equal(before.length, 50);
    await a.stop();
    const b = new Ingester(cfg(dir));
    await b.start();
    assert.deepEqual(await dump(b, 'x'), before);
    assert.equal(b.stats().seriesPerTenant['y'], 5);
    assert.equal(b.stats().replay!.seriesFromState, 55);
    const sel = await b.querier('x').select([newMatcher('=', 'instance', 'host-0')], ALL);
    assert.ok(isStaleNaN(sel[0]!.values[0]!));
    // Appending continues where it stopped; old timestamps are still out of order.
    const res = await b.push('x', [...round(50, 129), ...round(50, 130)]);
    assert.equal(res.accepted, 50);
    assert.equal(res.duplicates, 50);
    await b.stop();
  });
});

test('Ingester checkpoint, then more appends, then restart returns identical data', async () => {
  await withDir(async (dir) => {
    const a = new Ingester(cfg(dir));
    await a.start();
    for (let r = 0; r < 200; r++) await a.push('x', round(40, r));
    const cp = await a.checkpoint();
    assert.ok(cp.written > 0);
    assert.ok(cp.deleted > 0);
    for (let r = 200; r < 230; r++) await a.push('x', round(40, r));
    await a.push('x', [{ labels: labelsFromObject({ __name__: 'new_after_cp' }), timestamps: [T0], values: [1] }]);
    const before = await dump(a, 'x');
    await a.stop();
    const b = new Ingester(cfg(dir));
    await b.start();
    assert.deepEqual(await dump(b, 'x'), before);
    assert.ok(b.stats().replay!.checkpointRecords > 0);
    assert.equal(b.stats().replay!.samplesReplayed, 30 * 40 + 1);
    // And once more through a checkpoint written on stop.
    await b.push('x', round(40, 230));
    const before2 = await dump(b, 'x');
    await b.stop();
    const c = new Ingester(cfg(dir, { checkpointOnStop: true }));
    await c.start();
    await c.push('x', round(40, 231));
    await c.stop();
    const d = new Ingester(cfg(dir));
    await d.start();
    assert.equal(d.stats().replay!.walRecords, 0);
    const after = await dump(d, 'x');
    assert.equal(after.length, before2.length);
    assert.notDeepEqual(after, before2); // round 231 is there
    await d.stop();
  });
});

test('Ingester concurrent pushes during a checkpoint all survive a restart', async () => {
  await withDir(async (dir) => {
    const a = new Ingester(cfg(dir));
    await a.start();
    for (let r = 0; r < 10; r++) await a.push('x', round(100, r));
    const pushes: Promise<unknown>[] = [];
    for (let r = 10; r < 20; r++) {
      pushes.push(a.push('x', round(100, r)));
      if (r === 14) pushes.push(a.checkpoint());
    }
    await Promise.all(pushes);
    const before = await dump(a, 'x');
    await a.stop();
    const b = new Ingester(cfg(dir));
    await b.start();
    assert.deepEqual(await dump(b, 'x'), before);
    await b.stop();
  });
});

test('Ingester GC drops old series durably and keeps the cut-off across restarts', async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock(T0 + 3 * 3600_000);
    const a = new Ingester(cfg(dir, { clock, headRetentionMs: 3600_000 }));
    await a.start();
    const old = labelsFromObject({ __name__: 'old' });
    const live = labelsFromObject({ __name__: 'live' });
    await a.push('x', [{ labels: old, timestamps: [T0], values: [1] }]);
    await a.push('x', [{ labels: live, timestamps: [T0, T0 + 3 * 3600_000], values: [1, 2] }]);
    assert.equal(await a.gc(), 1);
    assert.deepEqual(await a.querier('x').labelValues('__name__', [], ALL), ['live']);
    await a.stop();
    const b = new Ingester(cfg(dir, { clock, headRetentionMs: 3600_000 }));
    await b.start();
    assert.deepEqual(await b.querier('x').labelValues('__name__', [], ALL), ['live']);
    const res = await b.push('x', [{ labels: old, timestamps: [T0 + 1000], values: [1] }]);
    assert.deepEqual(res.reasons, { 'sample-out-of-bounds': 1 });
    assert.equal(b.stats().rejections['sample-out-of-bounds'], 1);
    await b.stop();
  });
});

test('Ingester tenant isolation: one tenant never sees another tenant\'s series or labels', async () => {
  await withDir(async (dir) => {
    const a = new Ingester(cfg(dir));
    await a.start();
    await a.push('A', [{ labels: labelsFromObject({ __name__: 'm', only_a: '1' }), timestamps: [T0], values: [1] }]);
    await a.push('B', [{ labels: labelsFromObject({ __name__: 'm', only_b: '1' }), timestamps: [T0], values: [2] }]);
    await a.stop();
    const b = new Ingester(cfg(dir));
    await b.start();
    const qa = b.querier('A');
    assert.deepEqual(await qa.labelNames([], ALL), ['__name__', 'only_a']);
    const s: Labels[] = await qa.series([newMatcher('=', '__name__', 'm')], ALL);
    assert.deepEqual(s.map(labelsKey), [labelsKey(labelsFromObject({ __name__: 'm', only_a: '1' }))]);
    assert.deepEqual(await b.querier('B').labelValues('only_a', [], ALL), []);
    await b.stop();
  });
});

test('Ingester push fails with a 500 IngesterError when the WAL write fails, and not before start', async () => {
  await withDir(async (dir) => {
    const wal = new Wal({ dir });
    const a = new Ingester(cfg(dir, { wal }));
    await assert.rejects(a.push('x', round(1, 0)), (e: unknown) => e instanceof IngesterError && e.httpStatus === 503);
    await a.start();
    await a.push('x', round(3, 0));
    await wal.close();
    await assert.rejects(a.push('x', round(3, 1)), (e: unknown) => e instanceof IngesterError && e.code === 'ingester-wal-write-failed' && e.httpStatus === 500);
    assert.equal(a.stats().walWriteFailures, 1);
    await a.stop().catch(() => undefined);
  });
});

test('Ingester timers checkpoint and GC on their intervals (fake clock)', async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock(T0);
    const a = new Ingester(cfg(dir, { clock, checkpointIntervalMs: 60_000, gcIntervalMs: 30_000, headRetentionMs: 3600_000 }));
    await a.start();
    await a.push('x', [{ labels: labelsFromObject({ __name__: 'old' }), timestamps: [T0 - 1000], values: [1] }]);
    await a.push('x', round(10, 0));
    clock.tick(60_000);
    while (a.stats().checkpoints < 1 || a.stats().gcRuns < 2) await new Promise((r) => setTimeout(r, 5));
    assert.equal(a.stats().seriesRemoved, 0);
    clock.tick(3600_000);
    while (a.stats().seriesRemoved < 1) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(await a.querier('x').labelValues('__name__', [newMatcher('=', '__name__', 'old')], ALL), []);
    await a.stop();
  });
});

test('Ingester checkpoints by themselves after checkpointRecords WAL records', async () => {
  await withDir(async (dir) => {
    const a = new Ingester(cfg(dir, { checkpointRecords: 10 }));
    await a.start();
    for (let r = 0; r < 12; r++) await a.push('x', round(5, r));
    while (a.stats().checkpoints < 1) await new Promise((r) => setTimeout(r, 5));
    const w = await a.walStats();
    assert.ok(w.checkpointSeq >= 10);
    await a.stop();
  });
});
