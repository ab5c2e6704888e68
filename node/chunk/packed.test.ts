import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePackedRange, encodePackedChunk, packedSampleCount } from './packed.ts';
import { encodeXorChunk } from './xor.ts';
import { mulberry32 as rng, valueGenerator as makeBenchValueGen } from './value-mix.ts';


/** A double from its two 32-bit halves, kept in a Float64Array (plain numbers may lose NaN payloads). */
function setBits(out: Float64Array, i: number, hi: number, lo: number): void {
  const u = new Uint32Array(out.buffer, out.byteOffset, out.length * 2);
  u[2 * i] = lo;
  u[2 * i + 1] = hi;
}

const STALE_HI = 0x7ff00000;
const STALE_LO = 0x00000002;

/** Fills vs with a random mix of decimals and awkward doubles. */
function randomMix(r: () => number, n: number): Float64Array {
  const vs = new Float64Array(n);
  let walk = 100;
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.3) vs[i] = walk = Math.round((walk + (r() - 0.5) * 10) * 100) / 100;
    else if (k < 0.4) vs[i] = i > 0 ? vs[i - 1]! : 1;
    else if (k < 0.45) setBits(vs, i, STALE_HI, STALE_LO);
    else if (k < 0.5) setBits(vs, i, 0x7ff80000 | Math.floor(r() * 0x7ffff), Math.floor(r() * 2 ** 32) >>> 0); // quiet NaN, random payload
    else if (k < 0.52) setBits(vs, i, 0xfff00000, 1 + Math.floor(r() * 1000)); // negative signalling NaN
    else if (k < 0.55) vs[i] = -0;
    else if (k < 0.58) vs[i] = r() < 0.5 ? Infinity : -Infinity;
    else if (k < 0.61) vs[i] = 5e-324 * Math.floor(1 + r() * 1e6); // subnormal
    else if (k < 0.63) vs[i] = Number.MAX_VALUE;
    else if (k < 0.65) vs[i] = -1e300;
    else if (k < 0.68) vs[i] = 0.1 + 0.2;
    else if (k < 0.72) vs[i] = 2 ** 53 - 1 - Math.floor(r() * 100);
    else if (k < 0.75) vs[i] = -(2 ** 52) + Math.floor(r() * 100);
    else if (k < 0.8) vs[i] = r() * 1e6; // full-precision double
    else if (k < 0.85) vs[i] = Math.floor(r() * 1e6) * 1e-9;
    else vs[i] = Math.floor(r() * 1000);
  }
  return vs;
}

function regularTs(n: number, start = 1_700_000_000_000, step = 15_000): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => start + i * step);
}

function jitterTs(r: () => number, n: number, start: number): Float64Array {
  const ts = new Float64Array(n);
  let t = start;
  for (let i = 0; i < n; i++) {
    t += i === 0 ? 0 : r() < 0.05 ? 1 + Math.floor(r() * 5_000_000) : 15_000 + Math.floor(r() * 21) - 10;
    ts[i] = t;
  }
  return ts;
}

function bitsEqual(a: Float64Array, b: Float64Array, n: number, what: string): void {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length * 2);
  for (let i = 0; i < n; i++) {
    if (ua[2 * i] !== ub[2 * i] || ua[2 * i + 1] !== ub[2 * i + 1]) {
      assert.fail(`${what}: value ${i} differs: got ${ub[2 * i + 1]!.toString(16)}:${ub[2 * i]!.toString(16)}, want ${ua[2 * i + 1]!.toString(16)}:${ua[2 * i]!.toString(16)}`);
    }
  }
}

function roundTrip(ts: Float64Array, vs: Float64Array, what: string): Uint8Array {
  const bytes = encodePackedChunk(ts, vs);
  const n = packedSampleCount(bytes);
  assert.equal(n, ts.length, `${what}: count`);
  const outT = new Float64Array(n);
  const outV = new Float64Array(n);
  assert.equal(decodePackedRange(bytes, outT, outV, 0, -Infinity, Infinity), n, `${what}: decoded count`);
  assert.deepEqual(outT, ts, `${what}: timestamps`);
  bitsEqual(vs, outV, n, what);
  return bytes;
}

