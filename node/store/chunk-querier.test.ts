import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeSampleColumns } from './chunk-querier.ts';

const cols = (ts: number[], vs: number[]) => ({ timestamps: Float64Array.from(ts), values: Float64Array.from(vs) });

describe('mergeSampleColumns()', () => {
  it('concatenates ordered, non-overlapping parts', () => {
    const m = mergeSampleColumns([cols([1, 2], [10, 20]), cols([], []), cols([3, 5], [30, 50])]);
    assert.deepEqual([...m.timestamps], [1, 2, 3, 5]);
    assert.deepEqual([...m.values], [10, 20, 30, 50]);
  });

  it('merges overlapping parts and keeps the first sample of a duplicate timestamp', () => {
    const m = mergeSampleColumns([cols([1, 3, 5, 7], [1, 3, 5, 7]), cols([2, 3, 4, 8], [2, 33, 4, 8]), cols([1, 9], [11, 9])]);
    assert.deepEqual([...m.timestamps], [1, 2, 3, 4, 5, 7, 8, 9]);
    assert.deepEqual([...m.values], [1, 2, 3, 4, 5, 7, 8, 9]);
  });

  it('handles identical replicas and empty input', () => {
    const a = cols([1, 2, 3], [1, 2, 3]);
    const m = mergeSampleColumns([a, a, a]);
    assert.deepEqual([...m.timestamps], [1, 2, 3]);
    assert.equal(mergeSampleColumns([]).timestamps.length, 0);
  });
});
