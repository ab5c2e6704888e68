import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareLabels, getLabel, labelsFromObject, labelsKey, type Labels } from '../../query/model/labels.ts';
import { matches, newMatcher, type Matcher, type MatchType } from '../../query/model/matchers.ts';
import { staleNaN, isStaleNaN } from '../../query/model/samples.ts';
import { Head } from './head.ts';
import { MemSeries } from './series.ts';
import { hashLabels, SeriesTable } from './series-table.ts';

const T0 = 1_700_000_000_000;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

test('Head postings select the same series as a brute-force scan on random data', async () => {
  const rnd = rng(1);
  const head = new Head();
  const all: Labels[] = [];
  const seen = new Set<string>();
  const names = ['a', 'b', 'c', 'd'];
  const values = ['', 'x', 'y', 'z', 'xy', 'foo-1', 'foo-2'];
  for (let i = 0; i < 600; i++) {
    const obj: Record<string, string> = { __name__: rnd() < 0.5 ? 'm1' : 'm2' };
    for (const n of names) obj[n] = values[Math.floor(rnd() * values.length)]!;
    const ls = labelsFromObject(obj);
    if (seen.has(labelsKey(ls))) continue;
    seen.add(labelsKey(ls));
    all.push(ls);
    head.append('t', [{ labels: ls, timestamps: [T0 + i], values: [i] }]);
  }
  const q = head.querier('t');
  const regexes = ['x|y', 'x.*', '.*', '.+', 'foo-.', '', 'x|', 'zz', 'y|xy|foo-2'];
  const types: MatchType[] = ['=', '!=', '=~', '!~'];
  for (let round = 0; round < 400; round++) {
    const ms: Matcher[] = [];
    const k = 1 + Math.floor(rnd() * 3);
    for (let j = 0; j < k; j++) {
      const type = types[Math.floor(rnd() * 4)]!;
      const name = rnd() < 0.15 ? '__name__' : rnd() < 0.1 ? 'missing' : names[Math.floor(rnd() * names.length)]!;
      const value = type === '=~' || type === '!~' ? regexes[Math.floor(rnd() * regexes.length)]! : rnd() < 0.2 ? 'm1' : values[Math.floor(rnd() * values.length)]!;
      ms.push(newMatcher(type, name, value));
    }
    const want = all.filter((ls) => ms.every((m) => matches(m, getLabel(ls, m.name)))).sort(compareLabels);
    const got = await q.series(ms, { start: T0, end: T0 + 10_000 });
    assert.deepEqual(got.map(labelsKey), want.map(labelsKey), `matchers ${JSON.stringify(ms.map((m) => [m.name, m.type, m.value]))}`);
    const wantNames = [...new Set(want.flatMap((ls) => ls.map((l) => l.name)))].sort();
    assert.deepEqual(await q.labelNames(ms, { start: T0, end: T0 + 10_000 }), wantNames);
    const wantValues = [...new Set(want.map((ls) => getLabel(ls, 'a')).filter((v) => v !== ''))].sort();
    assert.deepEqual(await q.labelValues('a', ms, { start: T0, end: T0 + 10_000 }), wantValues);
  }
  // Time range restricts series and label APIs too.
  const early = await q.series([newMatcher('=~', '__name__', 'm.')], { start: T0, end: T0 + 9 });
  assert.equal(early.length, 10);
  assert.deepEqual(await q.labelValues('__name__', [], { start: T0 + 100_000, end: T0 + 200_000 }), []);
});

