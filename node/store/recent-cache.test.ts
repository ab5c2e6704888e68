import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.ts';
import { RecentCache } from './recent-cache.ts';

describe('RecentCache', () => {
  it('forgets keys after the TTL', () => {
    const clock = new FakeClock(1000);
    const c = new RecentCache({ maxEntries: 10, ttlMs: 500, clock });
    c.add('a');
    clock.tick(499);
    assert.equal(c.has('a'), true);
    clock.tick(1);
    assert.equal(c.has('a'), false);
    assert.equal(c.size, 0);
  });

  it('drops the oldest keys beyond maxEntries, and re-adding refreshes a key', () => {
    const c = new RecentCache({ maxEntries: 3, ttlMs: 1e9, clock: new FakeClock() });
    for (const k of ['a', 'b', 'c']) c.add(k);
    c.add('a');
    c.add('d');
    assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => c.has(k)), [true, false, true, true]);
    c.deletePrefix('c');
    assert.equal(c.has('c'), false);
    const off = new RecentCache({ maxEntries: 0, ttlMs: 1e9, clock: new FakeClock() });
    off.add('x');
    assert.equal(off.has('x'), false);
  });
});
