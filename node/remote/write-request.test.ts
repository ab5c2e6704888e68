import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWriteRequest } from './write-request-decoder.ts';
import { encodeWriteRequest } from './write-request-encoder.ts';
import { RemoteDecodeError } from './errors.ts';
import { METRIC_TYPE_NAMES, type MetricMetadata, type SeriesInput } from './types.ts';
import { FutureWriteRequestT, WriteRequestT, bitsOf, fromBits, rng, toObjectOptions } from './test-reference.ts';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((b) => parseInt(b, 16)));

// The worked example of shared/spec/remote-write.md section 6.
const EXAMPLE = hex('0a 28 0a 0e 0a 08 5f 5f 6e 61 6d 65 5f 5f 12 02 75 70 0a 08 0a 03 6a 6f 62 12 01 61 12 0c 09 00 00 00 00 00 00 f0 3f 10 e8 07');

test('decodes the worked example of the spec', () => {
  const req = decodeWriteRequest(EXAMPLE);
  assert.equal(req.series.length, 1);
  assert.deepEqual(req.series[0]!.labels, [{ name: '__name__', value: 'up' }, { name: 'job', value: 'a' }]);
  assert.deepEqual([...req.series[0]!.timestamps], [1000]);
  assert.deepEqual([...req.series[0]!.values], [1]);
  assert.equal(req.sampleCount, 1);
  assert.equal(req.metadata.length, 0);
});

test('encodes the worked example byte for byte', () => {
  const bytes = encodeWriteRequest({
    series: [{ labels: [{ name: '__name__', value: 'up' }, { name: 'job', value: 'a' }], timestamps: [1000], values: new Float64Array([1]) }],
  });
  assert.deepEqual(bytes, EXAMPLE);
});

test('an empty body is an empty request', () => {
  const req = decodeWriteRequest(new Uint8Array(0));
  assert.equal(req.series.length, 0);
  assert.equal(req.sampleCount, 0);
});

const ALPHABETS = ['abcxyz_ABC019', 'äöüßé', '日本語中文', '😀🚀𝄞', ' \t\n"\\{}=,', '\u0000\u007f'];

function randString(r: () => number, maxLen: number): string {
  const kind = r();
  if (kind < 0.1) return '';
  const len = kind < 0.15 ? 60 + Math.floor(r() * 200) : Math.floor(r() * maxLen) + 1;
  const alpha = ALPHABETS[Math.floor(r() * (kind < 0.6 ? 1 : ALPHABETS.length))]!;
  const chars = [...alpha];
  let s = '';
  for (let i = 0; i < len; i++) s += chars[Math.floor(r() * chars.length)]!;
  return s;
}

const SPECIAL_BITS: [number, number][] = [
  [0x7ff00000, 0x00000002], // stale marker
  [0x7ff80000, 0x00000000], // canonical quiet NaN
  [0x7ff80000, 0x00000001], // NaN with payload
  [0xfff80000, 0x00000000], // negative NaN
  [0x7ff00000, 0x00000000], // +Inf
  [0xfff00000, 0x00000000], // -Inf
  [0x80000000, 0x00000000], // -0
  [0x00000000, 0x00000001], // smallest subnormal
  [0x7fefffff, 0xffffffff], // max double
];

