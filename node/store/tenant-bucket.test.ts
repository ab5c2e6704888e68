import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TenantBucket } from './tenant-bucket.ts';
import { MemoryBucket } from './memory-bucket.ts';
import { LocalBucket } from './local-bucket.ts';
import { listAll } from './bucket.ts';
import { hasStoreCode } from './errors.ts';
import { isValidTenantId } from './tenant-id.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const root = mkdtempSync(join(tmpdir(), 'frank-tenant-bucket-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('TenantBucket', () => {
  it('refuses tenant IDs that could escape or alias a prefix', () => {
    const bad = ['', '.', '..', '/', 'a/b', '../b', '%2F', '..%2F', '%2e%2e', 'a\\b', 'a b', 'x:y', 'nul\u0000', '\u00e9', 'a'.repeat(151), 'a\nb'];
    for (const t of bad) {
      assert.equal(isValidTenantId(t), false, JSON.stringify(t));
      assert.throws(() => new TenantBucket(new MemoryBucket(), t), (e) => hasStoreCode(e, 'STORE_INVALID_TENANT'), JSON.stringify(t));
    }
  });

  it('accepts the Cortex tenant character set', async () => {
    const inner = new MemoryBucket();
    for (const t of ['team-a', 'Team_1.prod', "(x)*!'", '...', 'a'.repeat(150)]) {
      const b = new TenantBucket(inner, t);
      await b.put('k', enc(t));
    }
    assert.deepEqual(await listAll(inner, ''), ["(x)*!'/k", '.../k', 'Team_1.prod/k', 'a'.repeat(150) + '/k', 'team-a/k']);
  });

  it('keeps keys with dot segments from leaving the tenant prefix', async () => {
    const b = new TenantBucket(new MemoryBucket(), 'victim-neighbour');
    for (const k of ['../other/x', 'a/../../other/x', '..', './x', '/abs', 'a//b']) {
      await assert.rejects(b.put(k, enc('x')), (e) => hasStoreCode(e, 'STORE_INVALID_KEY'), k);
      await assert.rejects(b.get(k), (e) => hasStoreCode(e, 'STORE_INVALID_KEY'), k);
      await assert.rejects(b.delete(k), (e) => hasStoreCode(e, 'STORE_INVALID_KEY'), k);
    }
    await assert.rejects(listAll(b, '../'), (e) => hasStoreCode(e, 'STORE_INVALID_KEY'));
  });

  it('isolates tenants whose IDs share a prefix', async () => {
    const inner = new MemoryBucket();
    const a = new TenantBucket(inner, 'a');
    const ab = new TenantBucket(inner, 'ab');
    await a.put('x', enc('from a'));
    await ab.put('x', enc('from ab'));
    await ab.put('y', enc('only ab'));
    assert.deepEqual(await listAll(a, ''), ['x']);
    assert.deepEqual(await listAll(ab, ''), ['x', 'y']);
    assert.equal(await a.get('y'), undefined);
    assert.equal(new TextDecoder().decode(await a.get('x')), 'from a');
  });

  it('writes every object of a tenant under <dir>/objects/<tenant>/ on the local bucket', async () => {
    const dir = join(root, 'local');
    const inner = new LocalBucket({ dir });
    const b = new TenantBucket(inner, 'acme');
    for (const k of ['chunks/s1/0-1-abc', 'weird/%2F..%2F/x', 'dots/..a/b..', 'sp ace/\u00e9']) await b.put(k, enc(k));
    assert.deepEqual(readdirSync(join(dir, 'objects')), ['acme']);
    assert.deepEqual(await listAll(inner, ''), (await listAll(b, '')).map((k) => 'acme/' + k));
    await inner.close();
  });
});
