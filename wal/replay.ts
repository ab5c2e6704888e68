/**
 * Ordered replay: the checkpoint's frames, then every WAL frame holding a seq above the replay start.
 * Iterators stream frames (LevelDB reads ahead a bounded amount), so memory stays at a few frames whatever the WAL size.
 */
import { WalCorruptionError } from './errors.ts';
import { ENTRY_HEADER_BYTES, FRAME_HEADER_BYTES, verifyFrame, type WalRecord } from './frame.ts';
import {
  checkpointKey,
  checkpointRange,
  keyspaceEnd,
  PREFIX_RECORD,
  readU32,
  recordKeyCount,
  recordKeyFloor,
  recordKeyLastSeq,
  RECORD_KEY_LENGTH,
  toHex,
} from './keys.ts';
import type { CheckpointMarker } from './meta.ts';
import type { WalDb } from './store.ts';

export interface ReplayInfo {
  /** The record's seq; for checkpoint records, the checkpoint's seq (the records stand for all state up to it). */
  seq: number;
  fromCheckpoint: boolean;
}

export type ReplayCallback = (rec: WalRecord, info: ReplayInfo) => void | Promise<void>;

export interface ReplayResult {
  checkpointRecords: number;
  records: number;
  lastSeq: number;
}

function isPromise(x: unknown): x is Promise<void> {
  return x !== undefined && typeof (x as Promise<void>)?.then === 'function';
}

/** Replays the frames of a complete checkpoint; verifies that frame indexes are contiguous and counts match the marker. */
export async function replayCheckpoint(db: WalDb, marker: CheckpointMarker, fn: ReplayCallback): Promise<number> {
  let expectedFrame = 0;
  let records = 0;
  const iter = db.iterator({ ...checkpointRange(marker.generation), keyEncoding: 'view', valueEncoding: 'view' }) as AsyncIterable<[Uint8Array, Uint8Array]>;
  for await (const [key, value] of iter) {
    const frameIndex = readU32(key, 5);
    if (frameIndex !== expectedFrame) {
      throw new WalCorruptionError(marker.seq, toHex(checkpointKey(marker.generation, expectedFrame)), `checkpoint frame ${expectedFrame} is missing`);
    }
    expectedFrame++;
    const count = verifyFrame(value);
    if (typeof count === 'string') throw new WalCorruptionError(marker.seq, toHex(key), `checkpoint frame: ${count}`);
    let off = FRAME_HEADER_BYTES;
    for (let i = 0; i < count; i++) {
      const len = readU32(value, off + 1);
      const r = fn({ type: value[off]!, data: value.subarray(off + ENTRY_HEADER_BYTES, off + ENTRY_HEADER_BYTES + len) }, { seq: marker.seq, fromCheckpoint: true });
      if (isPromise(r)) await r;
      off += ENTRY_HEADER_BYTES + len;
    }
    records += count;
  }
  if (expectedFrame !== marker.frames || records !== marker.records) {
    throw new WalCorruptionError(
      marker.seq,
      toHex(checkpointKey(marker.generation, expectedFrame)),
      `checkpoint holds ${expectedFrame} frames and ${records} records, its marker announces ${marker.frames} frames and ${marker.records} records`,
    );
  }
  return records;
}

/** Replays every WAL record with seq > afterSeq, in seq order. */
export async function replayRecords(db: WalDb, afterSeq: number, fn: ReplayCallback): Promise<number> {
  let records = 0;
  // Frames are keyed by their LAST seq: starting at afterSeq + 1 includes a frame that straddles afterSeq.
  const iter = db.iterator({ gte: recordKeyFloor(afterSeq + 1), lt: keyspaceEnd(PREFIX_RECORD), keyEncoding: 'view', valueEncoding: 'view' }) as AsyncIterable<
    [Uint8Array, Uint8Array]
  >;
  for await (const [key, value] of iter) {
    if (key.length !== RECORD_KEY_LENGTH) throw new WalCorruptionError(afterSeq + 1, toHex(key), `record key has ${key.length} bytes, expected ${RECORD_KEY_LENGTH}`);
    const lastSeq = recordKeyLastSeq(key);
    const keyCount = recordKeyCount(key);
    const firstSeq = lastSeq - keyCount + 1;
    const count = verifyFrame(value);
    if (typeof count === 'string') throw new WalCorruptionError(firstSeq, toHex(key), count);
    if (count !== keyCount) throw new WalCorruptionError(firstSeq, toHex(key), `frame holds ${count} records, its key announces ${keyCount}`);
    let off = FRAME_HEADER_BYTES;
    for (let i = 0; i < count; i++) {
      const len = readU32(value, off + 1);
      const seq = firstSeq + i;
      if (seq > afterSeq) {
        const r = fn({ type: value[off]!, data: value.subarray(off + ENTRY_HEADER_BYTES, off + ENTRY_HEADER_BYTES + len) }, { seq, fromCheckpoint: false });
        if (isPromise(r)) await r;
        records++;
      }
      off += ENTRY_HEADER_BYTES + len;
    }
  }
  return records;
}
