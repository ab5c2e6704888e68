/**
 * chunksFor() for many series scans a bucket's chunk rows in one pass on embedded
 * stores (scanHashPrefix); the answer must equal the one query per series gives,
 * including when the scan gives up because the bucket holds far more rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelsFromObject } from '../../query/model/labels.ts';
import type { ChunkIndex, IndexEntry } from './chunk-index.ts';
import { LevelDbChunkIndex, MemoryChunkIndex, RocksDbChunkIndex } from './index-backends.ts';
import { rocksDbSupported } from './rocksdb-row-store.ts';
import { seriesIdFor } from './series-id.ts';

const DAY = 86_400_000;
const BASE = 20_000 * DAY;

async function check(index: ChunkIndex): Promise<void> {
  const entries: IndexEntry[] = [];
  const ids: string[] = [];
  for (let i = 0; i < 100; i++) {
    const labels = labelsFromObject({ __name__: 'm', i: String(i) });
    ids.push(seriesIdFor('t', labels));
    for (let c = 0; c < 3; c++) {
      // chunks in two daily buckets, one of them spanning midnight
      const minT = BASE + DAY - 3_600_000 + c * 3_000_000 + i;
      entries.push({ labels, chunk: { id: `${minT}-${minT + 2_000_000}-c${c}`, minT, maxT: minT + 2_000_000, samples: 10, bytes: 20 } });
    }
  }
  // Another series with many chunks: a scan for only 64 series must give up and query instead.
  const big = labelsFromObject({ __name__: 'big' });
  for (let c = 0; c < 64 * 64 + 10; c++) entries.push({ labels: big, chunk: { id: `${BASE + c}-${BASE + c}-x`, minT: BASE + c, maxT: BASE + c } });
  await index.writeEntries('t', entries);

  const one = async (subset: string[], start: number, end: number) => {
    const m = new Map<string, unknown>();
    for (const id of subset) {
      const r = await index.chunksFor('t', [id], start, end);
      if (r.has(id)) m.set(id, r.get(id));
    }
    return m;
  };
  for (const [subset, start, end] of [
    [ids.slice(0, 80), BASE, BASE + 2 * DAY],
    [ids.slice(10, 90), BASE + DAY - 1_000_000, BASE + DAY + 500_000],
    [ids.slice(0, 64), -Infinity, Infinity],
  ] as const) {
    const many = await index.chunksFor('t', subset, start, end);
    assert.deepEqual(many, await one([...subset], start, end));
  }
}

test('chunksFor over many series: the scan equals per-series queries (memory rows)', async () => {
  const index = new MemoryChunkIndex();
  await index.start();
  try {
    await check(index);
  } finally {
    await index.stop();
  }
});

test('chunksFor over many series: the scan equals per-series queries (LevelDB)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'chunks-scan-'));
  const index = new LevelDbChunkIndex({ dir });
  await index.start();
  try {
    await check(index);
  } finally {
    await index.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

// RocksDB only where its binding loads (Node < 24); rocksdb-index.test.ts covers the refusal elsewhere.
if (rocksDbSupported()) {
  test('chunksFor over many series: the scan equals per-series queries (RocksDB)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chunks-scan-rocks-'));
    const index = new RocksDbChunkIndex({ dir });
    await index.start();
    try {
      await check(index);
    } finally {
      await index.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
}