test('round trip is bit-exact for special doubles and random mixes', () => {
  const r = rng(42);
  for (const n of [1, 2, 3, 63, 64, 65, 66, 120, 129, 240, 1000]) {
    for (let rep = 0; rep < 10; rep++) roundTrip(regularTs(n), randomMix(r, n), `mix n=${n} rep=${rep}`);
  }
  const special = new Float64Array([NaN, -0, 0, Infinity, -Infinity, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 1e300, 0.1 + 0.2, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 1e-20, 123.456]);
  setBits(special, 0, STALE_HI, STALE_LO);
  roundTrip(regularTs(special.length), special, 'special');
  roundTrip(regularTs(6), new Float64Array([0, -0, 0, -0, -0, 0]), 'zero signs');
  roundTrip(regularTs(3), new Float64Array([-0, -0, -0]), 'negative zeros');
  for (let i = 0; i < special.length; i++) {
    roundTrip(regularTs(1), special.subarray(i, i + 1).slice(), `single sample ${i}`);
  }
});

test('round trip of the benchmark mix at 120, 240 and 65,536 samples, and all-exception chunks', () => {
  for (const n of [120, 240]) {
    for (let i = 0; i < 40; i++) {
      const g = makeBenchValueGen(i);
      const vs = Float64Array.from({ length: n }, () => g());
      roundTrip(regularTs(n), vs, `bench series ${i} n=${n}`);
    }
  }
  const r = rng(7);
  const big = 65_536;
  roundTrip(jitterTs(r, big, 1_700_000_000_000), randomMix(r, big), 'mix 65536');
  const g = makeBenchValueGen(17);
  roundTrip(regularTs(big), Float64Array.from({ length: big }, () => g()), 'float counter 65536');
  const allNaN = new Float64Array(300);
  for (let i = 0; i < 300; i++) setBits(allNaN, i, STALE_HI, STALE_LO);
  roundTrip(regularTs(300), allNaN, 'all stale');
  roundTrip(regularTs(300), Float64Array.from({ length: 300 }, () => r() * 1e6), 'all full-precision');
  roundTrip(regularTs(200), Float64Array.from({ length: 200 }, (_, i) => 2 ** 53 - 1 - i * 1e6), 'huge integers');
  roundTrip(regularTs(200), Float64Array.from({ length: 200 }, (_, i) => i * 1e-15), 'tiny decimals');
  // Steady rate with small noise (delta-of-delta values), with stale markers in between.
  const steady = Float64Array.from({ length: 500 }, (_, i) => 1e9 + i * 1234.5 + Math.floor(r() * 4) / 10);
  setBits(steady, 100, STALE_HI, STALE_LO);
  steady[300] = NaN;
  roundTrip(jitterTs(r, 500, 1e12), steady, 'steady rate');
  // Wide random integers of both signs (deltas wider than 25 bits in every slot).
  roundTrip(regularTs(300), Float64Array.from({ length: 300 }, () => Math.floor((r() - 0.5) * 2 ** 49)), 'wide integers');
  roundTrip(regularTs(300), Float64Array.from({ length: 300 }, (_, i) => i * 2 ** 40 + Math.floor(r() * 2 ** 30)), 'wide rising');
});