function randValue(r: () => number): number {
  const k = r();
  if (k < 0.3) {
    const [hi, lo] = SPECIAL_BITS[Math.floor(r() * SPECIAL_BITS.length)]!;
    return fromBits(hi, lo);
  }
  if (k < 0.5) return Math.floor(r() * 1000);
  return (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
}

function randTimestamp(r: () => number): number {
  const k = r();
  if (k < 0.1) return 0;
  if (k < 0.2) return -Math.floor(r() * 2 ** 40);
  if (k < 0.25) return Number.MAX_SAFE_INTEGER - Math.floor(r() * 1000);
  if (k < 0.3) return Number.MIN_SAFE_INTEGER + Math.floor(r() * 1000);
  if (k < 0.35) return Math.floor(r() * 2 ** 31);
  return 1_700_000_000_000 + Math.floor(r() * 1e9);
}

interface RandomRequest {
  /** Plain object for protobufjs. */
  pb: Record<string, unknown>;
  series: { labels: { name: string; value: string }[]; timestamps: number[]; values: Float64Array; exemplars: number; histograms: number }[];
  metadata: MetricMetadata[];
}

function randomRequest(r: () => number): RandomRequest {
  const nSeries = Math.floor(r() * 6);
  const series: RandomRequest['series'] = [];
  const pbSeries: unknown[] = [];
  for (let i = 0; i < nSeries; i++) {
    const labels = Array.from({ length: Math.floor(r() * 5) }, () => ({ name: randString(r, 12), value: randString(r, 20) }));
    const n = Math.floor(r() * 5);
    const values = new Float64Array(n);
    const timestamps: number[] = [];
    for (let j = 0; j < n; j++) {
      values[j] = randValue(r);
      timestamps.push(randTimestamp(r));
    }
    const exemplars = Array.from({ length: Math.floor(r() * 3) }, () => ({
      labels: [{ name: 'trace_id', value: randString(r, 16) }],
      value: randValue(r),
      timestamp: randTimestamp(r),
    }));
    const histograms = Array.from({ length: Math.floor(r() * 3) }, () =>
      r() < 0.5
        ? { count_int: 5, sum: 1.5, schema: -2, zero_threshold: 1e-3, zero_count_int: 1, positive_spans: [{ offset: -1, length: 2 }], positive_deltas: [2, -1], reset_hint: 1, timestamp: randTimestamp(r) }
        : { count_float: 0, sum: 3, schema: -53, negative_spans: [{ offset: 3, length: 1 }], negative_counts: [1.5], custom_values: [0.1, 1, 10], timestamp: randTimestamp(r) },
    );
    series.push({ labels, timestamps, values, exemplars: exemplars.length, histograms: histograms.length });
    pbSeries.push({ labels, samples: timestamps.map((t, j) => ({ value: values[j], timestamp: t })), exemplars, histograms });
  }
  const metadata: MetricMetadata[] = Array.from({ length: Math.floor(r() * 3) }, () => ({
    type: METRIC_TYPE_NAMES[Math.floor(r() * METRIC_TYPE_NAMES.length)]!,
    metricFamilyName: randString(r, 20),
    help: randString(r, 80),
    unit: randString(r, 5),
  }));
  const pbMeta = metadata.map((m) => ({ type: METRIC_TYPE_NAMES.indexOf(m.type), metric_family_name: m.metricFamilyName, help: m.help, unit: m.unit }));
  return { pb: { timeseries: pbSeries, metadata: pbMeta }, series, metadata };
}

function assertSameBits(actual: Float64Array, expected: Float64Array, msg: string): void {
  assert.equal(actual.length, expected.length, msg);
  for (let i = 0; i < expected.length; i++) assert.deepEqual(bitsOf(actual, i), bitsOf(expected, i), `${msg}: value ${i}`);
}

test('decodes random requests encoded by protobufjs identically, keeping NaN bits', () => {
  const r = rng(42);
  for (let iter = 0; iter < 400; iter++) {
    const want = randomRequest(r);
    const bytes = WriteRequestT.encode(WriteRequestT.fromObject(want.pb)).finish();
    const got = decodeWriteRequest(bytes, { intern: iter % 2 === 0 });
    assert.equal(got.series.length, want.series.length);
    let samples = 0;
    for (let i = 0; i < want.series.length; i++) {
      const g = got.series[i]!;
      const w = want.series[i]!;
      assert.deepEqual(g.labels, w.labels);
      assert.deepEqual([...g.timestamps], w.timestamps);
      assertSameBits(g.values, w.values, `iteration ${iter} series ${i}`);
      assert.equal(g.exemplarCount, w.exemplars);
      assert.equal(g.histogramCount, w.histograms);
      assert.equal(g.sampleOffset, samples);
      samples += w.timestamps.length;
    }
    assert.equal(got.sampleCount, samples);
    assert.deepEqual(got.metadata, want.metadata);
  }
});

test('our encoder output decodes identically with protobufjs', () => {
  const r = rng(7);
  for (let iter = 0; iter < 300; iter++) {
    const want = randomRequest(r);
    const series: SeriesInput[] = want.series.map((s) => ({ labels: s.labels, timestamps: s.timestamps, values: s.values }));
    const bytes = encodeWriteRequest({ series, metadata: want.metadata });
    const obj = WriteRequestT.toObject(WriteRequestT.decode(bytes), toObjectOptions) as {
      timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: number }[] }[];
      metadata: { type: number; metric_family_name: string; help: string; unit: string }[];
    };
    assert.equal(obj.timeseries.length, want.series.length);
    for (let i = 0; i < want.series.length; i++) {
      const s = obj.timeseries[i]!;
      assert.deepEqual(s.labels, want.series[i]!.labels);
      assert.deepEqual(s.samples.map((x) => x.timestamp), want.series[i]!.timestamps);
      // Copy into a Float64Array element by element: a plain JS array of doubles would quiet signalling NaNs.
      const vals = new Float64Array(s.samples.length);
      for (let j = 0; j < vals.length; j++) vals[j] = s.samples[j]!.value;
      assertSameBits(vals, want.series[i]!.values, `iteration ${iter} series ${i}`);
    }
    assert.deepEqual(
      obj.metadata.map((m) => ({ type: METRIC_TYPE_NAMES[m.type], metricFamilyName: m.metric_family_name, help: m.help, unit: m.unit })),
      want.metadata,
    );
    // And our own decoder reads our encoder back.
    const back = decodeWriteRequest(bytes);
    for (let i = 0; i < want.series.length; i++) assertSameBits(back.series[i]!.values, want.series[i]!.values, `round trip ${iter}`);
  }
});

