import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteRequestTemplate, varintLength, writeVarint } from './write-request-encoder.ts';
import { benchSeriesLabels } from './bench-series.ts';
import { decodeWriteRequest } from './reference-decoder.test-helper.ts';

test('WriteRequestTemplate.encode() produces the spec worked example byte for byte', () => {
  const t = new WriteRequestTemplate([[{ name: '__name__', value: 'up' }, { name: 'job', value: 'a' }]]);
  const bytes = t.encode(1000, [1.0]);
  const expected = Buffer.from(
    '0a280a0e0a085f5f6e616d655f5f120275700a080a036a6f62120161120c09000000000000f03f10e807',
    'hex',
  );
  assert.deepEqual(Buffer.from(bytes), expected);
});

test('WriteRequestTemplate.encode() round-trips through a reference protobuf decoder', () => {
  const series = Array.from({ length: 50 }, (_, s) => benchSeriesLabels(s));
  const t = new WriteRequestTemplate(series);
  const values = Float64Array.from(series, (_, i) => i * 1.5 - 3);
  // Timestamps of different varint lengths force a re-layout between calls.
  for (const ts of [1000, 1795604385000, 5, 1795604400000]) {
    const decoded = decodeWriteRequest(t.encode(ts, values));
    assert.equal(decoded.length, series.length);
    decoded.forEach((d, i) => {
      assert.deepEqual(d.labels, series[i]);
      assert.deepEqual(d.samples, [{ value: values[i], timestamp: ts }]);
    });
  }
});

test('WriteRequestTemplate.encode() keeps special float values bit-exact', () => {
  const t = new WriteRequestTemplate([[{ name: '__name__', value: 'x' }], [{ name: '__name__', value: 'y' }]]);
  // A Float64Array, not a JS array: V8 canonicalizes NaN payloads stored in double arrays.
  const values = new Float64Array(new BigUint64Array([0x7ff0000000000002n, 0n]).buffer);
  values[1] = Number.NEGATIVE_INFINITY;
  const bytes = t.encode(1, values);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idx = Buffer.from(bytes).indexOf(0x09);
  assert.equal(view.getBigUint64(idx + 1, true), 0x7ff0000000000002n);
  assert.equal(decodeWriteRequest(bytes)[1]!.samples[0]!.value, Number.NEGATIVE_INFINITY);
});

test('WriteRequestTemplate.encode() rejects bad timestamps and short value arrays', () => {
  const t = new WriteRequestTemplate([[{ name: '__name__', value: 'x' }]]);
  assert.throws(() => t.encode(-1, [1]), RangeError);
  assert.throws(() => t.encode(1.5, [1]), RangeError);
  assert.throws(() => t.encode(1, []), RangeError);
});

test('writeVarint() and varintLength() agree beyond 32 bits', () => {
  for (const n of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 7, 1795604385000, Number.MAX_SAFE_INTEGER]) {
    const buf = new Uint8Array(10);
    assert.equal(writeVarint(buf, 0, n), varintLength(n));
    let value = 0;
    let mul = 1;
    for (let i = 0; i < varintLength(n); i++) {
      value += (buf[i]! & 0x7f) * mul;
      mul *= 128;
    }
    assert.equal(value, n);
  }
});

test('benchSeriesLabels() gives unique, sorted label sets of the requested size', () => {
  const seen = new Set<string>();
  for (let s = 0; s < 5000; s++) {
    const labels = benchSeriesLabels(s);
    assert.equal(labels.length, 8);
    const names = labels.map((l) => l.name);
    assert.deepEqual(names, [...names].sort());
    seen.add(JSON.stringify(labels));
  }
  assert.equal(seen.size, 5000);
  assert.equal(benchSeriesLabels(7, 3).length, 3);
  assert.equal(benchSeriesLabels(7, 11).length, 11);
  assert.equal(benchSeriesLabels(42)[0]!.value, 'bench_metric_42');
});

test('WriteRequestTemplate.encode() matches the node\'s own remote-write codec (node/remote)', async () => {
  const { encodeWriteRequest } = await import('../../node/remote/write-request-encoder.ts');
  const { decodeWriteRequest: nodeDecode } = await import('../../node/remote/write-request-decoder.ts');
  const series = Array.from({ length: 30 }, (_, s) => benchSeriesLabels(s * 37));
  const values = Float64Array.from(series, (_, i) => 1 + i * 0.25);
  const ts = 1795604385000;
  const ours = new WriteRequestTemplate(series).encode(ts, values);
  const theirs = encodeWriteRequest({
    series: series.map((labels, i) => ({ labels, timestamps: [ts], values: [values[i]!] })),
  });
  assert.deepEqual(Buffer.from(ours), Buffer.from(theirs));
  const decoded = nodeDecode(ours);
  assert.equal(decoded.sampleCount, 30);
  decoded.series.forEach((s, i) => {
    assert.deepEqual(s.labels.map(({ name, value }) => ({ name, value })), series[i]);
    assert.deepEqual([...s.timestamps], [ts]);
    assert.deepEqual([...s.values], [values[i]]);
  });
});
