/**
 * The chunk encodings the long-term store holds, behind one decode interface:
 *  - 'xor': Prometheus's XOR chunk (xor.ts), what ingesters cut and flush;
 *  - 'packed': decimal-aware bit-packed columns (packed.ts), what the compactor
 *    writes when it is smaller (it usually is: most samples are short decimals).
 * Both decoders write straight into caller-sized Float64Array columns.
 */
import { decodeXorRange } from './xor-columns.ts';
import { decodePackedRange, encodePackedChunk, packedSampleCount } from './packed.ts';
import { encodeXorChunk } from './xor.ts';

export type ChunkEncoding = 'xor' | 'packed';

/** Samples in an encoded chunk, from its header. Throws RangeError on a malformed one. */
export function chunkSampleCount(encoding: ChunkEncoding, bytes: Uint8Array): number {
  if (encoding === 'packed') return packedSampleCount(bytes);
  if (bytes.length < 2) throw new RangeError(`Invalid XOR chunk: ${bytes.length} bytes, want at least 2`);
  return (bytes[0]! << 8) | bytes[1]!;
}

/**
 * Writes the samples with minT ≤ t ≤ maxT into ts/vs from `offset` on and returns how
 * many it wrote; columns must have room for chunkSampleCount() samples from `offset`.
 */
export function decodeChunkRange(encoding: ChunkEncoding, bytes: Uint8Array, ts: Float64Array, vs: Float64Array, offset: number, minT: number, maxT: number): number {
  return encoding === 'packed' ? decodePackedRange(bytes, ts, vs, offset, minT, maxT) : decodeXorRange(bytes, ts, vs, offset, minT, maxT);
}

/** Every sample of a chunk as fresh columns. */
export function decodeChunk(encoding: ChunkEncoding, bytes: Uint8Array): { timestamps: Float64Array; values: Float64Array } {
  const n = chunkSampleCount(encoding, bytes);
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  const k = decodeChunkRange(encoding, bytes, ts, vs, 0, -Infinity, Infinity);
  return k === n ? { timestamps: ts, values: vs } : { timestamps: ts.subarray(0, k), values: vs.subarray(0, k) };
}

/**
 * The smaller of the two encodings of the samples (XOR on a tie: any Prometheus tool
 * reads it). XOR counts samples in 16 bits, so longer runs are always packed.
 */
export function encodeSmallest(ts: Float64Array, vs: Float64Array): { encoding: ChunkEncoding; bytes: Uint8Array } {
  const packed = encodePackedChunk(ts, vs);
  if (ts.length > 65_535) return { encoding: 'packed', bytes: packed };
  const xor = encodeXorChunk(ts, vs).copyBytes();
  return packed.length < xor.length ? { encoding: 'packed', bytes: packed } : { encoding: 'xor', bytes: xor };
}
