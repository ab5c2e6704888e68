/**
 * A graceful stop flushes everything in memory to the long-term store (flush.flushOnShutdown):
 * after the stop the WAL is deleted, and a new node on the same data dir still answers every
 * sample from the store alone. With the option off, the same sequence leaves the store empty.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, validateConfig, type FrankConfig } from '../config.ts';
import { FrankensteinNode } from '../frankenstein.ts';
import { getJson, remoteWrite, labels as mkLabels } from '../e2e/harness.ts';

const STEP = 15_000;

async function stopLoseWalRestart(flushOnShutdown: boolean, t: { after(fn: () => unknown): void }): Promise<number[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'frank-shutdown-flush-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const base = DEFAULT_CONFIG;
  const config: FrankConfig = validateConfig({
    ...base,
    dataDir,
    server: { ...base.server, host: '127.0.0.1', port: 0 },
    store: { ...base.store, bucket: { ...base.store.bucket, local: { ...base.store.bucket.local, fsync: false } } },
    flush: { ...base.flush, checkPeriodMs: 3_600_000, flushOnShutdown },
    compactor: { ...base.compactor, enabled: false },
  });
  let end = Math.floor((Date.now() - 60_000) / STEP) * STEP;
  // All 40 samples in one 2 h window: the ingester cuts chunks at window boundaries, and within
  // 10 minutes after an even hour the samples would otherwise make two chunks per series.
  const windowStart = Math.floor(end / 7_200_000) * 7_200_000;
  if (end - 39 * STEP < windowStart) end = windowStart - STEP;
  const ts = Array.from({ length: 40 }, (_, i) => end - (39 - i) * STEP);
  const logs: string[] = [];
  let node = new FrankensteinNode(config, { defaultMetrics: false, log: (m) => logs.push(m) });
  await node.start();
  let url = await node.listen();
  try {
    const res = await remoteWrite(url, [0, 1, 2].map((s) => ({ labels: mkLabels({ __name__: 'shutdown_flush', s: String(s) }), timestamps: ts, values: ts.map((_, i) => s * 100 + i) })));
    assert.equal(res.status, 204, res.text);
  } finally {
    await node.stop();
  }
  if (flushOnShutdown) assert.ok(logs.some((m) => /flushed 3 chunks to the store before shutdown/.test(m)), logs.join('\n'));
  rmSync(join(dataDir, 'wal'), { recursive: true, force: true });
  node = new FrankensteinNode(config, { defaultMetrics: false });
  await node.start();
  url = await node.listen();
  try {
    const q = await getJson(url, '/api/v1/query_range', { query: 'shutdown_flush', start: String(ts[0]! / 1000), end: String(end / 1000), step: '15' });
    assert.equal(q.status, 200, q.text);
    return (q.body.data.result as { values: unknown[] }[]).map((r) => r.values.length);
  } finally {
    await node.stop();
  }
}

test('a graceful stop flushes every in-memory series to the store', async (t) => {
  assert.deepEqual(await stopLoseWalRestart(true, t), [40, 40, 40]);
});

test('with flushOnShutdown off, the data stays in the WAL only', async (t) => {
  assert.deepEqual(await stopLoseWalRestart(false, t), []);
});
