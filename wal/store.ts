/**
 * The storage backend behind a Wal: any abstract-level database. On disk this is classic-level (LevelDB);
 * tests may inject memory-level. Every call passes the 'view' encodings explicitly so keys and values travel as
 * Uint8Array without transcoding, whatever defaults the injected database was created with.
 */
import type { AbstractLevel } from 'abstract-level';
import { ClassicLevel } from 'classic-level';

/** An abstract-level database with Uint8Array keys and values (classic-level, memory-level, ...). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type WalDb = AbstractLevel<any, any, any> & {
  /** classic-level only: bytes of table files covering [start, end). */
  approximateSize?: (start: Uint8Array, end: Uint8Array, options: { keyEncoding: 'view' }) => Promise<number>;
};

export const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const;
export const VIEW_SYNC = { keyEncoding: 'view', valueEncoding: 'view', sync: true } as const;

export type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

/** Creates the on-disk LevelDB store for `dir` (not yet opened). */
export function createDiskStore(dir: string): WalDb {
  return new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as WalDb;
}

/** Writes ops as one atomic LevelDB batch; `sync` makes LevelDB fsync its log before resolving. */
export function writeBatch(db: WalDb, ops: BatchOp[], sync: boolean): Promise<void> {
  return db.batch(ops, sync ? VIEW_SYNC : VIEW);
}

/** Deletes every key in [gte, lt) in batches of `batchKeys`; `onKey` sees each key before it goes. */
export async function deleteRange(
  db: WalDb,
  range: { gte: Uint8Array; lt: Uint8Array },
  batchKeys: number,
  onKey?: (key: Uint8Array) => void,
  shouldStop?: () => void,
): Promise<number> {
  let ops: BatchOp[] = [];
  let deleted = 0;
  for await (const key of db.keys({ ...range, keyEncoding: 'view' }) as AsyncIterable<Uint8Array>) {
    onKey?.(key);
    ops.push({ type: 'del', key });
    if (ops.length >= batchKeys) {
      shouldStop?.();
      await writeBatch(db, ops, false);
      deleted += ops.length;
      ops = [];
    }
  }
  if (ops.length > 0) {
    shouldStop?.();
    await writeBatch(db, ops, false);
    deleted += ops.length;
  }
  return deleted;
}
