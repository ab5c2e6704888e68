import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFrame, forEachRecord, frameSize, verifyFrame, type WalRecord } from './frame.ts';
import { recordKey, stateRange } from './keys.ts';

const enc = new TextEncoder();

test('encodeFrame() round-trips through verifyFrame() and forEachRecord() without copying data', () => {
  const records: WalRecord[] = [
    { type: 1, data: enc.encode('alpha') },
    { type: 200, data: new Uint8Array(0) },
    { type: 255, data: new Uint8Array(70_000).fill(9) },
  ];
  const frame = encodeFrame(records);
  assert.equal(frame.length, frameSize(records));
  assert.equal(verifyFrame(frame), 3);
  const seen: [number, number, number][] = [];
  forEachRecord(frame, (type, data, i) => {
    assert.equal(data.buffer, frame.buffer, 'data is a view into the frame');
    assert.deepEqual(Uint8Array.from(data), Uint8Array.from(records[i]!.data));
    seen.push([i, type, data.length]);
  });
  assert.deepEqual(seen, [
    [0, 1, 5],
    [1, 200, 0],
    [2, 255, 70_000],
  ]);
});

test('verifyFrame() tells a truncated value from a flipped bit', () => {
  const frame = encodeFrame([{ type: 3, data: enc.encode('some record data') }]);
  assert.match(String(verifyFrame(frame.subarray(0, 5))), /^truncated value: 5 bytes/);
  assert.match(String(verifyFrame(frame.subarray(0, frame.length - 3))), /^truncated value/);
  const flipped = Uint8Array.from(frame);
  flipped[20]! ^= 0x80;
  assert.match(String(verifyFrame(flipped)), /^CRC mismatch: stored '[0-9a-f]+', computed '[0-9a-f]+'$/);
  // A flip in a length field reads like truncation; the CRC still fails.
  const badLength = Uint8Array.from(frame);
  badLength[12]! ^= 0x80;
  assert.match(String(verifyFrame(badLength)), /^truncated value: .*\(CRC mismatch\)$/);
});

test('recordKey() orders bytewise like seqs, across the 2^32 boundary', () => {
  const seqs = [1, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40, Number.MAX_SAFE_INTEGER];
  const keys = seqs.map((s) => Buffer.from(recordKey(s, 1)));
  const sorted = [...keys].sort(Buffer.compare);
  assert.deepEqual(sorted, keys);
});

test('stateRange() bounds every key with the prefix, including prefixes ending in 0xff', () => {
  const r = stateRange(Uint8Array.of(0x61, 0xff));
  assert.deepEqual(Array.from(r.gte), [0x03, 0x61, 0xff]);
  assert.deepEqual(Array.from(r.lt), [0x03, 0x62]);
  assert.deepEqual(Array.from(stateRange(undefined).lt), [0x04]);
});