test('encodes exemplars that protobufjs reads back', () => {
  const bytes = encodeWriteRequest({
    series: [{ labels: [{ name: '__name__', value: 'x' }], timestamps: [1], values: [2], exemplars: [{ labels: [{ name: 'trace_id', value: 'abc' }], value: 0.5, timestamp: -7 }] }],
  });
  const obj = WriteRequestT.toObject(WriteRequestT.decode(bytes), toObjectOptions) as { timeseries: { exemplars: unknown[] }[] };
  assert.deepEqual(obj.timeseries[0]!.exemplars, [{ labels: [{ name: 'trace_id', value: 'abc' }], value: 0.5, timestamp: -7 }]);
  assert.equal(decodeWriteRequest(bytes).series[0]!.exemplarCount, 1);
});

test('many samples grow the columns and keep values bit-exact', () => {
  const n = 5000;
  const values = new Float64Array(n);
  const timestamps: number[] = [];
  for (let i = 0; i < n; i++) {
    values[i] = i % 7 === 0 ? fromBits(0x7ff00000, 2) : i * 0.25;
    timestamps.push(1_700_000_000_000 + i * 15_000);
  }
  const series = [
    { labels: [{ name: '__name__', value: 'a' }], timestamps: timestamps.slice(0, 10), values: values.subarray(0, 10) },
    { labels: [{ name: '__name__', value: 'b' }], timestamps: timestamps.slice(10), values: values.subarray(10) },
  ];
  const got = decodeWriteRequest(encodeWriteRequest({ series }));
  assertSameBits(got.values, values, 'all values');
  assert.deepEqual([...got.timestamps], timestamps);
  assert.equal(got.series[1]!.sampleOffset, 10);
  assert.equal(got.series[1]!.values.length, n - 10);
});

test('skips unknown fields of every wire type', () => {
  const r = rng(3);
  for (let iter = 0; iter < 50; iter++) {
    const want = randomRequest(r);
    const pb = {
      extra_string: 'future',
      extra_fixed32: 77,
      extra_varint: 2 ** 40,
      metadata: want.pb.metadata,
      timeseries: want.series.map((s) => ({
        labels: s.labels.map((l) => ({ ...l, extra: -5 })),
        samples: s.timestamps.map((t, j) => ({ value: s.values[j], timestamp: t, created: -1, payload: new Uint8Array([1, 2, 3]) })),
        extra_fixed64: 12345,
        extra_packed: [1, -1, 300],
        extra_message: { name: 'x', value: 'y' },
      })),
    };
    const got = decodeWriteRequest(FutureWriteRequestT.encode(FutureWriteRequestT.fromObject(pb)).finish());
    assert.equal(got.series.length, want.series.length);
    for (let i = 0; i < want.series.length; i++) {
      assert.deepEqual(got.series[i]!.labels, want.series[i]!.labels);
      assert.deepEqual([...got.series[i]!.timestamps], want.series[i]!.timestamps);
      assertSameBits(got.series[i]!.values, want.series[i]!.values, 'future');
    }
    assert.deepEqual(got.metadata, want.metadata);
  }
});

