import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWriteRequest } from './write-request-decoder.ts';
import { encodeWriteRequest } from './write-request-encoder.ts';
import { ProtoWriter, WIRE_I64, WIRE_VARINT } from './proto-writer.ts';
import { SeriesLabelsCache } from './series-labels-cache.ts';
import type { SeriesInput } from './types.ts';

function series(n: number, t: number): SeriesInput[] {
  const out: SeriesInput[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      labels: [
        { name: '__name__', value: `m_${i % 3}` },
        { name: 'instance', value: `host-${i}:9100` },
        { name: 'job', value: 'node' },
      ],
      timestamps: [t],
      values: new Float64Array([i]),
    });
  }
  return out;
}

test('a known series decodes to the same labels array and id as before', () => {
  const cache = new SeriesLabelsCache();
  const a = decodeWriteRequest(encodeWriteRequest({ series: series(50, 1000) }), { labelsCache: cache });
  const b = decodeWriteRequest(encodeWriteRequest({ series: series(50, 2000) }), { labelsCache: cache });
  const plain = decodeWriteRequest(encodeWriteRequest({ series: series(50, 2000) }));
  assert.equal(cache.size, 50);
  for (let i = 0; i < 50; i++) {
    assert.equal(b.series[i]!.labels, a.series[i]!.labels, `series ${i} reuses the cached array`);
    assert.equal(b.series[i]!.labelsId, a.series[i]!.labelsId);
    assert.ok(b.series[i]!.labelsId >= 0);
    assert.deepEqual(b.series[i]!.labels, plain.series[i]!.labels);
    assert.equal(plain.series[i]!.labelsId, -1);
    assert.deepEqual([...b.series[i]!.timestamps], [2000]);
    assert.deepEqual([...b.series[i]!.values], [i]);
    assert.equal(b.series[i]!.sampleCount, 1);
    assert.equal(b.series[i]!.columnTimestamps, b.timestamps);
  }
  // Pairs shared by many series are one object.
  assert.equal(b.series[0]!.labels[2], b.series[1]!.labels[2]);
  assert.notEqual(b.series[0]!.labels, b.series[1]!.labels);
});

test('label fields after a sample are decoded, and neither cached nor added to a cached array', () => {
  const cache = new SeriesLabelsCache();
  const encodeOdd = (extraValue: string): Uint8Array => {
    const w = new ProtoWriter();
    const ts = w.fork(1);
    const l1 = w.fork(1);
    w.stringField(1, '__name__');
    w.stringField(2, 'up');
    w.join(l1);
    const s = w.fork(2);
    w.tag(1, WIRE_I64);
    w.double(1);
    w.tag(2, WIRE_VARINT);
    w.int64(5);
    w.join(s);
    const l2 = w.fork(1);
    w.stringField(1, 'job');
    w.stringField(2, extraValue);
    w.join(l2);
    w.join(ts);
    return w.finish();
  };
  // Prime the cache with the leading label alone.
  decodeWriteRequest(encodeWriteRequest({ series: [{ labels: [{ name: '__name__', value: 'up' }], timestamps: [1], values: [1] }] }), { labelsCache: cache });
  const cached = decodeWriteRequest(encodeWriteRequest({ series: [{ labels: [{ name: '__name__', value: 'up' }], timestamps: [2], values: [1] }] }), { labelsCache: cache }).series[0]!.labels;
  assert.equal(cache.size, 1);
  const odd = decodeWriteRequest(encodeOdd('a'), { labelsCache: cache }).series[0]!;
  assert.deepEqual(odd.labels, [{ name: '__name__', value: 'up' }, { name: 'job', value: 'a' }]);
  assert.equal(odd.labelsId, -1);
  assert.deepEqual(cached, [{ name: '__name__', value: 'up' }], 'the cached array is never mutated');
  assert.equal(cache.size, 1);
});

test('reaching the entry budget clears the cache and decoding stays correct', () => {
  const cache = new SeriesLabelsCache({ maxEntries: 16 });
  for (let round = 0; round < 3; round++) {
    const got = decodeWriteRequest(encodeWriteRequest({ series: series(40, round) }), { labelsCache: cache });
    const want = decodeWriteRequest(encodeWriteRequest({ series: series(40, round) }));
    for (let i = 0; i < 40; i++) assert.deepEqual(got.series[i]!.labels, want.series[i]!.labels);
  }
  assert.ok(cache.clears > 0);
  assert.ok(cache.size <= 16);
});

test('growth keeps earlier entries; any valid encoding (UTF-8, unusual field order) is cached by its bytes', () => {
  const many = series(5000, 1);
  const cache = new SeriesLabelsCache();
  const a = decodeWriteRequest(encodeWriteRequest({ series: many }), { labelsCache: cache });
  const b = decodeWriteRequest(encodeWriteRequest({ series: many }), { labelsCache: cache });
  assert.equal(cache.clears, 0);
  assert.equal(cache.size, 5000);
  for (let i = 0; i < many.length; i++) assert.equal(b.series[i]!.labels, a.series[i]!.labels);

  const utf8 = [{ name: 'city', value: 'Zürich' }];
  const u1 = decodeWriteRequest(encodeWriteRequest({ series: [{ labels: utf8, timestamps: [1], values: [1] }] }), { labelsCache: cache });
  const u2 = decodeWriteRequest(encodeWriteRequest({ series: [{ labels: utf8, timestamps: [2], values: [1] }] }), { labelsCache: cache });
  assert.deepEqual(u2.series[0]!.labels, utf8);
  assert.equal(u2.series[0]!.labels, u1.series[0]!.labels);

  // Value before name inside the Label message: valid protobuf, decoded right both times.
  const w = new ProtoWriter();
  const ts = w.fork(1);
  const l = w.fork(1);
  w.stringField(2, 'node');
  w.stringField(1, 'job');
  w.join(l);
  w.join(ts);
  const bytes = w.finish();
  for (let k = 0; k < 2; k++) assert.deepEqual(decodeWriteRequest(bytes, { labelsCache: cache }).series[0]!.labels, [{ name: 'job', value: 'node' }]);
});

test('the byte budget bounds the cache', () => {
  const cache = new SeriesLabelsCache({ maxBytes: 4096 });
  const many = series(2000, 1);
  const first = decodeWriteRequest(encodeWriteRequest({ series: many }), { labelsCache: cache });
  assert.ok(cache.clears > 0, 'a 4 KiB budget cannot hold 2000 series');
  const again = decodeWriteRequest(encodeWriteRequest({ series: many }), { labelsCache: cache });
  for (let i = 0; i < many.length; i++) assert.deepEqual(again.series[i]!.labels, first.series[i]!.labels);
});

test('invalid UTF-8 in a label is still rejected once similar series are cached', () => {
  const cache = new SeriesLabelsCache();
  decodeWriteRequest(encodeWriteRequest({ series: series(3, 1) }), { labelsCache: cache });
  const w = new ProtoWriter();
  const ts = w.fork(1);
  const l = w.fork(1);
  w.stringField(1, 'job');
  w.bytesField(2, Uint8Array.of(0xc3, 0x28));
  w.join(l);
  w.join(ts);
  assert.throws(() => decodeWriteRequest(w.finish(), { labelsCache: cache }), /invalid UTF-8/);
  assert.equal(cache.size, 3);
});

test('label() hands out one object per name/value pair', () => {
  const cache = new SeriesLabelsCache();
  const a = cache.label('job', 'node');
  assert.equal(cache.label('job', 'node'), a);
  assert.deepEqual(cache.label('job', 'other'), { name: 'job', value: 'other' });
});
