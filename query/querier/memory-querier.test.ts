import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labelsFromObject } from '../model/labels.ts';
import { newMatcher } from '../model/matchers.ts';
import { MemoryQuerier } from './memory-querier.ts';

test('select filters by matchers and inclusive time bounds, sorted by labels', async () => {
  const q = new MemoryQuerier();
  const b = labelsFromObject({ __name__: 'm', job: 'b' });
  const a = labelsFromObject({ __name__: 'm', job: 'a' });
  for (let t = 0; t < 5; t++) {
    q.append(b, t * 10, t);
    q.append(a, t * 10, -t);
  }
  q.append(labelsFromObject({ __name__: 'other' }), 0, 1);
  const res = await q.select([newMatcher('=', '__name__', 'm')], { start: 10, end: 30 });
  assert.deepEqual(
    res.map((s) => s.labels),
    [a, b],
  );
  assert.deepEqual([...res[0]!.timestamps], [10, 20, 30]);
  assert.deepEqual([...res[1]!.values], [1, 2, 3]);
  assert.deepEqual(await q.labelValues('job', [], { start: 0, end: 100 }), ['a', 'b']);
  assert.deepEqual(await q.labelNames([newMatcher('=~', 'job', 'a')], { start: 0, end: 100 }), ['__name__', 'job']);
  assert.equal((await q.series([newMatcher('!=', 'job', '')], { start: 100, end: 200 })).length, 0);
});

test('append rejects out-of-order samples and overwrites equal timestamps', () => {
  const q = new MemoryQuerier();
  const l = labelsFromObject({ __name__: 'm' });
  q.append(l, 10, 1);
  q.append(l, 10, 2);
  assert.throws(() => q.append(l, 5, 1), RangeError);
  assert.equal(q.seriesCount, 1);
});
