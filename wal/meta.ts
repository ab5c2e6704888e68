/**
 * Values of the meta keyspace (see FORMAT.md): the checkpoint completion marker and the truncation floor.
 * Each starts with a CRC-32C of the bytes after it.
 */
import { crc32c } from './crc32c.ts';
import { WalCorruptionError } from './errors.ts';
import { readU32, readU64, toHex, writeU32, writeU64 } from './keys.ts';

/** Format version written in META_VERSION_KEY; bump only with a migration. */
export const FORMAT_VERSION = 1;

/** A complete checkpoint: `frames` frames holding `records` records of generation `generation` stand for every seq <= `seq`. */
export interface CheckpointMarker {
  generation: number;
  seq: number;
  frames: number;
  records: number;
}

const MARKER_BYTES = 28;
const FLOOR_BYTES = 12;

export function encodeMarker(m: CheckpointMarker): Uint8Array {
  const b = new Uint8Array(MARKER_BYTES);
  writeU32(b, 4, m.generation);
  writeU64(b, 8, m.seq);
  writeU32(b, 16, m.frames);
  writeU64(b, 20, m.records);
  writeU32(b, 0, crc32c(b, 4));
  return b;
}

export function decodeMarker(key: Uint8Array, b: Uint8Array): CheckpointMarker {
  if (b.length !== MARKER_BYTES) throw new WalCorruptionError(0, toHex(key), `checkpoint marker has ${b.length} bytes, expected ${MARKER_BYTES}`);
  if (readU32(b, 0) !== crc32c(b, 4)) throw new WalCorruptionError(readU64(b, 8), toHex(key), 'checkpoint marker CRC mismatch');
  return { generation: readU32(b, 4), seq: readU64(b, 8), frames: readU32(b, 16), records: readU64(b, 20) };
}

export function encodeFloor(seq: number): Uint8Array {
  const b = new Uint8Array(FLOOR_BYTES);
  writeU64(b, 4, seq);
  writeU32(b, 0, crc32c(b, 4));
  return b;
}

export function decodeFloor(key: Uint8Array, b: Uint8Array): number {
  if (b.length !== FLOOR_BYTES) throw new WalCorruptionError(0, toHex(key), `truncation floor has ${b.length} bytes, expected ${FLOOR_BYTES}`);
  if (readU32(b, 0) !== crc32c(b, 4)) throw new WalCorruptionError(readU64(b, 4), toHex(key), 'truncation floor CRC mismatch');
  return readU64(b, 4);
}
