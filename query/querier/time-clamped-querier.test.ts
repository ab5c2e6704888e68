import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelsFromObject } from '../model/labels.ts';
import { newMatcher } from '../model/matchers.ts';
import { MemoryQuerier } from './memory-querier.ts';
import { TimeClampedQuerier } from './time-clamped-querier.ts';

test('the clamped querier answers only up to its moving bound', async () => {
  const inner = MemoryQuerier.from([{ labels: labelsFromObject({ __name__: 'm', a: '1' }), timestamps: Float64Array.of(10, 20, 30), values: Float64Array.of(1, 2, 3) }]);
  let bound = 25;
  const q = new TimeClampedQuerier(inner, () => bound);
  const m = [newMatcher('=', '__name__', 'm')];
  assert.deepEqual([...(await q.select(m, { start: 0, end: 100 }))[0]!.timestamps], [10, 20]);
  assert.deepEqual([...(await q.select(m, { start: 0, end: 15 }))[0]!.timestamps], [10], 'ranges before the bound pass unchanged');
  assert.deepEqual(await q.select(m, { start: 26, end: 100 }), [], 'after the bound: nothing');
  assert.deepEqual(await q.series(m, { start: 26, end: 100 }), []);
  assert.deepEqual(await q.labelNames([], { start: 26, end: 100 }), []);
  assert.deepEqual(await q.labelValues('a', [], { start: 0, end: 100 }), ['1']);
  bound = 100;
  assert.deepEqual([...(await q.select(m, { start: 0, end: 100 }))[0]!.timestamps], [10, 20, 30], 'the bound is read on every call');
});
