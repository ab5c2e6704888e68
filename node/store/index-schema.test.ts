import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareBytes } from './row-store.ts';
import { decodeChunkMeta, decodeI64, encodeChunkMeta, encodeI64 } from './index-schema.ts';

test('i64 keys round-trip every safe integer shape and sort like the numbers', () => {
  const values = [0, 1, -1, 255, 256, -256, 2 ** 31, -(2 ** 31), 2 ** 32, -(2 ** 32) - 1, 1_750_003_200_000, -1_750_003_200_000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
  for (const v of values) assert.equal(decodeI64(encodeI64(v)), v, String(v));
  const sorted = [...values].sort((a, b) => a - b);
  const byBytes = [...values].sort((a, b) => compareBytes(encodeI64(a), encodeI64(b)));
  assert.deepEqual(byBytes, sorted);
  // Reading at an offset inside a larger buffer does not disturb the buffer.
  const buf = new Uint8Array(12);
  buf.set(encodeI64(-42), 3);
  const copy = buf.slice();
  assert.equal(decodeI64(buf, 3), -42);
  assert.deepEqual(buf, copy);
});

test('chunk meta round-trips', () => {
  const m = { minT: -5, maxT: 1_750_003_200_000, samples: 65_535, bytes: 4_000_000_000 };
  assert.deepEqual(decodeChunkMeta(encodeChunkMeta(m)), m);
});

