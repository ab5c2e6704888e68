import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XorChunk, XorIterator } from './xor.ts';
import { decodeXorRange } from './xor-columns.ts';

/** Deterministic pseudo-random numbers (tests must not depend on Math.random). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** The raw bits of column entry i, read without passing the value through a JS number (which may rewrite NaN payloads). */
function bitsAt(col: Float64Array, i: number): string {
  const u = new Uint32Array(col.buffer, col.byteOffset, col.length * 2);
  return `${u[i * 2 + 1]!.toString(16)}:${u[i * 2]!.toString(16)}`;
}

function randomChunk(r: () => number, n: number): XorChunk {
  const c = new XorChunk();
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  let t = Math.floor(r() * 2e12) - 1e12;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const kind = r();
    // Steps from regular to wild exercise every delta-of-delta width.
    t += kind < 0.5 ? 15000 : kind < 0.7 ? 1 + Math.floor(r() * 20000) : kind < 0.9 ? 1 + Math.floor(r() * 600000) : 1 + Math.floor(r() * 1e11);
    const vk = r();
    if (vk < 0.3) v = v + 1;
    else if (vk < 0.5) v = Math.round(r() * 1000) / 10;
    else if (vk < 0.6) {
      u[1] = 0x7ff00000; // stale marker
      u[0] = 2;
      v = f[0]!;
    } else if (vk < 0.65) v = -0;
    else if (vk < 0.8) {
      u[1] = Math.floor(r() * 4294967296) >>> 0;
      u[0] = Math.floor(r() * 4294967296) >>> 0;
      v = f[0]!;
    } // else keep the value: the "unchanged" bit
    c.append(t, v);
  }
  return c;
}

test('decodeXorRange matches XorIterator.readInto on random chunks and ranges', () => {
  const r = rng(42);
  for (let round = 0; round < 400; round++) {
    const n = 1 + Math.floor(r() * 200);
    const bytes = randomChunk(r, n).copyBytes();
    const all = new Float64Array(n);
    const allV = new Float64Array(n);
    new XorIterator(bytes).readInto(all, allV, 0);
    const lo = r() < 0.3 ? -Infinity : all[Math.floor(r() * n)]! - (r() < 0.5 ? 0 : 1);
    const hi = r() < 0.3 ? Infinity : all[Math.floor(r() * n)]! + (r() < 0.5 ? 0 : 1);
    const ets = new Float64Array(n + 3);
    const evs = new Float64Array(n + 3);
    const got = new Float64Array(n + 3);
    const gotV = new Float64Array(n + 3);
    const want = new XorIterator(bytes).readInto(ets, evs, 3, lo, hi);
    const k = decodeXorRange(bytes, got, gotV, 3, lo, hi);
    assert.equal(k, want, `round ${round}: sample count`);
    for (let i = 3; i < 3 + k; i++) {
      assert.equal(got[i], ets[i], `round ${round}: timestamp ${i}`);
      assert.equal(bitsAt(gotV, i), bitsAt(evs, i), `round ${round}: value bits ${i}`);
    }
  }
});

test('decodeXorRange rejects truncated chunks like XorIterator', () => {
  const bytes = randomChunk(rng(7), 50).copyBytes();
  const cut = bytes.subarray(0, bytes.length - 4);
  const ts = new Float64Array(50);
  const vs = new Float64Array(50);
  assert.throws(() => new XorIterator(cut).readInto(ts, vs, 0), RangeError);
  assert.throws(() => decodeXorRange(cut, ts, vs, 0, -Infinity, Infinity), /Invalid XOR chunk: truncated at sample/);
  assert.throws(() => decodeXorRange(new Uint8Array(1), ts, vs, 0, -Infinity, Infinity), /at least 2/);
});
