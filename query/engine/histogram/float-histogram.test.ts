import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FloatHistogram, bucketUpper, targetIndex } from './float-histogram.ts';
import { formatHistogramLiteral, parseHistogramLiteral } from './literal.ts';
import { histogramFraction, histogramQuantile, histogramVariance } from './quantile.ts';
import { trimHistogram } from './trim.ts';
import { histogramJson, histogramString } from './json.ts';

const lit = (s: string): FloatHistogram => parseHistogramLiteral(s).h;

test('bucket bounds and schema reduction indexes', () => {
  assert.equal(bucketUpper(0, 0), 1);
  assert.equal(bucketUpper(1, 0), 2);
  assert.equal(bucketUpper(-1, 0), 0.5);
  assert.equal(bucketUpper(1, -1), 4);
  assert.ok(Math.abs(bucketUpper(1, 1) - Math.SQRT2) < 1e-15);
  // Schema 1 buckets 1 and 2 ((1,√2], (√2,2]) merge into schema 0 bucket 1 ((1,2]).
  assert.equal(targetIndex(1, 1, 0), 1);
  assert.equal(targetIndex(2, 1, 0), 1);
  assert.equal(targetIndex(3, 1, 0), 2);
  assert.equal(targetIndex(0, 1, 0), 0);
  assert.equal(targetIndex(-1, 1, 0), 0);
});

test('literal parsing keeps offsets, hints and custom bounds', () => {
  const { h, hintWritten } = parseHistogramLiteral('{{schema:-53 sum:5 count:4 custom_values:[1 2] buckets:[1 2 1] counter_reset_hint:gauge}}');
  assert.equal(h.schema, -53);
  assert.deepEqual(h.customValues, [1, 2]);
  assert.deepEqual(h.posIdx, [0, 1, 2]);
  assert.equal(h.hint, 'gauge');
  assert.equal(hintWritten, true);
  const e = parseHistogramLiteral('{{}}');
  assert.equal(e.h.count, 0);
  assert.equal(e.hintWritten, false);
  assert.throws(() => parseHistogramLiteral('{{bogus:1}}'), SyntaxError);
  assert.equal(formatHistogramLiteral(lit('{{sum:2 count:3 offset:1 buckets:[1 2]}}')), '{{count:3 sum:2 offset:1 buckets:[1 2]}}');
});

test('addition reduces to the coarser schema and merges buckets by index', () => {
  const a = lit('{{schema:-1 sum:4 count:1 buckets:[1] offset:1}}');
  a.add(lit('{{schema:0 sum:4 count:4 buckets:[2 2] offset:1}}'));
  assert.ok(a.equals(lit('{{schema:-1 count:5 sum:8 offset:1 buckets:[5]}}')));
});

test('subtraction, scaling and compaction', () => {
  const a = lit('{{sum:10 count:6 buckets:[1 2 3]}}');
  a.sub(lit('{{sum:4 count:3 buckets:[1 1 1]}}'));
  assert.deepEqual([a.count, a.sum], [3, 6]);
  a.compact();
  assert.deepEqual(a.posIdx, [1, 2]);
  a.mul(2).div(4);
  assert.deepEqual(a.posCnt, [0.5, 1]);
});

test('zero bucket widening moves covered buckets into the zero count', () => {
  const a = lit('{{z_bucket:1 z_bucket_w:0.1 buckets:[2 3] offset:-1 count:6}}');
  // Bucket -1 is (0.25, 0.5]: covered by a 0.5 threshold.
  a.widenZeroBucket(0.5);
  assert.equal(a.zeroThreshold, 0.5);
  assert.equal(a.zeroCount, 3);
  assert.deepEqual(a.posIdx, [0]);
});

test('custom bounds are reconciled to their common subset', () => {
  const a = lit('{{schema:-53 count:3 sum:3 custom_values:[1 5] buckets:[1 1 1]}}');
  const r = a.add(lit('{{schema:-53 count:1 sum:1 custom_values:[5] buckets:[1]}}'));
  assert.equal(r.customBucketsReconciled, true);
  assert.deepEqual(a.customValues, [5]);
  assert.deepEqual(a.posCnt, [3, 1]);
  assert.throws(() => a.add(lit('{{count:1}}')));
});

test('counter hints combine like Prometheus and flag reset collisions', () => {
  const a = lit('{{count:1 counter_reset_hint:reset}}');
  assert.equal(a.add(lit('{{count:1 counter_reset_hint:not_reset}}')).counterResetCollision, true);
  assert.equal(a.hint, 'unknown');
  const g = lit('{{count:1}}');
  g.add(lit('{{count:1 counter_reset_hint:gauge}}'));
  assert.equal(g.hint, 'gauge');
});

test('reset detection', () => {
  const prev = lit('{{count:4 sum:4 buckets:[2 2]}}');
  assert.equal(lit('{{count:5 sum:5 buckets:[3 2]}}').detectReset(prev), false);
  assert.equal(lit('{{count:5 sum:5 buckets:[1 4]}}').detectReset(prev), true);
  assert.equal(lit('{{count:3 sum:5 buckets:[2 1]}}').detectReset(prev), true);
  assert.equal(lit('{{count:3 counter_reset_hint:not_reset}}').detectReset(prev), false);
});

test('quantile interpolates exponentially in exponential buckets, linearly in custom ones', () => {
  const h = lit('{{schema:0 sum:5 count:4 buckets:[1 2 1]}}');
  assert.ok(Math.abs(histogramQuantile(0.5, h) - Math.SQRT2) < 1e-12);
  assert.equal(histogramQuantile(-1, h), -Infinity);
  assert.equal(histogramQuantile(2, h), Infinity);
  assert.ok(Number.isNaN(histogramQuantile(0.5, lit('{{}}'))));
  const c = lit('{{schema:-53 count:10 sum:1 custom_values:[10 20] buckets:[0 10]}}');
  assert.equal(histogramQuantile(0.5, c), 15);
});

test('fraction, variance and trim', () => {
  const h = lit('{{schema:0 sum:5 count:4 buckets:[1 2 1]}}');
  assert.equal(histogramFraction(1, 2, h), 0.5);
  assert.equal(histogramFraction(0, 8, h), 1);
  assert.equal(histogramFraction(2, 1, h), 0);
  assert.ok(histogramVariance(h) > 0);
  const t = trimHistogram(lit('{{schema:-53 sum:172.5 count:15 custom_values:[5 10 15 20] buckets:[1 6 4 3 1]}}'), 15, true);
  assert.deepEqual([t.count, t.sum], [11, 97.5]);
  const same = lit('{{schema:0 count:5 sum:0 z_bucket:5 z_bucket_w:0.1}}');
  assert.equal(trimHistogram(same, 0.1, true), same);
});

test('JSON and string renderings list non-empty buckets with their bounds', () => {
  const h = lit('{{schema:0 sum:10 count:20 z_bucket_w:0.001 z_bucket:2 buckets:[1 2] n_buckets:[1 2]}}');
  assert.deepEqual(histogramJson(h).buckets?.[0], [1, '-2', '-1', '2']);
  assert.deepEqual(histogramJson(h).buckets?.[2], [3, '-0.001', '0.001', '2']);
  assert.equal(histogramString(h), '{count:20, sum:10, [-2,-1):2, [-1,-0.5):1, [-0.001,0.001]:2, (0.5,1]:1, (1,2]:2}');
});
