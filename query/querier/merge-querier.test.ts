import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelsFromObject } from '../model/labels.ts';
import { mergeSamples, mergeSeriesSets } from './merge-querier.ts';

const ls = (o: Record<string, string>) => labelsFromObject(o);

test('mergeSamples keeps each timestamp once and stays sorted', () => {
  const a = { labels: ls({ __name__: 'x' }), timestamps: Float64Array.from([1, 3, 5]), values: Float64Array.from([10, 30, 50]) };
  const b = { labels: ls({ __name__: 'x' }), timestamps: Float64Array.from([2, 3, 6]), values: Float64Array.from([20, 30, 60]) };
  const m = mergeSamples([a, b]);
  assert.deepEqual([...m.timestamps], [1, 2, 3, 5, 6]);
  assert.deepEqual([...m.values], [10, 20, 30, 50, 60]);
});

test('mergeSeriesSets unions series from replicas and fills a replica gap', () => {
  const full = { labels: ls({ __name__: 'up', job: 'a' }), timestamps: Float64Array.from([1, 2, 3]), values: Float64Array.from([1, 1, 1]) };
  const gappy = { labels: ls({ __name__: 'up', job: 'a' }), timestamps: Float64Array.from([1, 3]), values: Float64Array.from([1, 1]) };
  const other = { labels: ls({ __name__: 'up', job: 'b' }), timestamps: Float64Array.from([2]), values: Float64Array.from([0]) };
  const out = mergeSeriesSets([[gappy], [full, other]]);
  assert.equal(out.length, 2);
  assert.deepEqual([...out[0]!.timestamps], [1, 2, 3]);
  assert.equal(out[1]!.labels[1]!.value, 'b');
});
