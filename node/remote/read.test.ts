import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileMatchers,
  decodeReadRequest,
  encodeReadRequest,
  RESPONSE_TYPE_SAMPLES,
  RESPONSE_TYPE_STREAMED_XOR_CHUNKS,
} from './read-request.ts';
import { decodeReadResponse, encodeReadResponse } from './read-response.ts';
import { RemoteDecodeError } from './errors.ts';
import { StoreError } from '../core/errors.ts';
import { ReadRequestT, ReadResponseT, bitsOf, fromBits, toObjectOptions } from './test-reference.ts';

test('decodes a ReadRequest encoded by protobufjs', () => {
  const bytes = ReadRequestT.encode(
    ReadRequestT.fromObject({
      queries: [
        {
          start_timestamp_ms: 1_700_000_000_000,
          end_timestamp_ms: 1_700_000_300_000,
          matchers: [
            { type: 0, name: '__name__', value: 'up' },
            { type: 1, name: 'job', value: '' },
            { type: 2, name: 'instance', value: 'a.*' },
            { type: 3, name: 'env', value: 'dev|test' },
          ],
          hints: { step_ms: 15000, func: 'rate', start_ms: 1, end_ms: 2, grouping: ['job', 'le'], by: true, range_ms: 300000 },
        },
        { start_timestamp_ms: -5, end_timestamp_ms: 0, matchers: [{ type: 0, name: 'a', value: 'ü' }] },
      ],
      accepted_response_types: [1, 0],
    }),
  ).finish();
  const req = decodeReadRequest(bytes);
  assert.deepEqual(req.acceptedResponseTypes, [RESPONSE_TYPE_STREAMED_XOR_CHUNKS, RESPONSE_TYPE_SAMPLES]);
  assert.equal(req.queries.length, 2);
  const q = req.queries[0]!;
  assert.equal(q.startMs, 1_700_000_000_000);
  assert.equal(q.endMs, 1_700_000_300_000);
  assert.deepEqual(q.matchers, [
    { type: '=', name: '__name__', value: 'up' },
    { type: '!=', name: 'job', value: '' },
    { type: '=~', name: 'instance', value: 'a.*' },
    { type: '!~', name: 'env', value: 'dev|test' },
  ]);
  assert.deepEqual(q.hints, { stepMs: 15000, func: 'rate', startMs: 1, endMs: 2, grouping: ['job', 'le'], by: true, rangeMs: 300000 });
  assert.deepEqual(req.queries[1], { startMs: -5, endMs: 0, matchers: [{ type: '=', name: 'a', value: 'ü' }], hints: null });
  const compiled = compileMatchers(q);
  assert.ok(compiled[2]!.re!.test('abc'));
  assert.ok(!compiled[2]!.re!.test('xabc'));
});

test('accepts unpacked accepted_response_types', () => {
  // field 2 as two separate varints: 10 01 10 00
  assert.deepEqual(decodeReadRequest(Uint8Array.from([0x10, 0x01, 0x10, 0x00])).acceptedResponseTypes, [1, 0]);
});

test('our ReadRequest encoder round-trips through protobufjs', () => {
  const input = {
    queries: [
      {
        startMs: 10,
        endMs: 2 ** 45,
        matchers: [{ type: '=~' as const, name: 'job', value: '.+' }, { type: '=' as const, name: '__name__', value: 'up' }],
        hints: { stepMs: 60000, func: 'sum', startMs: 3, endMs: 4, grouping: ['x'], by: false, rangeMs: 0 },
      },
    ],
    acceptedResponseTypes: [RESPONSE_TYPE_SAMPLES],
  };
  const bytes = encodeReadRequest(input);
  const obj = ReadRequestT.toObject(ReadRequestT.decode(bytes), toObjectOptions) as Record<string, unknown>;
  assert.deepEqual(obj, {
    queries: [
      {
        start_timestamp_ms: 10,
        end_timestamp_ms: 2 ** 45,
        matchers: [{ type: 2, name: 'job', value: '.+' }, { type: 0, name: '__name__', value: 'up' }],
        hints: { step_ms: 60000, func: 'sum', start_ms: 3, end_ms: 4, grouping: ['x'], by: false, range_ms: 0 },
      },
    ],
    accepted_response_types: [0],
  });
  assert.deepEqual(decodeReadRequest(bytes).queries[0]!.matchers, input.queries[0]!.matchers);
});

