import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexSuite } from './index.conformance.ts';
import { LevelDbChunkIndex } from './index-backends.ts';

const root = mkdtempSync(join(tmpdir(), 'frank-leveldb-index-'));
after(() => rmSync(root, { recursive: true, force: true }));

indexSuite('LevelDbChunkIndex', async (space) => new LevelDbChunkIndex({ dir: join(root, space) }));

// The same suite with the in-process read cache off (cached-row-store.ts is on by default for LevelDB).
indexSuite('LevelDbChunkIndex without read cache', async (space) => new LevelDbChunkIndex({ dir: join(root, `nocache-${space}`), readCacheBytes: 0 }));
