/**
 * Fuzz-style robustness: for random bytes, every truncation of valid
 * messages and single bit flips, the decoders either succeed or throw
 * RemoteDecodeError — never another error, never a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWriteRequest } from './write-request-decoder.ts';
import { encodeWriteRequest } from './write-request-encoder.ts';
import { decodeReadRequest, encodeReadRequest } from './read-request.ts';
import { decodeReadResponse, encodeReadResponse } from './read-response.ts';
import { RemoteDecodeError } from './errors.ts';
import { WriteRequestT, rng } from './test-reference.ts';

type Decoder = (b: Uint8Array) => unknown;
const DECODERS: [string, Decoder][] = [
  ['WriteRequest', (b) => decodeWriteRequest(b)],
  ['ReadRequest', decodeReadRequest],
  ['ReadResponse', decodeReadResponse],
];

function check(name: string, decode: Decoder, bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (err) {
    if (!(err instanceof RemoteDecodeError)) {
      assert.fail(`${name} threw ${(err as Error)?.name}: ${(err as Error)?.message} for ${Buffer.from(bytes).toString('hex')}`);
    }
    assert.ok(err.offset >= 0 && err.offset <= bytes.length, `offset ${err.offset} within ${bytes.length} bytes`);
  }
}

function validMessages(): Uint8Array[] {
  const histogramRequest = WriteRequestT.encode(
    WriteRequestT.fromObject({
      timeseries: [
        {
          labels: [{ name: '__name__', value: 'h' }],
          histograms: [{ count_int: 3, sum: 2, schema: 1, positive_spans: [{ offset: 0, length: 2 }], positive_deltas: [1, 1], timestamp: 5 }],
          exemplars: [{ labels: [{ name: 'trace_id', value: 'x' }], value: 1, timestamp: 2 }],
        },
      ],
      metadata: [{ type: 1, metric_family_name: 'h', help: 'Help text ü', unit: 'seconds' }],
    }),
  ).finish();
  return [
    encodeWriteRequest({
      series: [
        { labels: [{ name: '__name__', value: 'up' }, { name: 'job', value: 'nöde' }], timestamps: [1_700_000_000_000, -1], values: [1, NaN] },
        { labels: [{ name: '__name__', value: 'x'.repeat(200) }], timestamps: [5], values: [2] },
      ],
      metadata: [{ type: 'gauge', metricFamilyName: 'up', help: 'h', unit: '' }],
    }),
    histogramRequest,
    encodeReadRequest({
      queries: [{ startMs: 1, endMs: 2, matchers: [{ type: '=~', name: 'job', value: 'a|b' }], hints: { stepMs: 1, func: 'rate', startMs: 1, endMs: 2, grouping: ['a'], by: true, rangeMs: 5 } }],
      acceptedResponseTypes: [1, 0],
    }),
    encodeReadResponse([{ series: [{ labels: [{ name: 'a', value: 'b' }], timestamps: [1, 2], values: [3, 4] }] }]),
  ];
}

test('random bytes never make a decoder throw anything but RemoteDecodeError', () => {
  const r = rng(1234);
  for (let iter = 0; iter < 3000; iter++) {
    const len = Math.floor(r() * 64);
    const bytes = new Uint8Array(len);
    for (let i = 0; i < len; i++) bytes[i] = Math.floor(r() * 256);
    // Bias some inputs toward plausible tags so decoding gets deeper.
    if (len > 0 && r() < 0.5) bytes[0] = [0x0a, 0x12, 0x1a, 0x22][Math.floor(r() * 4)]!;
    for (const [name, decode] of DECODERS) check(name, decode, bytes);
  }
});

test('every truncation of valid messages succeeds or throws RemoteDecodeError', () => {
  for (const msg of validMessages()) {
    for (let cut = 0; cut <= msg.length; cut++) {
      for (const [name, decode] of DECODERS) check(name, decode, msg.subarray(0, cut));
    }
  }
});

test('every single bit flip of valid messages succeeds or throws RemoteDecodeError', () => {
  for (const msg of validMessages()) {
    const copy = new Uint8Array(msg);
    for (let i = 0; i < copy.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        copy[i]! ^= 1 << bit;
        for (const [name, decode] of DECODERS) check(name, decode, copy);
        copy[i]! ^= 1 << bit;
      }
    }
  }
});

test('random multi-byte corruption of valid messages succeeds or throws RemoteDecodeError', () => {
  const r = rng(99);
  const msgs = validMessages();
  for (let iter = 0; iter < 3000; iter++) {
    const copy = new Uint8Array(msgs[iter % msgs.length]!);
    const n = 1 + Math.floor(r() * 4);
    for (let k = 0; k < n; k++) copy[Math.floor(r() * copy.length)] = Math.floor(r() * 256);
    for (const [name, decode] of DECODERS) check(name, decode, copy);
  }
});