test('timestamps: irregular, negative, near ±2^53', () => {
  const r = rng(9);
  for (let rep = 0; rep < 20; rep++) {
    const n = 1 + Math.floor(r() * 500);
    roundTrip(jitterTs(r, n, -1_000_000_000 + Math.floor(r() * 2_000_000_000)), randomMix(r, n), `jitter rep=${rep}`);
  }
  // Jitter around a fixed 15 s grid (Prometheus's scrape ticker), with and without gaps.
  for (const gap of [false, true]) {
    const n = 700;
    const grid = Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 15_000 + (gap && i > 300 ? 3_600_000 : 0) + (r() < 0.3 ? Math.floor(r() * 9) - 4 : 0));
    roundTrip(grid, randomMix(r, n), `grid jitter gap=${gap}`);
    roundTrip(Float64Array.from(grid, (t) => t - 1_800_000_000_000), new Float64Array(n).fill(2), `negative grid gap=${gap}`);
  }
  const regular = encodePackedChunk(regularTs(240), new Float64Array(240).fill(1)).length;
  const jittered = regularTs(240);
  for (let i = 5; i < 240; i += 10) jittered[i]! += 3;
  const jitteredBytes = roundTrip(jittered, new Float64Array(240).fill(1), 'grid jitter').length;
  assert.ok(jitteredBytes - regular <= 60, `24 jittered scrapes (one entry each, 2-3 bytes) cost ${jitteredBytes - regular} bytes`);
  roundTrip(Float64Array.from([-5, -4, 10, 11, 1e12]), new Float64Array([1, 2, 3, 4, 5]), 'negative');
  const top = Number.MAX_SAFE_INTEGER;
  roundTrip(Float64Array.from([-top, -top + 1, 0, top - 3, top]), new Float64Array([1, 2, 3, 4, 5]), 'extremes');
  roundTrip(Float64Array.from({ length: 150 }, (_, i) => top - 150 + i), new Float64Array(150).fill(3), 'near 2^53');
  roundTrip(Float64Array.from({ length: 150 }, (_, i) => -top + i * 7), new Float64Array(150).fill(3), 'near -2^53');
  roundTrip(Float64Array.from({ length: 300 }, (_, i) => i * i * 1000 - 5_000_000), new Float64Array(300).fill(1), 'accelerating');
});

test('range decoding equals filtering the full decode, written from offset', () => {
  const r = rng(11);
  for (let rep = 0; rep < 30; rep++) {
    const n = 1 + Math.floor(r() * 400);
    const ts = jitterTs(r, n, 1_000_000);
    const vs = rep % 2 === 0 ? randomMix(r, n) : Float64Array.from({ length: n }, (_, i) => i * 0.25);
    const bytes = encodePackedChunk(ts, vs);
    const span = ts[n - 1]! - ts[0]!;
    for (let q = 0; q < 10; q++) {
      const a = ts[0]! - 100 + Math.floor(r() * (span + 200));
      const b = q === 0 ? a : a + Math.floor(r() * span);
      const offset = Math.floor(r() * 5);
      const outT = new Float64Array(offset + n).fill(-1);
      const outV = new Float64Array(offset + n).fill(-1);
      const got = decodePackedRange(bytes, outT, outV, offset, a, b);
      const wantT: number[] = [];
      const wantV = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        if (ts[i]! >= a && ts[i]! <= b) {
          wantV.set(vs.subarray(i, i + 1), wantT.length);
          wantT.push(ts[i]!);
        }
      }
      assert.equal(got, wantT.length, `rep ${rep} query ${q}: count`);
      assert.deepEqual(Array.from(outT.subarray(offset, offset + got)), wantT);
      bitsEqual(wantV, outV.subarray(offset), got, `rep ${rep} query ${q}`);
      for (let i = 0; i < offset; i++) assert.equal(outT[i], -1, 'nothing written before offset');
    }
  }
});

/** Decodes corrupt bytes into columns sized by the header; must throw RangeError or stay in bounds. */
function decodeCorrupt(bytes: Uint8Array): void {
  let n: number;
  try {
    n = packedSampleCount(bytes);
  } catch (err) {
    assert.ok(err instanceof RangeError, String(err));
    return;
  }
  const guard = 3;
  const outT = new Float64Array(n + guard).fill(7);
  const outV = new Float64Array(n + guard).fill(7);
  try {
    const got = decodePackedRange(bytes, outT.subarray(0, n), outV.subarray(0, n), 0, -Infinity, Infinity);
    assert.ok(got >= 0 && got <= n);
  } catch (err) {
    assert.ok(err instanceof RangeError, String(err));
  }
  for (let i = n; i < n + guard; i++) assert.ok(outT[i] === 7 && outV[i] === 7, 'wrote past the columns');
}