test('Head rejects out-of-order, changed duplicates and too-old samples and keeps the rest of the batch', async () => {
  const head = new Head({ headRetentionMs: 3600_000 });
  const a = labelsFromObject({ __name__: 'up', job: 'a' });
  const b = labelsFromObject({ __name__: 'up', job: 'b' });
  let r = head.append('t', [{ labels: a, timestamps: [T0, T0 + 15000], values: [1, 2] }]);
  assert.equal(r.result.accepted, 2);
  r = head.append('t', [
    { labels: a, timestamps: [T0 + 15000, T0 + 15000, T0 + 5000, T0 + 30000, T0 - 2 * 3600_000], values: [2, 3, 9, 4, 1] },
    { labels: b, timestamps: [T0 + 1000, T0 - 3600_001], values: [7, 8] },
  ]);
  assert.equal(r.result.accepted, 2);
  assert.equal(r.result.duplicates, 1);
  assert.equal(r.result.rejected, 4);
  assert.deepEqual(r.result.reasons, { 'new-value-for-timestamp': 1, 'sample-out-of-order': 1, 'sample-out-of-bounds': 2 });
  assert.equal(r.result.messages.length, 4);
  assert.match(r.result.messages.join('\n'), /Sample out of order: timestamp 1700000005000 .*up\{job="a"\}/);
  const got = await head.querier('t').select([newMatcher('=', '__name__', 'up')], { start: T0 - 1e9, end: T0 + 1e9 });
  assert.deepEqual(got.map((s) => [getLabel(s.labels, 'job'), Array.from(s.timestamps), Array.from(s.values)]), [
    ['a', [T0, T0 + 15000, T0 + 30000], [1, 2, 4]],
    ['b', [T0 + 1000], [7]],
  ]);
});

test('Head series limits reject whole series per user and per metric', () => {
  const head = new Head();
  const mk = (name: string, i: number) => ({ labels: labelsFromObject({ __name__: name, i: String(i) }), timestamps: [T0], values: [1] });
  let r = head.append('t', [mk('a', 1), mk('a', 2), mk('a', 3), mk('b', 1)], { maxSeriesPerMetric: 2 });
  assert.deepEqual(r.result.reasons, { 'per-metric-series-limit': 1 });
  r = head.append('t', [mk('c', 1), mk('c', 2), mk('a', 1)], { maxSeriesPerUser: 4 });
  assert.deepEqual(r.result.reasons, { 'per-user-series-limit': 1 });
  assert.equal(r.result.duplicates, 1);
  assert.equal(head.get('t')!.seriesCount, 4);
});

test('Head cuts chunks at 120 samples and at window boundaries and reads ranges inclusively', async () => {
  const head = new Head({ chunkWindowMs: 3600_000 });
  const ls = labelsFromObject({ __name__: 'x' });
  const ts: number[] = [];
  const vs: number[] = [];
  const start = 1_700_000_000_000 - (1_700_000_000_000 % 3600_000); // window-aligned
  for (let i = 0; i < 1000; i++) {
    ts.push(start + i * 10_000);
    vs.push(i * 0.5);
  }
  // Float64Array: V8 canonicalises NaN payloads stored in plain double arrays.
  const values = Float64Array.from(vs);
  values[500] = staleNaN();
  head.append('t', [{ labels: ls, timestamps: ts, values }]);
  const s = head.get('t')!.getByLabels(ls)!;
  // 360 samples per hour window → 120,120,120 per window; 1000 samples → 9 chunks.
  assert.equal(s.closed!.length + 1, 9);
  for (const c of s.closed!) assert.ok(Math.floor(c.minT / 3600_000) === Math.floor(c.maxT / 3600_000));
  const got = await head.querier('t').select([newMatcher('=', '__name__', 'x')], { start: ts[100]!, end: ts[600]! });
  assert.equal(got.length, 1);
  assert.deepEqual(Array.from(got[0]!.timestamps), ts.slice(100, 601));
  assert.ok(isStaleNaN(got[0]!.values[400]!));
  assert.equal(got[0]!.values[0], 50);
});

