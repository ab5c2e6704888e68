/**
 * The index read cache must never answer with rows a write or delete has changed,
 * whatever the interleaving; it runs here over a real LevelDB row store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CachedRowStore } from './cached-row-store.ts';
import { LevelDbRowStore } from './level-row-store.ts';
import type { IndexRow, RowKey, RowStore } from './row-store.ts';

const b = (s: string): Uint8Array => Buffer.from(s);
const ranges = (rows: readonly IndexRow[] | undefined): string[] | undefined => rows?.map((r) => Buffer.from(r.range).toString());

async function withStore(fn: (cached: CachedRowStore, inner: RowStore) => Promise<void>, maxBytes = 1 << 20): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cached-rows-'));
  const inner = new LevelDbRowStore({ dir });
  const cached = new CachedRowStore(inner, maxBytes);
  await cached.open();
  try {
    await fn(cached, inner);
  } finally {
    await cached.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('queries are served from the cache until a write or delete touches their hash key', async () => {
  await withStore(async (cached) => {
    await cached.write([{ hash: 'h1', range: b('a') }, { hash: 'h2', range: b('x') }]);
    assert.deepEqual(ranges(await cached.query('h1')), ['a']);
    const hits = cached.stats.hits;
    assert.deepEqual(ranges(await cached.query('h1')), ['a']);
    assert.equal(cached.stats.hits, hits + 1);
    await cached.write([{ hash: 'h2', range: b('y') }]); // another hash: h1 stays cached
    assert.deepEqual(ranges(await cached.query('h1')), ['a']);
    assert.equal(cached.stats.hits, hits + 2);
    await cached.write([{ hash: 'h1', range: b('b') }]);
    assert.deepEqual(ranges(await cached.query('h1')), ['a', 'b']);
    await cached.delete([{ hash: 'h1', range: b('a') }]);
    assert.deepEqual(ranges(await cached.query('h1')), ['b']);
    assert.deepEqual(ranges(await cached.query('h1', { prefix: b('b') })), ['b']);
    assert.deepEqual(ranges(await cached.query('h1', { gte: b('c') })), []);
  });
});

test('point reads cache rows and misses, and writes refresh both', async () => {
  await withStore(async (cached) => {
    const k: RowKey = { hash: 'S', range: b('id1') };
    assert.deepEqual(await cached.getMany([k]), [undefined]);
    await cached.write([{ hash: 'S', range: b('id1'), value: b('v1') }]);
    assert.equal(Buffer.from((await cached.getMany([k]))[0]!.value!).toString(), 'v1');
    await cached.write([{ hash: 'S', range: b('id1'), value: b('v2') }]);
    const [row, missing] = await cached.getMany([k, { hash: 'S', range: b('nope') }]);
    assert.equal(Buffer.from(row!.value!).toString(), 'v2');
    assert.equal(missing, undefined);
    await cached.delete([k]);
    assert.deepEqual(await cached.getMany([k]), [undefined]);
  });
});

test('a scan is cached whole, filtered per call, and dropped when a row in its scope is written', async () => {
  await withStore(async (cached) => {
    await cached.write([
      { hash: 'C:aa', range: b('1') },
      { hash: 'C:bb', range: b('2') },
      { hash: 'C:bbb', range: b('other length') },
    ]);
    const all = await cached.scanHashPrefix('C:', 4, 100);
    assert.deepEqual(all?.map((r) => r.hash), ['C:aa', 'C:bb']);
    assert.deepEqual((await cached.scanHashPrefix('C:', 4, 100, new Set(['bb', 'zz'])))?.map((r) => r.hash), ['C:bb']);
    assert.equal(await cached.scanHashPrefix('C:', 4, 1), undefined, 'over the limit');
    await cached.write([{ hash: 'C:bbb', range: b('still other length') }]); // outside the scope: stays cached
    const hits = cached.stats.hits;
    await cached.scanHashPrefix('C:', 4, 100);
    assert.equal(cached.stats.hits, hits + 1);
    await cached.write([{ hash: 'C:cc', range: b('3') }]);
    assert.deepEqual((await cached.scanHashPrefix('C:', 4, 100))?.map((r) => r.hash), ['C:aa', 'C:bb', 'C:cc']);
    await cached.delete([{ hash: 'C:aa', range: b('1') }]);
    assert.deepEqual((await cached.scanHashPrefix('C:', 4, 100))?.map((r) => r.hash), ['C:bb', 'C:cc']);
  });
});

test('a read that overlaps a write is not cached', async () => {
  await withStore(async (cached, inner) => {
    await cached.write([{ hash: 'h', range: b('old') }]);
    // Start a read, and while the store works on it, write through the cache.
    const reading = cached.query('h');
    const writing = cached.write([{ hash: 'h', range: b('new') }]);
    await Promise.all([reading, writing]);
    assert.deepEqual(ranges(await cached.query('h')), ranges(await inner.query('h')));
    assert.deepEqual(ranges(await cached.query('h')), ['new', 'old']);
  });
});

test('the cache stays within its byte budget, least recently used first out', async () => {
  await withStore(async (cached) => {
    const rows: IndexRow[] = [];
    for (let i = 0; i < 200; i++) rows.push({ hash: `h${i}`, range: b('r'), value: new Uint8Array(100) });
    await cached.write(rows);
    for (let i = 0; i < 200; i++) await cached.query(`h${i}`);
    assert.ok(cached.stats.bytes <= 4096, `bytes ${cached.stats.bytes}`);
    assert.ok(cached.stats.entries > 0 && cached.stats.entries < 200);
    const hits = cached.stats.hits;
    await cached.query('h199'); // most recent: still there
    assert.equal(cached.stats.hits, hits + 1);
    await cached.query('h0'); // oldest: evicted
    assert.equal(cached.stats.hits, hits + 1);
  }, 4096);
});