test('truncations and byte flips throw RangeError or decode within the columns', () => {
  const r = rng(5);
  const chunks: Uint8Array[] = [];
  chunks.push(encodePackedChunk(jitterTs(r, 200, 1_700_000_000_000), randomMix(r, 200)));
  const g = makeBenchValueGen(13);
  chunks.push(encodePackedChunk(regularTs(240), Float64Array.from({ length: 240 }, () => g())));
  chunks.push(encodePackedChunk(regularTs(150), Float64Array.from({ length: 150 }, () => r() * 1e6)));
  chunks.push(encodePackedChunk(Float64Array.from([-(2 ** 52), 0, 2 ** 52]), new Float64Array([1, 2, 3])));
  chunks.push(encodePackedChunk(regularTs(240), new Float64Array(240).fill(1)));
  for (const c of chunks) {
    for (let len = 0; len < c.length; len++) {
      const cut = c.subarray(0, len);
      let n = -1;
      try {
        n = packedSampleCount(cut);
      } catch (err) {
        assert.ok(err instanceof RangeError);
      }
      if (n > 0 && len < c.length) decodeCorrupt(cut);
    }
    for (let k = 0; k < 400; k++) {
      const bad = c.slice();
      const flips = 1 + Math.floor(r() * 3);
      for (let f = 0; f < flips; f++) bad[Math.floor(r() * bad.length)] ^= 1 << Math.floor(r() * 8);
      decodeCorrupt(bad);
    }
    for (let k = 0; k < 100; k++) {
      const bad = c.slice();
      for (let f = 0; f < 3; f++) bad[Math.floor(r() * bad.length)] = Math.floor(r() * 256);
      decodeCorrupt(bad);
    }
  }
  assert.throws(() => packedSampleCount(new Uint8Array(0)), RangeError);
  assert.throws(() => packedSampleCount(new Uint8Array([2, 1])), RangeError);
  assert.throws(() => packedSampleCount(new Uint8Array([1, 0])), RangeError);
  assert.throws(() => packedSampleCount(new Uint8Array([1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])), RangeError);
  assert.throws(() => decodePackedRange(new Uint8Array([1, 5]), new Float64Array(5), new Float64Array(5), 0, 0, 1), RangeError);
});

test('encoder rejects inputs outside the contract', () => {
  assert.throws(() => encodePackedChunk([], new Float64Array(0)), RangeError);
  assert.throws(() => encodePackedChunk([1, 2], new Float64Array(1)), RangeError);
  assert.throws(() => encodePackedChunk([1.5], new Float64Array(1)), RangeError);
});

test('sizes: constant, rare jumps, and the benchmark mix well below XOR', () => {
  const constant = encodePackedChunk(regularTs(240), new Float64Array(240).fill(1234567890));
  assert.ok(constant.length < 40, `constant series: ${constant.length} bytes`);
  const rare = new Float64Array(240);
  let v = 500_000;
  for (let i = 0; i < 240; i++) rare[i] = i % 50 === 25 ? (v += 37) : v;
  const rareBytes = encodePackedChunk(regularTs(240), rare).length;
  assert.ok(rareBytes < 50, `rarely changing series: ${rareBytes} bytes`);
  const stale = new Float64Array(240).fill(3.5);
  setBits(stale, 239, STALE_HI, STALE_LO);
  assert.ok(encodePackedChunk(regularTs(240), stale).length < 45, 'a trailing stale marker stays cheap');

  const series = 2000;
  let packed = 0;
  let xor = 0;
  const ts = regularTs(240, 1_750_003_200_000);
  for (let i = 0; i < series; i++) {
    const g = makeBenchValueGen(i);
    const vs = Float64Array.from({ length: 240 }, () => g());
    packed += encodePackedChunk(ts, vs).length;
    xor += encodeXorChunk(ts, vs).byteLength;
  }
  const perSample = packed / (series * 240);
  assert.ok(perSample < 1.0, `benchmark mix: ${perSample.toFixed(3)} bytes/sample`);
  assert.ok(packed * 2 < xor, `packed ${packed} bytes vs XOR ${xor} bytes`);
});
