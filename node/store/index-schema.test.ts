import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareBytes } from './row-store.ts';
import { decodeChunkMeta, decodeI64, encodeChunkMeta, encodeI64 } from './index-schema.ts';
import { sortByLabels } from './schema-index.ts';
import { compareLabels, labelsFromObject } from '../../query/model/labels.ts';

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

test('sortByLabels orders like compareLabels, prefixes and NUL-carrying values included', () => {
  const sets: Record<string, string>[] = [];
  for (let i = 0; i < 300; i++) sets.push({ __name__: `m${i % 7}`, a: String(i % 13), ...(i % 5 === 0 ? { b: 'x'.repeat(i % 3) } : {}) });
  sets.push({ __name__: 'm1', a: 'v' }, { __name__: 'm1', a: 'v\u0000' }, { __name__: 'm1', a: 'v\u0000\u0000w' }, { __name__: 'm1', a: 'v\u0000a' }, { __name__: 'm1', ab: 'v' }, { __name__: 'm' });
  const refs = sets.map((o, i) => ({ seriesId: String(i), labels: labelsFromObject(o) }));
  const show = (rs: { labels: ReturnType<typeof labelsFromObject> }[]) => rs.map((r) => JSON.stringify(r.labels));
  const want = show([...refs].sort((x, y) => compareLabels(x.labels, y.labels)));
  assert.deepEqual(show(sortByLabels([...refs].reverse())), want);
  assert.deepEqual(show(sortByLabels(refs.slice(0, 10))), show([...refs.slice(0, 10)].sort((x, y) => compareLabels(x.labels, y.labels))));
});
