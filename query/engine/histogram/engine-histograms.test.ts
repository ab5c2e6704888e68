import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labelsFromObject } from '../../model/labels.ts';
import { MemoryQuerier } from '../../querier/memory-querier.ts';
import { Engine, toPrometheusJson } from '../index.ts';
import { parseHistogramLiteral } from './literal.ts';

function fixture(): MemoryQuerier {
  const q = new MemoryQuerier();
  const ls = labelsFromObject({ __name__: 'lat', job: 'a' });
  for (let i = 0; i <= 10; i++) {
    const h = parseHistogramLiteral(`{{schema:0 sum:${2 * i} count:${2 * i} buckets:[${i} ${i}]}}`).h;
    q.appendHistogram(ls, i * 60_000, h);
  }
  q.append(labelsFromObject({ __name__: 'up', job: 'a' }), 0, 1);
  return q;
}

test('instant queries render histogram samples in the histogram field', async () => {
  const r = await new Engine().instantQuery(fixture(), 'lat', 300_000);
  assert.deepEqual(toPrometheusJson(r), {
    resultType: 'vector',
    result: [
      {
        metric: { __name__: 'lat', job: 'a' },
        histogram: [
          300,
          {
            count: '10',
            sum: '10',
            buckets: [
              [0, '0.5', '1', '5'],
              [0, '1', '2', '5'],
            ],
          },
        ],
      },
    ],
  });
});

test('range queries split float and histogram points', async () => {
  const r = await new Engine().rangeQuery(fixture(), 'lat or vector(1)', 0, 120_000, 60_000);
  const j = toPrometheusJson(r) as { result: { metric: Record<string, string>; values?: unknown[]; histograms?: unknown[] }[] };
  const lat = j.result.find((s) => s.metric.__name__ === 'lat')!;
  assert.equal(lat.values, undefined);
  assert.equal(lat.histograms?.length, 3);
  const v = j.result.find((s) => s.metric.__name__ === undefined)!;
  assert.equal(v.values?.length, 3);
  assert.equal(v.histograms, undefined);
});

test('rate over histograms and histogram functions', async () => {
  const e = new Engine();
  const r = await e.instantQuery(fixture(), 'histogram_count(rate(lat[5m]))', 600_000);
  assert.equal(r.resultType, 'vector');
  if (r.resultType !== 'vector') return;
  assert.equal(r.result.length, 1);
  assert.ok(Math.abs(r.result[0]!.value - 2 / 60) < 1e-12);
  const q = await e.instantQuery(fixture(), 'histogram_quantile(0.5, lat)', 600_000);
  assert.equal(q.resultType === 'vector' && q.result[0]!.value, 1);
});

test('float-only functions and operators ignore histograms with an info', async () => {
  const e = new Engine();
  const r = await e.instantQuery(fixture(), 'lat + 1', 600_000);
  assert.equal(r.resultType === 'vector' && r.result.length, 0);
  assert.equal(r.infos?.length, 1);
  const a = await e.instantQuery(fixture(), 'abs(lat)', 600_000);
  assert.equal(a.resultType === 'vector' && a.result.length, 0);
});
