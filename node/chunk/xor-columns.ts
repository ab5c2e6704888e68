/**
 * Decodes Prometheus XOR chunk bytes straight into sample columns, for the query path.
 * Same format and results as node/chunk/xor.ts's XorIterator.readInto, but the bit
 * position lives in a local variable and bits are read a 32-bit window at a time
 * instead of through per-bit method calls: decoding dominated selects over many series.
 */

// Scratch to assemble a double from its two 32-bit halves. Not state: every use writes then reads it synchronously.
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const TWO32 = 4294967296;

/** The `n` (1..32) bits at bit offset `pos`, as an unsigned number; bits past the end read as 0. */
function bitsAt(buf: Uint8Array, pos: number, n: number): number {
  const i = pos >>> 3;
  const off = pos & 7;
  // Out-of-range indexes give undefined, which the bit operators turn into 0.
  const w = (buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!;
  const window = off === 0 ? w >>> 0 : ((w << off) | ((buf[i + 4]! & 0xff) >>> (8 - off))) >>> 0;
  return n === 32 ? window : window >>> (32 - n);
}

function bitAt(buf: Uint8Array, pos: number): number {
  return ((buf[pos >>> 3]! | 0) >>> (7 - (pos & 7))) & 1;
}

/**
 * Writes the samples of the chunk with minT ≤ t ≤ maxT into ts/vs from `offset` on and
 * returns how many it wrote; stops at the first sample after maxT. The caller sizes the
 * columns (the chunk's sample count from `offset` suffices). Throws RangeError on truncated input.
 */
export function decodeXorRange(bytes: Uint8Array, ts: Float64Array, vs: Float64Array, offset: number, minT: number, maxT: number): number {
  if (bytes.length < 2) throw new RangeError(`Invalid XOR chunk: ${bytes.length} bytes, want at least 2`);
  const n = (bytes[0]! << 8) | bytes[1]!;
  const bitLen = bytes.length * 8;
  let pos = 16;
  let o = offset;
  let t = 0;
  let tDelta = 0;
  let vHi = 0;
  let vLo = 0;
  let leading = 0;
  let trailing = 0;
  for (let i = 0; i < n; i++) {
    if (i === 0) {
      // Zigzag varint timestamp, then the raw 64-bit value.
      let z = 0;
      let mul = 1;
      for (let k = 0; ; k++) {
        if (k === 10) throw new RangeError(`Invalid varint at bit offset ${pos}: more than 10 bytes`);
        const b = bitsAt(bytes, pos, 8);
        pos += 8;
        z += (b & 0x7f) * mul;
        if (b < 0x80) break;
        mul *= 0x80;
      }
      t = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      vHi = bitsAt(bytes, pos, 32);
      vLo = bitsAt(bytes, pos + 32, 32);
      pos += 64;
    } else {
      if (i === 1) {
        let x = 0;
        let mul = 1;
        for (let k = 0; ; k++) {
          if (k === 10) throw new RangeError(`Invalid varint at bit offset ${pos}: more than 10 bytes`);
          const b = bitsAt(bytes, pos, 8);
          pos += 8;
          x += (b & 0x7f) * mul;
          if (b < 0x80) break;
          mul *= 0x80;
        }
        tDelta = x;
      } else if (bitAt(bytes, pos++) !== 0) {
        let nb: number;
        if (bitAt(bytes, pos++) === 0) nb = 14;
        else if (bitAt(bytes, pos++) === 0) nb = 17;
        else if (bitAt(bytes, pos++) === 0) nb = 20;
        else nb = 64;
        let dod: number;
        if (nb === 64) {
          const hi = bitsAt(bytes, pos, 32) | 0;
          dod = hi * TWO32 + bitsAt(bytes, pos + 32, 32);
          pos += 64;
        } else {
          const u = bitsAt(bytes, pos, nb);
          pos += nb;
          dod = u > 1 << (nb - 1) ? u - (1 << nb) : u;
        }
        tDelta += dod;
      }
      t += tDelta;
      // XOR-encoded value: 0 = unchanged; 10 = same window; 11 = new window (5-bit leading, 6-bit length).
      if (bitAt(bytes, pos++) !== 0) {
        let sig: number;
        if (bitAt(bytes, pos++) === 0) {
          sig = 64 - leading - trailing;
        } else {
          leading = bitsAt(bytes, pos, 5);
          sig = bitsAt(bytes, pos + 5, 6);
          pos += 11;
          if (sig === 0) sig = 64;
          trailing = 64 - leading - sig;
        }
        let mh = 0;
        let ml: number;
        if (sig > 32) {
          mh = bitsAt(bytes, pos, sig - 32);
          ml = bitsAt(bytes, pos + sig - 32, 32);
        } else {
          ml = bitsAt(bytes, pos, sig);
        }
        pos += sig;
        const tr = trailing;
        let xh: number;
        let xl: number;
        if (tr === 0) {
          xh = mh;
          xl = ml;
        } else if (tr >= 32) {
          xh = ml << (tr - 32);
          xl = 0;
        } else {
          xh = (mh << tr) | (ml >>> (32 - tr));
          xl = ml << tr;
        }
        vHi = (vHi ^ xh) >>> 0;
        vLo = (vLo ^ xl) >>> 0;
      }
    }
    if (pos > bitLen) throw new RangeError(`Invalid XOR chunk: truncated at sample ${i} of ${n}`);
    if (t < minT) continue;
    if (t > maxT) break;
    ts[o] = t;
    U32[1] = vHi;
    U32[0] = vLo;
    vs[o] = F64[0]!;
    o++;
  }
  return o - offset;
}
