/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum LevelDB, ext4 and iSCSI use.
 * Slicing-by-8: eight 256-entry tables let the loop fold 8 input bytes per iteration, about 4x faster than the
 * byte-at-a-time loop on the ~40 KB frames the ingester writes. Node 20 has no built-in CRC, hence this file.
 */

const POLY = 0x82f63b78;

/** 8 tables of 256 entries in one typed array; computed once at load and never written afterwards. */
const TABLES: Uint32Array = buildTables();

function buildTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    let c = t[i]!;
    for (let k = 1; k < 8; k++) {
      c = (c >>> 8) ^ t[c & 0xff]!;
      t[k * 256 + i] = c >>> 0;
    }
  }
  return t;
}

/**
 * Returns the CRC-32C of `buf[start..end)` as an unsigned 32-bit integer.
 * @param crc a previous result, to checksum data in pieces (default: start fresh)
 */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length, crc = 0): number {
  const t = TABLES;
  let c = ~crc;
  let i = start;
  const end8 = end - ((end - start) & 7);
  while (i < end8) {
    c ^= buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    c =
      t[1792 + (c & 0xff)]! ^
      t[1536 + ((c >>> 8) & 0xff)]! ^
      t[1280 + ((c >>> 16) & 0xff)]! ^
      t[1024 + (c >>> 24)]! ^
      t[768 + buf[i + 4]!]! ^
      t[512 + buf[i + 5]!]! ^
      t[256 + buf[i + 6]!]! ^
      t[buf[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = (c >>> 8) ^ t[(c ^ buf[i++]!) & 0xff]!;
  return ~c >>> 0;
}
