/**
 * Remote write → remote read round trip against a real node process: every
 * value (NaN payloads, the stale marker, ±Inf, -0, denormals) must come back
 * bit-identical at the exact millisecond it was written, for each matcher type,
 * and the metadata APIs must answer in Prometheus's JSON format.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SeriesInput } from '../remote/types.ts';
import {
  STALE_NAN_BITS,
  apiData,
  bitPatterns,
  float64s,
  getJson,
  labels,
  labelsText,
  remoteRead,
  remoteWrite,
  sampleMap,
  startNode,
  type NodeHandle,
  type ReadQuerySpec,
} from './harness.ts';

// Five minutes ago, deliberately not on a second boundary: timestamps keep ms precision.
const T0 = Math.floor(Date.now() / 1000) * 1000 - 300_000 + 123;

// Bit patterns are set directly: a signalling NaN (the stale marker) must never pass through a JS number.
const SPECIAL = float64s([
  NaN,
  Infinity,
  -Infinity,
  STALE_NAN_BITS,
  -0,
  [0x00000001, 0x7ff80000], // a quiet NaN with a non-canonical payload: an ordinary value, kept as is
  [0x00000001, 0x7ff00000], // a signalling NaN other than the stale marker
  0,
]);

const RANGE: number[] = [
  -1.5,
  -1e308,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE, // smallest denormal
  2.2250738585072014e-308, // smallest normal
  1e-300,
  123456789.123456789,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER - 2,
  0.1 + 0.2,
];

function series(obj: Record<string, string>, ts: number[], values: number[] | Float64Array): SeriesInput {
  return { labels: labels(obj), timestamps: Float64Array.from(ts), values: values instanceof Float64Array ? values : Float64Array.from(values) };
}

/** Consecutive milliseconds from `start`. */
function msRange(start: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => start + i);
}

const counterTs = Array.from({ length: 20 }, (_, i) => T0 + 1000 + i * 997 + (i % 3));
const BATCH_1: SeriesInput[] = [
  series({ __name__: 'rt_values', kind: 'special' }, msRange(T0, SPECIAL.length), SPECIAL),
  series({ __name__: 'rt_values', kind: 'range' }, msRange(T0 + 50, RANGE.length), RANGE),
  series({ __name__: 'rt_values', kind: 'counter', job: 'a' }, counterTs.slice(0, 10), counterTs.slice(0, 10).map((_, i) => i * 1.25)),
  series({ __name__: 'rt_other', job: 'b', instance: 'x:1' }, [T0 + 7, T0 + 8, T0 + 60_000], [1, 2, 3]),
  series({ __name__: 'rt_other', job: 'c', instance: 'x:2' }, [T0 + 9], [-42]),
];
// A second request appends later samples to an existing series and adds a stale marker after them.
const BATCH_2: SeriesInput[] = [
  series({ __name__: 'rt_values', kind: 'counter', job: 'a' }, counterTs.slice(10), counterTs.slice(10).map((_, i) => (i + 10) * 1.25)),
  series({ __name__: 'rt_other', job: 'b', instance: 'x:1' }, [T0 + 60_001], float64s([STALE_NAN_BITS])),
];
// Sent to /api/v1/write instead of /api/v1/push: both paths are remote-write receivers.
const BATCH_WRITE_PATH: SeriesInput[] = [series({ __name__: 'rt_write_path', job: 'w' }, [T0 + 11, T0 + 12], [0.5, NaN])];
const ALL = [...BATCH_1, ...BATCH_2, ...BATCH_WRITE_PATH];

const FROM = T0 - 10_000;
const TO = T0 + 120_000;

/** Expected samples of ALL restricted by a label predicate and a time range (bit patterns, never numbers). */
function expected(pred: (l: Record<string, string>) => boolean, from = FROM, to = TO): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of ALL) {
    const obj = Object.fromEntries(s.labels.map((l) => [l.name, l.value]));
    if (!pred(obj)) continue;
    const bits = bitPatterns(s.values);
    for (let i = 0; i < s.timestamps.length; i++) {
      const t = s.timestamps[i]!;
      if (t >= from && t <= to) out.set(`${labelsText(s.labels)}@${t}`, bits[i]!);
    }
  }
  return out;
}

/** Compares sample maps and lists every difference (missing, extra, different bits). */
function assertSameSamples(actual: Map<string, string>, want: Map<string, string>, what: string): void {
  const problems: string[] = [];
  for (const [k, v] of want) {
    const a = actual.get(k);
    if (a === undefined) problems.push(`missing ${k} (want bits ${v})`);
    else if (a !== v) problems.push(`${k}: got bits ${a}, want ${v}`);
  }
  for (const [k, v] of actual) if (!want.has(k)) problems.push(`unexpected ${k} = bits ${v}`);
  assert.deepEqual(problems, [], `${what}: ${problems.length} sample differences`);
}