test('rejects unknown matcher types and invalid regexes', () => {
  const bytes = ReadRequestT.encode(ReadRequestT.fromObject({ queries: [{ matchers: [{ type: 9, name: 'a', value: 'b' }] }] })).finish();
  assert.throws(() => decodeReadRequest(bytes), (e: unknown) => e instanceof RemoteDecodeError && /unknown matcher type 9/.test(e.message) && e.field === 'ReadRequest.queries.matchers.type');
  const bad = decodeReadRequest(encodeReadRequest({ queries: [{ startMs: 0, endMs: 1, matchers: [{ type: '=~', name: 'a', value: '(' }] }] }));
  assert.throws(() => compileMatchers(bad.queries[0]!), (e: unknown) => e instanceof StoreError && e.httpStatus === 400 && /Invalid matcher in remote read query/.test(e.message));
});

test('ReadResponse encoder matches protobufjs and our decoder, NaN bits kept', () => {
  const stale = fromBits(0x7ff00000, 2);
  // Not new Float64Array([1, stale, ...]): an array literal of doubles quiets the signalling NaN.
  const values = new Float64Array([1, 0, -Infinity]);
  values[1] = stale;
  const results = [
    { series: [{ labels: [{ name: '__name__', value: 'up' }, { name: 'job', value: 'node' }], timestamps: [1000, 2000, -3000], values }] },
    { series: [] },
  ];
  const bytes = encodeReadResponse(results);
  const obj = ReadResponseT.toObject(ReadResponseT.decode(bytes), toObjectOptions) as {
    results: { timeseries: { labels: unknown[]; samples: { value: number; timestamp: number }[] }[] }[];
  };
  assert.equal(obj.results.length, 2);
  assert.deepEqual(obj.results[1]!.timeseries, []);
  const ts = obj.results[0]!.timeseries[0]!;
  assert.deepEqual(ts.labels, results[0]!.series[0]!.labels);
  assert.deepEqual(ts.samples.map((s) => s.timestamp), [1000, 2000, -3000]);

  const decoded = decodeReadResponse(bytes);
  assert.equal(decoded.length, 2);
  const s = decoded[0]!.series[0]!;
  assert.deepEqual(s.labels, results[0]!.series[0]!.labels);
  assert.deepEqual([...s.timestamps], [1000, 2000, -3000]);
  assert.deepEqual(bitsOf(s.values, 1), [0x7ff00000, 2]);
  assert.equal(s.values[2], -Infinity);

  // protobufjs-encoded responses decode the same.
  const ref = ReadResponseT.encode(ReadResponseT.fromObject({ results: [{ timeseries: [{ labels: [{ name: 'a', value: 'b' }], samples: [{ value: 3, timestamp: 7 }] }] }] })).finish();
  const d = decodeReadResponse(ref);
  assert.deepEqual(d[0]!.series[0]!.labels, [{ name: 'a', value: 'b' }]);
  assert.deepEqual([...d[0]!.series[0]!.values], [3]);
});

test('ReadResponse decode errors report offsets in the whole message', () => {
  // results (len 4) -> timeseries (len 2) -> label tag with an absurd length.
  const bytes = Uint8Array.from([0x0a, 0x04, 0x0a, 0x02, 0x0a, 0x7f]);
  assert.throws(
    () => decodeReadResponse(bytes),
    (e: unknown) => e instanceof RemoteDecodeError && e.field === 'ReadResponse.results.timeseries.labels' && e.offset === 5,
  );
});
