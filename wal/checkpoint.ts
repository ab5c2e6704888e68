/**
 * Writes a checkpoint generation: records are packed into frames of about `batchBytes`, each frame one LevelDB write,
 * so memory stays bounded however many records the caller streams. The completion marker goes in the same batch as
 * the last frame: before it lands the generation is invisible (replay reads the marker's generation only), after it
 * the whole generation is there. Deleting what it supersedes is the caller's next step (see Wal.checkpoint).
 */
import { encodeFrame, validateRecord, type WalRecord } from './frame.ts';
import { checkpointKey, META_CHECKPOINT_KEY } from './keys.ts';
import { encodeMarker, type CheckpointMarker } from './meta.ts';
import { writeBatch, type BatchOp, type WalDb } from './store.ts';

export interface CheckpointWriteOptions {
  generation: number;
  uptoSeq: number;
  batchBytes: number;
  /** fsync the final batch (marker): with fsync 'group' a checkpoint must survive power loss before WAL records go. */
  sync: boolean;
  /** Throws when the WAL is closing, so a long checkpoint stops between batches. */
  assertRunning: () => void;
}

export async function writeCheckpoint(
  db: WalDb,
  records: Iterable<WalRecord> | AsyncIterable<WalRecord>,
  opts: CheckpointWriteOptions,
): Promise<CheckpointMarker> {
  let pending: WalRecord[] = [];
  let pendingBytes = 0;
  let frames = 0;
  let total = 0;

  const flush = async (): Promise<void> => {
    opts.assertRunning();
    const value = encodeFrame(pending);
    const key = checkpointKey(opts.generation, frames);
    pending = [];
    pendingBytes = 0;
    frames++;
    await writeBatch(db, [{ type: 'put', key, value }], false);
  };

  // Returns a promise only when a frame is full, so a synchronous iterable of small records runs without a microtask per record.
  const add = (rec: WalRecord): Promise<void> | undefined => {
    validateRecord(rec);
    pending.push(rec);
    pendingBytes += 5 + rec.data.length;
    total++;
    return pendingBytes >= opts.batchBytes ? flush() : undefined;
  };

  if (Symbol.asyncIterator in records) {
    for await (const rec of records) await add(rec);
  } else {
    for (const rec of records) {
      const p = add(rec);
      if (p) await p;
    }
  }

  opts.assertRunning();
  const ops: BatchOp[] = [];
  if (pending.length > 0) {
    ops.push({ type: 'put', key: checkpointKey(opts.generation, frames), value: encodeFrame(pending) });
    frames++;
  }
  const marker: CheckpointMarker = { generation: opts.generation, seq: opts.uptoSeq, frames, records: total };
  ops.push({ type: 'put', key: META_CHECKPOINT_KEY, value: encodeMarker(marker) });
  await writeBatch(db, ops, opts.sync);
  return marker;
}
