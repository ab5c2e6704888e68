import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexSuite } from './index.conformance.ts';
import { RocksDbChunkIndex } from './index-backends.ts';
import { rocksDbSupported } from './rocksdb-row-store.ts';
import { hasStoreCode } from './errors.ts';

const root = mkdtempSync(join(tmpdir(), 'frank-rocksdb-index-'));
after(() => rmSync(root, { recursive: true, force: true }));

if (rocksDbSupported()) {
  indexSuite('RocksDbChunkIndex', async (space) => new RocksDbChunkIndex({ dir: join(root, space) }));
} else {
  // Where the binding would abort the process on load, start() must refuse cleanly instead.
  it('RocksDbChunkIndex.start() refuses with a clear error where the rocksdb binding cannot load', async () => {
    const idx = new RocksDbChunkIndex({ dir: join(root, 'refused') });
    await assert.rejects(idx.start(), (e) => hasStoreCode(e, 'STORE_BACKEND_ERROR') && /leveldb/.test((e as Error).message));
  });
}