describe('remote write → remote read round trip (real node process)', () => {
  let node: NodeHandle;

  before(async () => {
    node = await startNode();
    for (const batch of [BATCH_1, BATCH_2]) {
      const r = await remoteWrite(node.url, batch);
      assert.equal(r.status, 204, `POST /api/v1/push expected 204, got ${r.status}: ${r.text}`);
    }
    const w = await remoteWrite(node.url, BATCH_WRITE_PATH, { path: '/api/v1/write' });
    assert.equal(w.status, 204, `POST /api/v1/write expected 204, got ${w.status}: ${w.text}`);
  });

  after(async () => {
    await node?.stop();
  });

  it('EQ matcher returns exactly the written samples, values bit-identical', async () => {
    const res = await remoteRead(node.url, [{ startMs: FROM, endMs: TO, matchers: [{ type: '=', name: '__name__', value: 'rt_values' }] }]);
    assert.equal(res.length, 1, 'one QueryResult per query');
    assertSameSamples(sampleMap(res), expected((l) => l.__name__ === 'rt_values'), 'rt_values');
    // Spell out the special values so a failure message names the broken one.
    const special = res[0]!.series.find((s) => labelsText(s.labels) === labelsText(labels({ __name__: 'rt_values', kind: 'special' })));
    assert.ok(special, 'series rt_values{kind="special"} missing');
    assert.deepEqual([...special.timestamps], msRange(T0, SPECIAL.length));
    assert.deepEqual(bitPatterns(special.values), bitPatterns(SPECIAL));
    assert.equal(bitPatterns(SPECIAL)[3], '7ff0000000000002', 'test data: stale marker bits');
    assert.equal(bitPatterns(special.values)[3], '7ff0000000000002', 'stale marker must keep its exact bit pattern');
    assert.equal(bitPatterns(special.values)[6], '7ff0000000000001', 'a signalling NaN must keep its exact bit pattern');
  });

  it('returned series have sorted labels and ascending timestamps', async () => {
    const res = await remoteRead(node.url, [{ startMs: FROM, endMs: TO, matchers: [{ type: '=~', name: '__name__', value: 'rt_.*' }] }]);
    assert.equal(res[0]!.series.length, 6);
    for (const s of res[0]!.series) {
      const names = s.labels.map((l) => l.name);
      assert.deepEqual(names, [...names].sort(), `labels not sorted: ${labelsText(s.labels)}`);
      for (let i = 1; i < s.timestamps.length; i++) assert.ok(s.timestamps[i]! > s.timestamps[i - 1]!, `timestamps not ascending in ${labelsText(s.labels)}`);
    }
  });

  it('NEQ matcher (absent label counts as empty)', async () => {
    const q: ReadQuerySpec = {
      startMs: FROM,
      endMs: TO,
      matchers: [
        { type: '=~', name: '__name__', value: 'rt_.*' },
        { type: '!=', name: 'job', value: 'a' },
      ],
    };
    assertSameSamples(sampleMap(await remoteRead(node.url, [q])), expected((l) => l.__name__!.startsWith('rt_') && l.job !== 'a'), 'job!="a"');
  });

  it('RE matcher is anchored', async () => {
    const q: ReadQuerySpec = {
      startMs: FROM,
      endMs: TO,
      matchers: [
        { type: '=', name: '__name__', value: 'rt_other' },
        { type: '=~', name: 'instance', value: 'x:.*' },
      ],
    };
    assertSameSamples(sampleMap(await remoteRead(node.url, [q])), expected((l) => l.__name__ === 'rt_other'), 'instance=~"x:.*"');
    const anchored: ReadQuerySpec = { startMs: FROM, endMs: TO, matchers: [{ type: '=~', name: '__name__', value: 'rt_' }] };
    assert.equal(sampleMap(await remoteRead(node.url, [anchored])).size, 0, '__name__=~"rt_" must not match rt_values (regex is anchored)');
  });

  it('NRE matcher', async () => {
    const q: ReadQuerySpec = {
      startMs: FROM,
      endMs: TO,
      matchers: [
        { type: '=', name: '__name__', value: 'rt_other' },
        { type: '!~', name: 'job', value: 'b|z' },
      ],
    };
    assertSameSamples(sampleMap(await remoteRead(node.url, [q])), expected((l) => l.__name__ === 'rt_other' && l.job === 'c'), 'job!~"b|z"');
  });

  it('time range bounds are inclusive at millisecond precision', async () => {
    const from = T0 + 1;
    const to = T0 + 3;
    const q: ReadQuerySpec = { startMs: from, endMs: to, matchers: [{ type: '=', name: 'kind', value: 'special' }] };
    const got = sampleMap(await remoteRead(node.url, [q]));
    assertSameSamples(got, expected((l) => l.kind === 'special', from, to), `[${from}, ${to}]`);
    assert.equal(got.size, 3);
  });

  it('several queries in one request are answered in order; a query matching nothing gives an empty result', async () => {
    const res = await remoteRead(node.url, [
      { startMs: FROM, endMs: TO, matchers: [{ type: '=', name: '__name__', value: 'rt_other' }] },
      { startMs: FROM, endMs: TO, matchers: [{ type: '=', name: '__name__', value: 'rt_nothing_here' }] },
      { startMs: FROM, endMs: TO, matchers: [{ type: '=', name: '__name__', value: 'rt_write_path' }] },
    ]);
    assert.equal(res.length, 3);
    assertSameSamples(sampleMap([res[0]!]), expected((l) => l.__name__ === 'rt_other'), 'query 0');
    assert.equal(res[1]!.series.length, 0, 'query 1 matches nothing');
    assertSameSamples(sampleMap([res[2]!]), expected((l) => l.__name__ === 'rt_write_path'), 'query 2 (written via /api/v1/write)');
  });

  it('PromQL instant query sees the written values and honours the stale marker', async () => {
    const at = async (query: string, t: number) => {
      const r = await getJson(node.url, '/api/v1/query', { query, time: String(t / 1000) });
      assert.equal(r.status, 200, `query ${query} @${t}: ${r.text}`);
      assert.equal(r.body.status, 'success', r.text);
      assert.equal(r.body.data.resultType, 'vector');
      return (r.body.data.result as { metric: Record<string, string>; value: [number, string] }[])
        .map((x) => `${x.metric.job}=${x.value[1]}@${Math.round(x.value[0] * 1000)}`)
        .sort();
    };
    // Before the stale marker both series are visible (lookback 5 min); the sample time is the query time.
    assert.deepEqual(await at('rt_other', T0 + 60_000), [`b=3@${T0 + 60_000}`, `c=-42@${T0 + 60_000}`]);
    // After it, job="b" is stale and disappears while job="c" is still within the lookback window.
    assert.deepEqual(await at('rt_other', T0 + 60_500), [`c=-42@${T0 + 60_500}`]);
    assert.deepEqual(await at('rt_values{kind="counter"} * 2', counterTs[19]!), [`a=${19 * 1.25 * 2}@${counterTs[19]}`]);
  });

  it('GET /api/v1/series answers Prometheus JSON', async () => {
    const r = await getJson(node.url, '/api/v1/series', { 'match[]': 'rt_values', start: String((FROM / 1000).toFixed(3)), end: String((TO / 1000).toFixed(3)) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'success');
    const sortJson = (a: unknown[]): string[] => a.map((x) => JSON.stringify(Object.fromEntries(Object.entries(x as object).sort()))).sort();
    assert.deepEqual(sortJson(r.body.data), sortJson([
      { __name__: 'rt_values', kind: 'special' },
      { __name__: 'rt_values', kind: 'range' },
      { __name__: 'rt_values', kind: 'counter', job: 'a' },
    ]));
    const two = await apiData(node.url, '/api/v1/series', { 'match[]': ['rt_other{job="c"}', '{job="a"}'] });
    assert.deepEqual(sortJson(two), sortJson([{ __name__: 'rt_other', job: 'c', instance: 'x:2' }, { __name__: 'rt_values', kind: 'counter', job: 'a' }]));
  });

  it('GET /api/v1/series without match[] is a 400 bad_data', async () => {
    const r = await getJson(node.url, '/api/v1/series');
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body?.status, 'error', r.text);
    assert.equal(r.body?.errorType, 'bad_data', r.text);
    assert.match(r.body?.error ?? '', /match/);
  });

  it('GET /api/v1/labels lists every label name, sorted', async () => {
    assert.deepEqual(await apiData(node.url, '/api/v1/labels'), ['__name__', 'instance', 'job', 'kind']);
    assert.deepEqual(await apiData(node.url, '/api/v1/labels', { 'match[]': 'rt_other' }), ['__name__', 'instance', 'job']);
  });

  it('GET /api/v1/label/<name>/values lists values, sorted, optionally filtered by match[]', async () => {
    assert.deepEqual(await apiData(node.url, '/api/v1/label/__name__/values'), ['rt_other', 'rt_values', 'rt_write_path']);
    assert.deepEqual(await apiData(node.url, '/api/v1/label/job/values'), ['a', 'b', 'c', 'w']);
    assert.deepEqual(await apiData(node.url, '/api/v1/label/job/values', { 'match[]': 'rt_other' }), ['b', 'c']);
    assert.deepEqual(await apiData(node.url, '/api/v1/label/nope/values'), []);
  });
});
