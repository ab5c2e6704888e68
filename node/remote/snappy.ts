/**
 * Snappy block format (what remote write and remote read use) through the
 * `snappy` native package, with the checks the library does not do for us:
 * the declared uncompressed size is capped before anything is allocated, and
 * the framed/stream format is recognised and rejected with a clear message.
 */
import { compressSync, uncompressSync } from 'snappy';
import { SnappyError } from './errors.ts';

/** Default cap on the uncompressed size of one request body. */
export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024;

const FRAMED_MAGIC = [0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59];

/**
 * Reads the block preamble (uncompressed length, unsigned varint of at most
 * 32 bits). Throws SnappyError SNAPPY_CORRUPT when it is missing or malformed.
 */
export function snappyDecodedLength(input: Uint8Array): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    if (i >= input.length) throw new SnappyError('SNAPPY_CORRUPT', 'snappy: corrupt input: truncated length preamble');
    const b = input[i]!;
    v += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (v > 0xffffffff) break;
      return v;
    }
    mul *= 128;
  }
  throw new SnappyError('SNAPPY_CORRUPT', 'snappy: corrupt input: length preamble is not a 32-bit varint');
}

function isFramed(input: Uint8Array): boolean {
  if (input.length < FRAMED_MAGIC.length) return false;
  for (let i = 0; i < FRAMED_MAGIC.length; i++) if (input[i] !== FRAMED_MAGIC[i]) return false;
  return true;
}

/**
 * Uncompresses one snappy block. Throws SnappyError: SNAPPY_TOO_LARGE (413)
 * when the declared size exceeds maxBytes, SNAPPY_CORRUPT (400) for framed
 * input or a corrupt block.
 */
export function uncompressSnappy(input: Uint8Array, maxBytes = DEFAULT_MAX_UNCOMPRESSED_BYTES): Uint8Array {
  if (isFramed(input)) {
    throw new SnappyError('SNAPPY_CORRUPT', 'snappy: corrupt input: body uses the snappy framed format, remote write requires the block format');
  }
  const declared = snappyDecodedLength(input);
  if (declared > maxBytes) {
    throw new SnappyError('SNAPPY_TOO_LARGE', `snappy: decoded length ${declared} exceeds the limit of ${maxBytes} bytes`);
  }
  let out: Buffer;
  try {
    out = uncompressSync(input, { asBuffer: true }) as Buffer;
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    throw new SnappyError('SNAPPY_CORRUPT', msg.startsWith('snappy:') ? msg : `snappy: corrupt input: ${msg}`, err);
  }
  if (out.length !== declared) {
    throw new SnappyError('SNAPPY_CORRUPT', `snappy: corrupt input: decoded ${out.length} bytes, preamble declared ${declared}`);
  }
  return out;
}

/** Compresses bytes into one snappy block. */
export function compressSnappy(input: Uint8Array): Uint8Array {
  return compressSync(input);
}
