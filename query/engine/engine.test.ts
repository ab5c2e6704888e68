import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labelsFromObject } from '../model/labels.ts';
import type { Matcher } from '../model/matchers.ts';
import type { SeriesSamples } from '../model/samples.ts';
import { MemoryQuerier } from '../querier/memory-querier.ts';
import type { Querier, SelectHints } from '../querier/queryable.ts';
import { Engine, QueryError, toPrometheusJson } from './index.ts';

function fixture(): MemoryQuerier {
  const q = new MemoryQuerier();
  for (let i = 0; i <= 20; i++) {
    q.append(labelsFromObject({ __name__: 'up', job: 'a' }), i * 15_000, 1);
    q.append(labelsFromObject({ __name__: 'req_total', job: 'a' }), i * 15_000, i * 15);
  }
  return q;
}

/** A querier whose select never resolves until its signal aborts (a hung storage backend). */
class HangingQuerier implements Querier {
  selects = 0;
  select(_m: readonly Matcher[], hints: SelectHints): Promise<SeriesSamples[]> {
    this.selects++;
    if (hints.signal?.aborted) return Promise.reject(hints.signal.reason);
    return new Promise((_resolve, reject) => hints.signal?.addEventListener('abort', () => reject(hints.signal!.reason), { once: true }));
  }
  async series(): Promise<never[]> {
    return [];
  }
  async labelNames(): Promise<string[]> {
    return [];
  }
  async labelValues(): Promise<string[]> {
    return [];
  }
}

test('instant vector query renders Prometheus JSON', async () => {
  const e = new Engine();
  const r = await e.instantQuery(fixture(), 'req_total / 15', 300_000);
  assert.deepEqual(toPrometheusJson(r), { resultType: 'vector', result: [{ metric: { job: 'a' }, value: [300, '20'] }] });
  assert.deepEqual(r.warnings, []);
});

test('range query returns a label-sorted matrix with seconds timestamps', async () => {
  const e = new Engine();
  const r = await e.rangeQuery(fixture(), 'up * 2', 0, 30_000, 15_000);
  assert.deepEqual(toPrometheusJson(r), {
    resultType: 'matrix',
    result: [{ metric: { job: 'a' }, values: [[0, '2'], [15, '2'], [30, '2']] }],
  });
});

test('scalar and string results, special float formatting', async () => {
  const e = new Engine();
  const q = fixture();
  assert.deepEqual(toPrometheusJson(await e.instantQuery(q, '1/0', 1_435_781_451_781)), { resultType: 'scalar', result: [1435781451.781, '+Inf'] });
  assert.deepEqual(toPrometheusJson(await e.instantQuery(q, '-1/0', 0)), { resultType: 'scalar', result: [0, '-Inf'] });
  assert.deepEqual(toPrometheusJson(await e.instantQuery(q, '0/0', 0)), { resultType: 'scalar', result: [0, 'NaN'] });
  assert.deepEqual(toPrometheusJson(await e.instantQuery(q, '1e-7', 0)), { resultType: 'scalar', result: [0, '0.0000001'] });
  assert.deepEqual(toPrometheusJson(await e.instantQuery(q, '"hi"', 0)), { resultType: 'string', result: [0, 'hi'] });
});

test('annotations carry the query position', async () => {
  const e = new Engine();
  const r = await e.instantQuery(fixture(), 'sum(rate(up[1m]))', 300_000);
  assert.deepEqual(r.infos, ['PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "up" (1:10)']);
});

test('errors: parse, execution, range-query type and resolution', async () => {
  const e = new Engine({ maxPointsPerSeries: 100 });
  const q = fixture();
  await assert.rejects(
    e.instantQuery(q, 'sum(', 0),
    (err: unknown) => err instanceof QueryError && err.errorType === 'bad_data' && err.httpStatus === 400,
  );
  await assert.rejects(e.instantQuery(q, 'topk(NaN, up)', 0), (err: unknown) => err instanceof QueryError && err.message === 'Parameter value is NaN' && err.httpStatus === 422);
  await assert.rejects(e.rangeQuery(q, 'up[5m]', 0, 60_000, 15_000), /invalid expression type "range vector" for range query/);
  await assert.rejects(
    e.rangeQuery(q, 'up', 0, 1_000_000, 1_000),
    (err: unknown) =>
      err instanceof QueryError &&
      err.code === 'TOO_MANY_POINTS' &&
      err.message === 'exceeded maximum resolution of 100 points per timeseries. Try decreasing the query resolution (?step=XX)',
  );
});

test('too many samples', async () => {
  const e = new Engine({ maxSamples: 10 });
  await assert.rejects(
    e.rangeQuery(fixture(), 'up', 0, 300_000, 15_000),
    (err: unknown) => err instanceof QueryError && err.code === 'TOO_MANY_SAMPLES' && err.message === 'query processing would load too many samples into memory in query execution',
  );
});

test('timeout and cancellation reach the querier', async () => {
  const e = new Engine({ timeoutMs: 50 });
  await assert.rejects(e.instantQuery(new HangingQuerier(), 'up', 0), (err: unknown) => err instanceof QueryError && err.errorType === 'timeout' && err.httpStatus === 503);
  const ac = new AbortController();
  const p = new Engine().instantQuery(new HangingQuerier(), 'up', 0, { signal: ac.signal });
  ac.abort();
  await assert.rejects(p, (err: unknown) => err instanceof QueryError && err.errorType === 'canceled');
});

test('a querier ignoring the abort signal cannot hold a query past its timeout', async () => {
  const deaf: Querier = {
    select: () => new Promise<SeriesSamples[]>(() => {}),
    series: async () => [],
    labelNames: async () => [],
    labelValues: async () => [],
  };
  await assert.rejects(new Engine({ timeoutMs: 30 }).instantQuery(deaf, 'up', 0), (err: unknown) => err instanceof QueryError && err.code === 'QUERY_TIMEOUT');
});

test('concurrency gate queues queries beyond maxConcurrent', async () => {
  const e = new Engine({ maxConcurrent: 1 });
  const hang = new HangingQuerier();
  const first = new AbortController();
  const p1 = e.instantQuery(hang, 'up', 0, { signal: first.signal });
  const p2 = e.instantQuery(fixture(), 'up', 0);
  await new Promise((r) => setImmediate(r));
  assert.equal(hang.selects, 1);
  first.abort();
  await assert.rejects(p1);
  const r2 = await p2;
  assert.equal(r2.resultType, 'vector');
});

test('a duplicated label set after name dropping fails', async () => {
  const q = new MemoryQuerier();
  q.append(labelsFromObject({ __name__: 'x', a: '1' }), 0, 1);
  q.append(labelsFromObject({ __name__: 'y', a: '1' }), 0, 2);
  await assert.rejects(new Engine().instantQuery(q, '{a="1"} * 2', 0), /vector cannot contain metrics with the same labelset/);
});
