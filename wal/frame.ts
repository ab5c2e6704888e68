/**
 * Frame codec: one LevelDB value holds one or more records (see FORMAT.md).
 *
 *   crc32c u32 BE (over every byte after it) | count u32 BE | count × (type u8 | length u32 BE | data)
 *
 * Packing all records of one append() into one value keeps an append of thousands of small records to a single
 * LevelDB put: LevelDB and abstract-level cost a few microseconds per operation, a frame costs one copy.
 */
import { crc32c } from './crc32c.ts';
import { readU32, writeU32 } from './keys.ts';

/** A typed record. `type` (1..255) is the caller's: numbers are assigned once and never reused (see FORMAT.md). */
export interface WalRecord {
  type: number;
  data: Uint8Array;
}

export const FRAME_HEADER_BYTES = 8;
export const ENTRY_HEADER_BYTES = 5;

/** Checks a record's shape; throws the built-in TypeError/RangeError for programmer mistakes. */
export function validateRecord(rec: WalRecord): void {
  const t = rec.type;
  if (!Number.isInteger(t) || t < 1 || t > 255) throw new RangeError(`Invalid WAL record type: '${t}' is not an integer in 1..255`);
  if (!(rec.data instanceof Uint8Array)) throw new TypeError(`Invalid WAL record data: expected a Uint8Array, got '${typeof rec.data}'`);
}

/** Encoded size of records[from..to). */
export function frameSize(records: readonly WalRecord[], from = 0, to = records.length): number {
  let size = FRAME_HEADER_BYTES;
  for (let i = from; i < to; i++) size += ENTRY_HEADER_BYTES + records[i]!.data.length;
  return size;
}

/** Encodes records[from..to) (already validated) into one new frame value; the only copy of the data the WAL makes. */
export function encodeFrame(records: readonly WalRecord[], from = 0, to = records.length, size = frameSize(records, from, to)): Uint8Array {
  // allocUnsafe: every byte is overwritten below, so zero-filling 40 KB per append would be wasted work.
  const buf: Uint8Array = Buffer.allocUnsafe(size);
  writeU32(buf, 4, to - from);
  let off = FRAME_HEADER_BYTES;
  for (let i = from; i < to; i++) {
    const { type, data } = records[i]!;
    buf[off] = type;
    writeU32(buf, off + 1, data.length);
    buf.set(data, off + ENTRY_HEADER_BYTES);
    off += ENTRY_HEADER_BYTES + data.length;
  }
  writeU32(buf, 0, crc32c(buf, 4, size));
  return buf;
}

/**
 * Verifies a frame's checksum and framing. Returns the record count, or a string saying what is wrong
 * (the caller turns it into a WalCorruptionError that names the seq and key).
 */
export function verifyFrame(value: Uint8Array): number | string {
  if (value.length < FRAME_HEADER_BYTES) return `truncated value: ${value.length} bytes, a frame has at least ${FRAME_HEADER_BYTES}`;
  const stored = readU32(value, 0);
  const actual = crc32c(value, 4, value.length);
  const count = readU32(value, 4);
  // Walk the entries even when the CRC fails: a length running past the end tells "truncated" apart from "bit flip".
  let off = FRAME_HEADER_BYTES;
  let n = 0;
  while (n < count && off + ENTRY_HEADER_BYTES <= value.length) {
    off += ENTRY_HEADER_BYTES + readU32(value, off + 1);
    n++;
  }
  if (stored !== actual) {
    if (n < count || off > value.length) return `truncated value: ${value.length} bytes do not hold the ${count} records the frame header announces (CRC mismatch)`;
    return `CRC mismatch: stored '${stored.toString(16)}', computed '${actual.toString(16)}'`;
  }
  if (n < count || off !== value.length) return `bad framing: ${count} records announced, entries end at byte ${off} of ${value.length}`;
  return count;
}

/** Calls fn for each record of a verified frame; `data` is a view into `value` (no copy). */
export function forEachRecord(value: Uint8Array, fn: (type: number, data: Uint8Array, index: number) => void): void {
  const count = readU32(value, 4);
  let off = FRAME_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const len = readU32(value, off + 1);
    fn(value[off]!, value.subarray(off + ENTRY_HEADER_BYTES, off + ENTRY_HEADER_BYTES + len), i);
    off += ENTRY_HEADER_BYTES + len;
  }
}
