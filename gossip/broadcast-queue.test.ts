import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BroadcastQueue } from './broadcast-queue.ts';

test('BroadcastQueue.retransmitLimit() is mult * ceil(log10(n + 1))', () => {
  const q = new BroadcastQueue({ retransmitMult: 4 });
  assert.equal(q.retransmitLimit(1), 4);
  assert.equal(q.retransmitLimit(9), 4);
  assert.equal(q.retransmitLimit(10), 8);
  assert.equal(q.retransmitLimit(100), 12);
});

test('BroadcastQueue.take() sends each item up to the limit, least-sent first, within the byte budget', () => {
  const q = new BroadcastQueue({ retransmitMult: 2 });
  let done = 0;
  q.queue('"aaaa"', { onDone: () => { done++; } });
  q.queue('"bbbb"');
  assert.deepEqual(q.take(0, 6, 5), ['"bbbb"'], 'newest first, only one fits');
  assert.deepEqual(q.take(0, 6, 5), ['"aaaa"'], 'then the least sent');
  assert.deepEqual(q.take(0, 100, 5), ['"bbbb"', '"aaaa"']);
  assert.equal(done, 1);
  assert.equal(q.length, 0);
  assert.deepEqual(q.take(0, 100, 5), []);
});

test('BroadcastQueue: a newer item with the same key replaces the older one; too-large items wait', () => {
  const q = new BroadcastQueue({ retransmitMult: 1 });
  let replaced = false;
  q.queue('"old"', { key: 'node:a', onDone: () => { replaced = true; } });
  q.queue('"new"', { key: 'node:a' });
  q.queue(`"${'x'.repeat(50)}"`);
  assert.ok(replaced);
  assert.deepEqual(q.take(1, 10, 1), ['"new"']);
  assert.equal(q.length, 1);
});