test('skips unknown groups (wire types 3 and 4)', () => {
  // field 9 start group, inside: field 1 varint 5, nested group 2 { }, end group 9; then the example.
  const group = Uint8Array.from([0x4b, 0x08, 0x05, 0x13, 0x14, 0x4c]);
  const got = decodeWriteRequest(Uint8Array.from([...group, ...EXAMPLE]));
  assert.equal(got.series.length, 1);
  assert.throws(() => decodeWriteRequest(Uint8Array.from([0x4b, 0x08, 0x05])), RemoteDecodeError);
  assert.throws(() => decodeWriteRequest(Uint8Array.from([0x4b, 0x54])), /mismatched end of group 10/);
  assert.throws(() => decodeWriteRequest(Uint8Array.from([0x4c])), /unexpected end of group 9/);
});

function decodeError(bytes: Uint8Array | number[]): RemoteDecodeError {
  try {
    decodeWriteRequest(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes));
  } catch (err) {
    assert.ok(err instanceof RemoteDecodeError, `expected RemoteDecodeError, got ${err}`);
    assert.equal(err.httpStatus, 400);
    assert.equal(err.code, 'REMOTE_DECODE');
    return err;
  }
  assert.fail('expected a RemoteDecodeError');
}

test('malformed input errors name the field and byte offset', () => {
  let e = decodeError([0x0a, 0x05, 0x0a]);
  assert.equal(e.field, 'WriteRequest.timeseries');
  assert.equal(e.offset, 1);
  assert.match(e.message, /^Invalid protobuf message: declared length 5 exceeds the 1 bytes remaining: field WriteRequest\.timeseries at byte offset 1$/);

  // A "negative" length: 10-byte varint of -1.
  e = decodeError([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.match(e.message, /declared length \d+ exceeds/);

  // Absurd length of 2^35 in a series' label.
  e = decodeError([0x0a, 0x06, 0x0a, 0x80, 0x80, 0x80, 0x80, 0x7f]);
  assert.equal(e.field, 'WriteRequest.timeseries.labels');
  assert.equal(e.offset, 3);

  // Wrong wire type for timeseries (varint instead of LEN).
  e = decodeError([0x08, 0x01]);
  assert.match(e.message, /wrong wire type 0, expected 2/);
  assert.equal(e.field, 'WriteRequest.timeseries');

  // Sample value sent as varint.
  e = decodeError([0x0a, 0x04, 0x12, 0x02, 0x08, 0x01]);
  assert.equal(e.field, 'WriteRequest.timeseries.samples.value');
  assert.equal(e.offset, 4);

  // Truncated double.
  e = decodeError([0x0a, 0x06, 0x12, 0x04, 0x09, 0, 0, 0]);
  assert.equal(e.field, 'WriteRequest.timeseries.samples.value');

  // Field number 0 and wire types 6/7.
  assert.match(decodeError([0x02, 0x00]).message, /invalid field number 0/);
  assert.match(decodeError([0x0e]).message, /invalid wire type 6/);
  assert.match(decodeError([0x0f]).message, /invalid wire type 7/);

  // Over-long varint (11 bytes).
  e = decodeError([0x0a, 0x0d, 0x12, 0x0b, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  assert.equal(e.field, 'WriteRequest.timeseries.samples.timestamp');

  // Invalid UTF-8 in a label name.
  e = decodeError([0x0a, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0xc3, 0x28]);
  assert.equal(e.field, 'WriteRequest.timeseries.labels.name');
  assert.match(e.message, /invalid UTF-8/);

  // Timestamp outside the safe integer range (2^62).
  e = decodeError([0x0a, 0x0c, 0x12, 0x0a, 0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]);
  assert.match(e.message, /outside the safe integer range/);
});

test('decodes from a subarray at a non-zero offset and with many distinct strings (intern collisions)', () => {
  const series = Array.from({ length: 10_000 }, (_, i) => ({
    labels: [
      { name: '__name__', value: `m${i % 7}` },
      { name: 'id', value: `v${i}` },
      { name: 'long', value: `${'y'.repeat(i % 80)}${i}` },
    ],
    timestamps: [i],
    values: [i],
  }));
  const bytes = encodeWriteRequest({ series });
  const padded = new Uint8Array(bytes.length + 5);
  padded.set(bytes, 3);
  const got = decodeWriteRequest(padded.subarray(3, 3 + bytes.length));
  assert.equal(got.series.length, series.length);
  for (let i = 0; i < series.length; i++) assert.deepEqual(got.series[i]!.labels, series[i]!.labels);
});
