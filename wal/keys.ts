/**
 * Key layout (see FORMAT.md): the first byte picks a keyspace, integers are big-endian and fixed-width so that
 * LevelDB's bytewise order equals numeric order.
 */

export const PREFIX_META = 0x00;
export const PREFIX_RECORD = 0x01;
export const PREFIX_CHECKPOINT = 0x02;
export const PREFIX_STATE = 0x03;

/** Meta key holding the format version (one byte). */
export const META_VERSION_KEY: Uint8Array = Uint8Array.of(PREFIX_META, 0x56 /* 'V' */);
/** Meta key of the checkpoint completion marker. */
export const META_CHECKPOINT_KEY: Uint8Array = Uint8Array.of(PREFIX_META, 0x43 /* 'C' */);
/** Meta key of the truncation floor: every seq <= floor is deleted (or about to be). */
export const META_FLOOR_KEY: Uint8Array = Uint8Array.of(PREFIX_META, 0x46 /* 'F' */);

export const RECORD_KEY_LENGTH = 13;
export const CHECKPOINT_KEY_LENGTH = 9;
const TWO_32 = 0x1_0000_0000;

export function writeU64(buf: Uint8Array, offset: number, n: number): void {
  const hi = Math.floor(n / TWO_32);
  const lo = n >>> 0;
  buf[offset] = hi >>> 24;
  buf[offset + 1] = hi >>> 16;
  buf[offset + 2] = hi >>> 8;
  buf[offset + 3] = hi;
  buf[offset + 4] = lo >>> 24;
  buf[offset + 5] = lo >>> 16;
  buf[offset + 6] = lo >>> 8;
  buf[offset + 7] = lo;
}

export function readU32(buf: Uint8Array, offset: number): number {
  return ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
}

export function writeU32(buf: Uint8Array, offset: number, n: number): void {
  buf[offset] = n >>> 24;
  buf[offset + 1] = n >>> 16;
  buf[offset + 2] = n >>> 8;
  buf[offset + 3] = n;
}

export function readU64(buf: Uint8Array, offset: number): number {
  return readU32(buf, offset) * TWO_32 + readU32(buf, offset + 4);
}

/** Key of a WAL frame: prefix | seq of the frame's LAST record (u64) | record count (u32). */
export function recordKey(lastSeq: number, count: number): Uint8Array {
  const k = new Uint8Array(RECORD_KEY_LENGTH);
  k[0] = PREFIX_RECORD;
  writeU64(k, 1, lastSeq);
  writeU32(k, 9, count);
  return k;
}

/**
 * Lowest key a frame holding `seq` or any later seq can have. Frames are keyed by their last seq, so
 * `gte: recordKeyFloor(s)` starts at the frame that contains seq s (or the first one after it).
 */
export function recordKeyFloor(seq: number): Uint8Array {
  const k = new Uint8Array(9);
  k[0] = PREFIX_RECORD;
  writeU64(k, 1, seq);
  return k;
}

export function recordKeyLastSeq(key: Uint8Array): number {
  return readU64(key, 1);
}

export function recordKeyCount(key: Uint8Array): number {
  return readU32(key, 9);
}

export function checkpointKey(generation: number, frameIndex: number): Uint8Array {
  const k = new Uint8Array(CHECKPOINT_KEY_LENGTH);
  k[0] = PREFIX_CHECKPOINT;
  writeU32(k, 1, generation);
  writeU32(k, 5, frameIndex);
  return k;
}

export function checkpointKeyGeneration(key: Uint8Array): number {
  return readU32(key, 1);
}

/** [gte, lt) bounds of one checkpoint generation's frames. */
export function checkpointRange(generation: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: checkpointKey(generation, 0), lt: generation === 0xffffffff ? Uint8Array.of(PREFIX_CHECKPOINT + 1) : checkpointKey(generation + 1, 0) };
}

/** First key of the keyspace after `prefix` (exclusive upper bound of a whole keyspace). */
export function keyspaceEnd(prefix: number): Uint8Array {
  return Uint8Array.of(prefix + 1);
}

export function keyspaceStart(prefix: number): Uint8Array {
  return Uint8Array.of(prefix);
}

const encoder = new TextEncoder();

/** Caller key (string as UTF-8, or bytes) → stored state key (prefix | bytes). */
export function stateKey(key: Uint8Array | string): Uint8Array {
  const bytes = typeof key === 'string' ? encoder.encode(key) : key;
  const k = new Uint8Array(bytes.length + 1);
  k[0] = PREFIX_STATE;
  k.set(bytes, 1);
  return k;
}

/** [gte, lt) bounds of every state key starting with `prefix`. */
export function stateRange(prefix: Uint8Array | string | undefined): { gte: Uint8Array; lt: Uint8Array } {
  const gte = stateKey(prefix ?? '');
  // The smallest key greater than every key with this prefix: drop trailing 0xff bytes, then add one to the last byte.
  let end = gte.length;
  while (end > 1 && gte[end - 1] === 0xff) end--;
  if (end === 1) return { gte, lt: keyspaceEnd(PREFIX_STATE) };
  const lt = gte.slice(0, end);
  lt[end - 1]!++;
  return { gte, lt };
}

export function toHex(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}
