import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexSuite } from './index.conformance.ts';
import { labelsFromObject, formatLabels } from '../../query/model/labels.ts';
import { newMatcher } from '../../query/model/matchers.ts';
import { hashKeys } from './index-schema.ts';
import { MemoryChunkIndex } from './index-backends.ts';
import { MemoryRowStore } from './memory-row-store.ts';

const spaces = new Map<string, MemoryRowStore>();
indexSuite('MemoryChunkIndex', async (space) => {
  let store = spaces.get(space);
  if (store === undefined) spaces.set(space, (store = new MemoryRowStore()));
  return new MemoryChunkIndex({}, { store });
});

test('label postings written before they carried labels (no value) still resolve, through the series rows', async () => {
  const store = new MemoryRowStore();
  const idx = new MemoryChunkIndex({}, { store });
  await idx.start();
  const T = 20_000 * 86_400_000;
  const mk = (i: number) => labelsFromObject({ __name__: 'old_rows', job: 'j', i: String(i) });
  await idx.writeEntries('t', [0, 1, 2].map((i) => ({ labels: mk(i), chunk: { id: `${T}-${T + 1}-h${i}`, minT: T, maxT: T + 1 } })));
  // Rewrite the job postings as an older version wrote them: range key only.
  const hash = hashKeys.label('t', 20_000, 'job');
  const rows = await store.query(hash);
  assert.equal(rows.length, 3);
  assert.ok(rows.every((r) => r.value !== undefined), 'new rows carry the labels');
  await store.write(rows.map((r) => ({ hash: r.hash, range: r.range })));
  assert.ok((await store.query(hash)).every((r) => r.value === undefined));
  const got = await idx.lookupSeries('t', [newMatcher('=', 'job', 'j')], T, T + 1);
  assert.deepEqual(got.map((s) => formatLabels(s.labels)), [0, 1, 2].map((i) => formatLabels(mk(i))));
  await idx.stop();
});
