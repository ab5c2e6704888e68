import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { labelsFromObject, type Labels } from '../../query/model/labels.ts';
import { newMatcher } from '../../query/model/matchers.ts';
import { createChunkIndex } from '../../node/store/store-factory.ts';
import { defaultStoreConfig } from '../../node/store/config.ts';
import { LocalBucket } from '../../node/store/local-bucket.ts';
import { ChunkStore } from '../../node/store/chunk-store.ts';
import { encodeSmallest } from '../../node/chunk/encoding.ts';
import { valueGenerator } from '../../node/chunk/value-mix.ts';
import { seriesIdFor } from '../../node/store/series-id.ts';
import type { BlockChunk } from '../../node/store/block-format.ts';
const dir = mkdtempSync('/tmp/scratch/blk-');
const cfg = defaultStoreConfig(dir);
const T = 1_750_003_200_000 - (1_750_003_200_000 % 7_200_000);
const N = 100_000, S = 240;
const idx = createChunkIndex(cfg.index, {});
await idx.start();
const bucket = new LocalBucket({ dir: join(dir, 'bucket'), fsync: false });
const store = new ChunkStore(cfg.chunks, { bucket, index: idx });
const ts = Float64Array.from({ length: S }, (_, k) => T + k * 15000);
const chunks: BlockChunk[] = [];
const labels: Labels[] = [];
for (let i = 0; i < N; i++) {
  const l = labelsFromObject({ __name__: `bench_metric_${i % 50}`, instance: `host-${Math.floor(i / 50)}:9100`, job: 'node', shard: String(Math.floor(i / 20) % 10) });
  labels.push(l);
  const g = valueGenerator(i);
  const vs = new Float64Array(S);
  for (let k = 0; k < S; k++) vs[k] = g();
  const c = encodeSmallest(ts, vs);
  chunks.push({ seriesId: seriesIdFor('bench', l), labels: l, minT: ts[0]!, maxT: ts[S - 1]!, encoding: c.encoding, bytes: c.bytes, samples: S });
}
// Series rows in the index (what flushes write), then the block.
for (let i = 0; i < N; i += 5000) await idx.writeEntries('bench', labels.slice(i, i + 5000).map((l) => ({ labels: l, chunk: { id: `${T}-${T}-x`, minT: T, maxT: T } })));
const all = await idx.chunksFor('bench', chunks.map((c) => c.seriesId), T, T + 1);
await idx.deleteChunks('bench', [...all.values()].flat());
await store.putBlock('bench', chunks);
console.error('setup done');
const m = [newMatcher('=', 'shard', '0')];
const range = { start: T, end: T + S * 15000 - 1 };
const q = store.querier('bench');
for (let r = 0; r < 15; r++) {
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  const got = await q.select(m, range);
  console.error('warm', (performance.now() - t0).toFixed(1), got.length, store.selectionStats());
}
await idx.stop();
