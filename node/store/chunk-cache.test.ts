import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkCache } from './chunk-cache.ts';

test('ChunkCache keeps the most recently used entries within its byte budget', () => {
  const c = new ChunkCache(100);
  const b = (n: number, fill: number) => new Uint8Array(n).fill(fill);
  c.set('a', b(10, 1));
  c.set('b', b(10, 2));
  c.set('c', b(10, 3));
  assert.equal(c.bytes, 30);
  assert.deepEqual(c.get('a'), b(10, 1)); // a is now the most recent
  for (let i = 0; i < 8; i++) c.set(`x${i}`, b(10, 9)); // 110 bytes wanted: the least recent (b) goes
  assert.equal(c.bytes, 100);
  assert.equal(c.get('b'), undefined);
  assert.ok(c.get('a'));
  assert.ok(c.get('c'), 'c was used more recently than b');
  c.set('big', b(13, 0)); // more than an eighth of the budget: not cached
  assert.equal(c.get('big'), undefined);
  c.delete('a');
  assert.equal(c.get('a'), undefined);
  assert.ok(c.hits >= 2 && c.misses >= 3);
  assert.throws(() => new ChunkCache(-1), /Invalid chunk cache size/);
});
