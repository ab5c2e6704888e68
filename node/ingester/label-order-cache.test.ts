import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareLabels, labelsFromObject } from '../../query/model/labels.ts';
import { LabelOrderCache } from './label-order-cache.ts';
import { MemSeries } from './series.ts';

const byLabels = (a: MemSeries, b: MemSeries): number => compareLabels(a.labels, b.labels);

function makeSeries(n: number, firstRef = 1): MemSeries[] {
  const out: MemSeries[] = [];
  // Ref order differs from label order: refs count up while hosts are numbered backwards.
  for (let i = 0; i < n; i++) out.push(new MemSeries(firstRef + i, labelsFromObject({ __name__: 'm', host: `h-${(n - i) * 7919 % 1000}`, i: String(i) }), 0));
  return out;
}

test('a repeated selection comes back in label order, from the cache as from a sort', () => {
  const cache = new LabelOrderCache({ minSeries: 2 });
  const series = makeSeries(300);
  const want = series.slice().sort(byLabels);
  let compares = 0;
  const counting = (a: MemSeries, b: MemSeries): number => {
    compares++;
    return byLabels(a, b);
  };
  assert.deepEqual(cache.sorted(series, counting), want);
  assert.ok(compares > 0);
  compares = 0;
  assert.deepEqual(cache.sorted(series.slice(), counting), want);
  assert.equal(compares, 0, 'the second selection of the same series is not sorted again');
  assert.equal(series[0]!.ref, 1, 'the input keeps its order');
});

test('a different set of series with the same refs is sorted anew', () => {
  const cache = new LabelOrderCache({ minSeries: 2 });
  const a = makeSeries(100);
  cache.sorted(a, byLabels);
  // Same refs, other objects and labels (e.g. series dropped and recreated): no stale order.
  const b = a.map((s, i) => new MemSeries(s.ref, labelsFromObject({ __name__: 'm', host: `z-${i}` }), 0));
  assert.deepEqual(cache.sorted(b, byLabels), b.slice().sort(byLabels));
  // A subset is another set.
  const sub = a.slice(10, 90);
  assert.deepEqual(cache.sorted(sub, byLabels), sub.slice().sort(byLabels));
});

test('small selections and a zero-size cache just sort', () => {
  const small = makeSeries(10);
  assert.deepEqual(new LabelOrderCache().sorted(small, byLabels), small.slice().sort(byLabels));
  const none = new LabelOrderCache({ maxEntries: 0, minSeries: 1 });
  const s = makeSeries(100);
  assert.deepEqual(none.sorted(s, byLabels), s.slice().sort(byLabels));
  assert.deepEqual(none.sorted(s, byLabels), s.slice().sort(byLabels));
});

test('least recently used entries are dropped past maxEntries', () => {
  const cache = new LabelOrderCache({ maxEntries: 2, minSeries: 2 });
  const sets = [makeSeries(50, 1), makeSeries(50, 1000), makeSeries(50, 5000)];
  for (const s of sets) cache.sorted(s, byLabels);
  let compares = 0;
  const counting = (a: MemSeries, b: MemSeries): number => {
    compares++;
    return byLabels(a, b);
  };
  cache.sorted(sets[2]!, counting);
  assert.equal(compares, 0, 'the newest set is cached');
  cache.sorted(sets[0]!, counting);
  assert.ok(compares > 0, 'the oldest set was evicted');
});
