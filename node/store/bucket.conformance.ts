/**
 * The one suite every Bucket implementation and decorator must pass. A backend's
 * test file sets up its server/dir and calls bucketSuite(). Differences between
 * backends are declared in the `supports` manifest, and tests branch on those
 * flags only (never on the backend's name).
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { listAll, type Bucket, type BucketSupports } from './bucket.ts';
import { hasStoreCode } from './errors.ts';

/** Returns a fresh, empty bucket (its own namespace) for each test; the suite closes it. */
export type BucketFactory = () => Promise<Bucket>;

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

function rejectsWith(code: Parameters<typeof hasStoreCode>[1]) {
  return (err: unknown) => {
    assert.ok(hasStoreCode(err, code), `expected ${code}, got ${String(err)}`);
    return true;
  };
}

export function bucketSuite(name: string, factory: BucketFactory, supports: BucketSupports): void {
  describe(`bucket conformance: ${name}`, () => {
    let open: Bucket[] = [];
    async function fresh(): Promise<Bucket> {
      const b = await factory();
      open.push(b);
      return b;
    }
    afterEach(async () => {
      for (const b of open) await b.close();
      open = [];
    });

    it('declares the supports manifest the test file expects', async () => {
      const b = await fresh();
      assert.deepEqual({ ...b.supports }, { ...supports });
    });

    it('put() then get() returns the same bytes, including empty and binary objects', async () => {
      const b = await fresh();
      const bin = new Uint8Array(256);
      for (let i = 0; i < 256; i++) bin[i] = i;
      await b.put('x/bin', bin);
      await b.put('x/empty', new Uint8Array(0));
      assert.deepEqual(await b.get('x/bin'), bin);
      assert.deepEqual(await b.get('x/empty'), new Uint8Array(0));
    });

    it('get(), head() and exists() report a missing key as undefined/false', async () => {
      const b = await fresh();
      assert.equal(await b.get('nope/missing'), undefined);
      assert.equal(await b.head('nope/missing'), undefined);
      assert.equal(await b.exists('nope/missing'), false);
      assert.equal(await b.getRange('nope/missing', 0, 4), undefined);
    });

    it('put() overwrites and head() reports the size', async () => {
      const b = await fresh();
      await b.put('k', enc('first version'));
      await b.put('k', enc('v2'));
      assert.equal(dec(await b.get('k')), 'v2');
      assert.deepEqual(await b.head('k'), { size: 2 });
      assert.equal(await b.exists('k'), true);
    });

    it('put() keeps its own copy of the bytes', async () => {
      const b = await fresh();
      const src = enc('abc');
      await b.put('copy', src);
      src[0] = 0x7a;
      assert.equal(dec(await b.get('copy')), 'abc');
    });

    it('getRange() returns the slice, clipped at the end, empty past the end', async () => {
      const b = await fresh();
      await b.put('r', enc('0123456789'));
      assert.equal(dec(await b.getRange('r', 2, 3)), '234');
      assert.equal(dec(await b.getRange('r', 8, 10)), '89');
      assert.equal(dec(await b.getRange('r', 0, 10)), '0123456789');
      assert.deepEqual(await b.getRange('r', 10, 5), new Uint8Array(0));
      assert.deepEqual(await b.getRange('r', 3, 0), new Uint8Array(0));
    });

    it('delete() removes the key and is idempotent', async () => {
      const b = await fresh();
      await b.put('d/1', enc('x'));
      await b.delete('d/1');
      assert.equal(await b.get('d/1'), undefined);
      assert.equal(await b.exists('d/1'), false);
      await b.delete('d/1');
      await b.delete('never/was');
      assert.deepEqual(await listAll(b, ''), []);
    });

    it('deleteMany() removes every key given, past one request\'s worth, and ignores missing ones', async () => {
      const b = await fresh();
      const keys = Array.from({ length: 1005 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
      await Promise.all(keys.map((k) => b.put(k, enc('x'))));
      // A survivor in the same "directory": s3rver deletes a batch's keys concurrently and
      // answers 500 when two of them race to remove the directory they emptied (real S3 has no directories).
      await b.put('many/keep', enc('y'));
      await b.deleteMany([...keys, 'never/was']);
      assert.deepEqual(await listAll(b, ''), ['many/keep']);
      await b.deleteMany(keys);
      await b.deleteMany([]);
      assert.equal(new TextDecoder().decode(await b.get('many/keep')), 'y');
      await assert.rejects(b.deleteMany(['ok', '../escape']), (e: unknown) => hasStoreCode(e, 'STORE_INVALID_KEY'));
      assert.equal(await b.exists('many/keep'), true, 'an invalid key refuses the whole call before anything is deleted');
    });

    it('list() yields keys under a plain string prefix in byte order', async () => {
      const b = await fresh();
      const keys = ['a/b', 'a/bc/d', 'a/b/c', 'a/c', 'b/x', 'a', 'ab', 'a/b/c/d/e'];
      for (const k of keys) await b.put(k, enc(k));
      assert.deepEqual(await listAll(b, ''), [...keys].sort());
      assert.deepEqual(await listAll(b, 'a/'), ['a/b', 'a/b/c', 'a/b/c/d/e', 'a/bc/d', 'a/c']);
      assert.deepEqual(await listAll(b, 'a/b'), ['a/b', 'a/b/c', 'a/b/c/d/e', 'a/bc/d']);
      assert.deepEqual(await listAll(b, 'a/b/'), ['a/b/c', 'a/b/c/d/e']);
      assert.deepEqual(await listAll(b, 'a'), ['a', 'a/b', 'a/b/c', 'a/b/c/d/e', 'a/bc/d', 'a/c', 'ab']);
      assert.deepEqual(await listAll(b, 'zz/'), []);
      // "a" and "a/b" coexist, as in S3.
      assert.equal(dec(await b.get('a')), 'a');
      assert.equal(dec(await b.get('a/b')), 'a/b');
    });

    it('list() returns every key across many pages', async () => {
      const b = await fresh();
      const keys: string[] = [];
      for (let i = 0; i < 23; i++) keys.push(`many/${String(i).padStart(3, '0')}`);
      await Promise.all(keys.map((k) => b.put(k, enc(k))));
      assert.deepEqual(await listAll(b, 'many/'), keys);
    });

    it('keys with spaces, percent signs, unicode and punctuation round-trip', async () => {
      const b = await fresh();
      const keys = ['s p a c e', 'pct/%2F%2E%2E', 'uni/\u00e9t\u00e9-\u6f22\u5b57', 'punct/a=b&c,d;e', 'dots/a..b/.c/d.'];
      for (const k of keys) await b.put(k, enc(k));
      for (const k of keys) assert.equal(dec(await b.get(k)), k);
      assert.deepEqual(new Set(await listAll(b, '')), new Set(keys));
      assert.deepEqual(await listAll(b, 'pct/'), ['pct/%2F%2E%2E']);
    });

    it('refuses keys that could escape the bucket root', async () => {
      const b = await fresh();
      for (const k of ['', '/abs', 'a//b', '..', '../x', 'a/../b', 'a/.', './a', 'a\\b', 'nul\u0000x', 'trailing/']) {
        await assert.rejects(b.put(k, enc('x')), rejectsWith('STORE_INVALID_KEY'), `put ${JSON.stringify(k)}`);
        await assert.rejects(b.get(k), rejectsWith('STORE_INVALID_KEY'), `get ${JSON.stringify(k)}`);
      }
      await assert.rejects(listAll(b, '../'), rejectsWith('STORE_INVALID_KEY'));
    });

    it('put() with ifNoneMatch creates new keys, and refuses existing ones when conditionalPut is supported', async () => {
      const b = await fresh();
      await b.put('c/new', enc('one'), { ifNoneMatch: '*' });
      assert.equal(dec(await b.get('c/new')), 'one');
      if (supports.conditionalPut) {
        await assert.rejects(b.put('c/new', enc('two'), { ifNoneMatch: '*' }), rejectsWith('STORE_OBJECT_EXISTS'));
        assert.equal(dec(await b.get('c/new')), 'one');
      } else {
        // Without the capability the flag is advisory: the write still lands.
        await b.put('c/new', enc('two'), { ifNoneMatch: '*' });
        assert.equal(dec(await b.get('c/new')), 'two');
      }
    });

    it('concurrent create-only puts of one key: exactly one wins when conditionalPut is supported', async () => {
      const b = await fresh();
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => b.put('race/k', enc(`writer-${i}`), { ifNoneMatch: '*' })),
      );
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      for (const r of results) if (r.status === 'rejected') assert.ok(hasStoreCode(r.reason, 'STORE_OBJECT_EXISTS'), String(r.reason));
      if (supports.conditionalPut) assert.equal(ok, 1);
      else assert.equal(ok, 6);
      assert.match(dec(await b.get('race/k'))!, /^writer-\d$/);
    });

    it('concurrent puts of different keys all land and a large object survives', async () => {
      const b = await fresh();
      await Promise.all(Array.from({ length: 30 }, (_, i) => b.put(`par/${i}`, enc(`v${i}`))));
      for (let i = 0; i < 30; i++) assert.equal(dec(await b.get(`par/${i}`)), `v${i}`);
      const big = new Uint8Array(1 << 20);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
      await b.put('big', big);
      assert.deepEqual(await b.get('big'), big);
      assert.deepEqual(await b.getRange('big', 1000, 16), big.subarray(1000, 1016));
    });
  });
}