test('Head.dropBefore drops old chunks and empty series from table and index', async () => {
  const head = new Head();
  const old = labelsFromObject({ __name__: 'old', job: 'x' });
  const live = labelsFromObject({ __name__: 'live', job: 'x' });
  const ts = Array.from({ length: 600 }, (_, i) => T0 + i * 15000);
  head.append('t', [
    { labels: old, timestamps: [T0, T0 + 1000], values: [1, 2] },
    { labels: live, timestamps: ts, values: ts.map((_, i) => i) },
  ]);
  const removed = head.dropBefore(ts[300]!);
  assert.deepEqual([...removed.get('t')!], [1]);
  const q = head.querier('t');
  assert.deepEqual(await q.labelValues('__name__', [], { start: 0, end: Infinity }), ['live']);
  const got = await q.select([newMatcher('=', 'job', 'x')], { start: 0, end: Infinity });
  assert.equal(got.length, 1);
  // Chunk granularity: the chunk holding ts[300] survives, older ones are gone.
  assert.equal(got[0]!.timestamps[0], ts[240]);
  assert.equal(got[0]!.timestamps.length, 360);
  // Data below the cut-off is now out of bounds.
  const r = head.append('t', [{ labels: old, timestamps: [T0 + 2000], values: [1] }]);
  assert.deepEqual(r.result.reasons, { 'sample-out-of-bounds': 1 });
});

test('Head queriers are isolated per tenant', async () => {
  const head = new Head();
  head.append('A', [{ labels: labelsFromObject({ __name__: 'm', secret: 'a' }), timestamps: [T0], values: [1] }]);
  head.append('B', [{ labels: labelsFromObject({ __name__: 'm', other: 'b' }), timestamps: [T0], values: [2] }]);
  const qa = head.querier('A');
  const hints = { start: 0, end: Infinity };
  assert.deepEqual(await qa.labelNames([], hints), ['__name__', 'secret']);
  assert.deepEqual(await qa.labelValues('other', [], hints), []);
  const sel = await qa.select([newMatcher('=', '__name__', 'm')], hints);
  assert.deepEqual(sel.map((s) => Array.from(s.values)), [[1]]);
  assert.deepEqual(await head.querier('C').select([newMatcher('=', '__name__', 'm')], hints), []);
});

test('SeriesTable keeps label sets that share a hash apart', () => {
  const table = new SeriesTable();
  const a = new MemSeries(1, labelsFromObject({ __name__: 'a' }), 42);
  const b = new MemSeries(2, labelsFromObject({ __name__: 'b' }), 42);
  table.add(a, 42);
  table.add(b, 42);
  assert.equal(table.get(labelsFromObject({ __name__: 'a' }), 42), a);
  assert.equal(table.get(labelsFromObject({ __name__: 'b' }), 42), b);
  assert.equal(table.get(labelsFromObject({ __name__: 'c' }), 42), undefined);
  table.delete(a, 42);
  assert.equal(table.get(labelsFromObject({ __name__: 'a' }), 42), undefined);
  assert.equal(table.get(labelsFromObject({ __name__: 'b' }), 42), b);
  assert.equal(table.size, 1);
  assert.notEqual(hashLabels(labelsFromObject({ a: 'bc' })), hashLabels(labelsFromObject({ ab: 'c' })));
});

test('Head rejects non-integer and infinite timestamps as out of bounds and validates column lengths', () => {
  const head = new Head();
  const ls = labelsFromObject({ __name__: 'x' });
  const r = head.append('t', [{ labels: ls, timestamps: [T0 + 0.5, Infinity, T0], values: [1, 2, 3] }]);
  assert.equal(r.result.accepted, 1);
  assert.deepEqual(r.result.reasons, { 'sample-out-of-bounds': 2 });
  assert.throws(() => head.append('t', [{ labels: ls, timestamps: [T0 + 1], values: [] }]), TypeError);
});

test('Head bounds check ignores samples from the future when given the current time', () => {
  const head = new Head({ headRetentionMs: 3600_000 });
  const ls = labelsFromObject({ __name__: 'x' });
  const other = labelsFromObject({ __name__: 'y' });
  head.append('t', [{ labels: ls, timestamps: [T0 + 365 * 86400_000], values: [1] }], {}, T0);
  const third = labelsFromObject({ __name__: 'z' });
  const r = head.append('t', [
    { labels: other, timestamps: [T0 - 1000], values: [1] },
    { labels: third, timestamps: [T0 - 2 * 3600_000], values: [2] },
  ], {}, T0);
  assert.equal(r.result.accepted, 1);
  assert.deepEqual(r.result.reasons, { 'sample-out-of-bounds': 1 });
});
