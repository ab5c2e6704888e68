import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RetryingBucket } from './retrying-bucket.ts';
import { FaultyBucket } from './faulty-bucket.ts';
import { MemoryBucket } from './memory-bucket.ts';
import { LocalBucket } from './local-bucket.ts';
import { listAll } from './bucket.ts';
import { hasStoreCode } from './errors.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));
const root = mkdtempSync(join(tmpdir(), 'frank-retrying-bucket-'));
after(() => rmSync(root, { recursive: true, force: true }));

const fast = { maxRetries: 40, minBackoffMs: 1, maxBackoffMs: 5, attemptTimeoutMs: 25, concurrency: 8 };

describe('RetryingBucket', () => {
  it('loses no data under 503s, lost responses and timeouts: every put lands and reads are correct', async () => {
    const store = new LocalBucket({ dir: join(root, 'faults'), fsync: false });
    const faulty = new FaultyBucket(store, { seed: 7, unavailable: 0.2, lostResponse: 0.1, timeout: 0.05, hangMs: 40 });
    const b = new RetryingBucket(faulty, fast);
    const keys = Array.from({ length: 200 }, (_, i) => `t/chunks/${i % 7}/${String(i).padStart(4, '0')}`);
    // Create-only puts, as the chunk store does: a retry that finds its own earlier write is fine.
    await Promise.all(
      keys.map(async (k) => {
        try {
          await b.put(k, enc(`value of ${k}`), { ifNoneMatch: '*' });
        } catch (err) {
          if (!hasStoreCode(err, 'STORE_OBJECT_EXISTS')) throw err;
        }
      }),
    );
    const reads = await Promise.all(keys.map((k) => b.get(k)));
    reads.forEach((r, i) => assert.equal(dec(r), `value of ${keys[i]}`));
    assert.deepEqual(await listAll(b, 't/'), [...keys].sort());
    assert.ok(faulty.injected.unavailable > 0 && faulty.injected.lostResponse > 0 && faulty.injected.timeout > 0, JSON.stringify(faulty.injected));
    assert.ok(b.retries > 0, `retries ${b.retries}, injected ${JSON.stringify(faulty.injected)}`);
    faulty.heal();
    for (const k of keys) assert.equal(dec(await store.get(k)), `value of ${k}`);
    await b.close();
  });

  it('resumes a listing that fails part-way without repeating or skipping keys', async () => {
    const mem = new MemoryBucket();
    for (let i = 0; i < 50; i++) await mem.put(`l/${String(i).padStart(2, '0')}`, enc('x'));
    const faulty = new FaultyBucket(mem, { seed: 3, unavailable: 0.5 });
    const b = new RetryingBucket(faulty, fast);
    for (let round = 0; round < 5; round++) {
      assert.deepEqual(await listAll(b, 'l/'), (await listAll(mem, 'l/')));
    }
    assert.ok(faulty.injected.list > 0);
  });

  it('does not retry errors a retry cannot fix', async () => {
    const b = new RetryingBucket(new MemoryBucket(), fast);
    await assert.rejects(b.put('../x', enc('x')), (e) => hasStoreCode(e, 'STORE_INVALID_KEY'));
    await b.put('once', enc('x'), { ifNoneMatch: '*' });
    await assert.rejects(b.put('once', enc('y'), { ifNoneMatch: '*' }), (e) => hasStoreCode(e, 'STORE_OBJECT_EXISTS'));
    assert.equal(b.retries, 0);
  });

  it('gives up after maxRetries with the last transient error', async () => {
    const b = new RetryingBucket(new FaultyBucket(new MemoryBucket(), { unavailable: 1 }), { ...fast, maxRetries: 3 });
    await assert.rejects(b.get('k'), (e) => hasStoreCode(e, 'STORE_UNAVAILABLE'));
    assert.equal(b.retries, 3);
    const slow = new RetryingBucket(new FaultyBucket(new MemoryBucket(), { timeout: 1, hangMs: 200 }), { ...fast, maxRetries: 1, attemptTimeoutMs: 10 });
    await assert.rejects(slow.put('k', enc('x')), (e) => hasStoreCode(e, 'STORE_TIMEOUT'));
  });
});
