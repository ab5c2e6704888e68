import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import { WalError } from './errors.ts';
import type { WalDb } from './store.ts';
import { walSuite } from './wal.conformance.ts';
import { Wal } from './wal.ts';

walSuite('classic-level on disk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wal-conf-'));
  return {
    create: (config) => new Wal({ ...config, dir }),
    openRaw: async () => {
      const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
      await db.open();
      return db as unknown as WalDb;
    },
    closeRaw: (db) => db.close(),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

walSuite('memory-level', async () => {
  // One MemoryLevel instance is the "disk": it keeps its data across close() and open().
  const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view', storeEncoding: 'view' }) as unknown as WalDb;
  return {
    create: (config) => new Wal({ ...config, dir: 'memory', db }),
    openRaw: async () => {
      await db.open();
      return db;
    },
    closeRaw: (raw) => raw.close(),
    cleanup: async () => {
      if (db.status === 'open') await db.close();
    },
  };
});

test('Wal: a failed LevelDB write rejects the group with WAL_WRITE_FAILED and does not advance lastSeq', async () => {
  const db = new MemoryLevel<Uint8Array, Uint8Array>({ storeEncoding: 'view' }) as unknown as WalDb;
  const wal = new Wal({ dir: 'memory', db });
  await wal.open();
  assert.equal(await wal.append([{ type: 1, data: Uint8Array.of(1) }]), 1);
  // The database goes away underneath the WAL (as a LevelDB I/O error would make every write fail).
  await db.close();
  const results = await Promise.allSettled([wal.append([{ type: 1, data: Uint8Array.of(2) }]), wal.append([{ type: 1, data: Uint8Array.of(3) }])]);
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    const e = (r as PromiseRejectedResult).reason;
    assert.ok(e instanceof WalError);
    assert.equal(e.code, 'WAL_WRITE_FAILED');
    assert.equal(e.httpStatus, 500);
    assert.match(e.message, /^Cannot write WAL batch: 2 appends up to seq 3 are not durable$/);
  }
  assert.equal(wal.lastSeq, 1);
  await wal.close();
});
