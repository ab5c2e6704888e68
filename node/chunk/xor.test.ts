import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BitReader, BitWriter } from './bstream.ts';
import { XorChunk, XorIterator, decodeXorChunk, encodeXorChunk } from './xor.ts';

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function bitsOf(v: number): string {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, v);
  return dv.getBigUint64(0).toString(16);
}

function fromBits(hex: string): number {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, BigInt('0x' + hex));
  return dv.getFloat64(0);
}

test('BitWriter/BitReader round-trip mixed widths and varints', () => {
  const w = new BitWriter(1);
  const fields: [number, number][] = [];
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  for (let i = 0; i < 2000; i++) {
    const n = Math.floor(rnd() * 33);
    const v = n === 0 ? 0 : Math.floor(rnd() * 2 ** n);
    fields.push([v, n]);
    w.writeBits(v, n);
  }
  w.writeUvarint(2 ** 50 + 3);
  w.writeVarint(-1700000000000);
  const r = new BitReader(w.view());
  for (const [v, n] of fields) assert.equal(r.readBits(n), v);
  assert.equal(r.readUvarint(), 2 ** 50 + 3);
  assert.equal(r.readVarint(), -1700000000000);
  assert.equal(r.overrun, false);
});

test('XorChunk encodes the spec one-sample example byte by byte', () => {
  const c = new XorChunk();
  c.append(7200000, 12000.0);
  assert.equal(hex(c.bytes()), '000180f4ee0640c7700000000000');
});

test('XorChunk encodes the spec six-sample example byte by byte', () => {
  const T0 = 1700000000000;
  const ts = [0, 15000, 30000, 45000, 60010, 90020].map((d) => T0 + d);
  const vs = [1, 1, 2, 3, 2, 2];
  const c = encodeXorChunk(ts, vs);
  assert.equal(hex(c.bytes()), '000680a0abfef9623ff00000000000009875' + '3097ffdb01c0055c3a9800');
  const d = decodeXorChunk(c.bytes());
  assert.deepEqual(Array.from(d.timestamps), ts);
  assert.deepEqual(Array.from(d.values), vs);
});

test('XorIterator ignores a trailing zero byte left by old Prometheus versions', () => {
  const b = Buffer.from('000180f4ee0640c770000000000000', 'hex');
  const d = decodeXorChunk(b);
  assert.deepEqual(Array.from(d.timestamps), [7200000]);
  assert.deepEqual(Array.from(d.values), [12000]);
});

test('XorIterator rejects truncated chunks', () => {
  const c = encodeXorChunk([1, 2, 3], [1, 2, 3]);
  assert.throws(() => decodeXorChunk(c.bytes().subarray(0, 8)), RangeError);
});

test('XorChunk keeps NaN payloads, stale markers and -0 bit-exact', () => {
  const stale = fromBits('7ff0000000000002');
  const vals = [1, stale, stale, NaN, -0, 0, fromBits('7ff8000000000001'), Infinity, -Infinity, 5e-324, Number.MAX_VALUE];
  const ts = vals.map((_, i) => 1000 + i * 15000);
  const c = encodeXorChunk(ts, vals);
  const d = decodeXorChunk(c.bytes());
  assert.deepEqual(Array.from(d.values, bitsOf), vals.map(bitsOf));
});

test('XorChunk round-trips every dod bucket edge and random data', () => {
  const dods = [0, 1, -1, 8192, -8191, -8192, 8193, 65536, -65535, -65536, 65537, 524288, -524287, -524288, 524289, 2 ** 40, -(2 ** 39)];
  const ts: number[] = [1_000_000_000_000, 1_000_000_000_000 + 10_000_000_000];
  let delta = 10_000_000_000;
  for (const d of dods) {
    delta += d;
    ts.push(ts[ts.length - 1]! + delta);
  }
  let seed = 42;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  const vs = ts.map((_, i) => (i % 3 === 0 ? Math.floor(rnd() * 100) : rnd() * 1e6 - 5e5));
  const c = encodeXorChunk(ts, vs);
  const d = decodeXorChunk(c.bytes());
  assert.deepEqual(Array.from(d.timestamps), ts);
  assert.deepEqual(Array.from(d.values, bitsOf), vs.map(bitsOf));
});

test('XorChunk.fromBytes resumes appending with the same bytes as one pass', () => {
  const ts = Array.from({ length: 50 }, (_, i) => 1_700_000_000_000 + i * 15000 + (i % 7));
  const vs = ts.map((_, i) => (i < 10 ? 3 : i * 1.5));
  const whole = encodeXorChunk(ts, vs);
  // Resume after a prefix in which the value never changed: Prometheus's
  // reopened window is (0,0), so only check the result decodes identically.
  for (const cut of [1, 2, 5, 10, 20, 49]) {
    const part = encodeXorChunk(ts.slice(0, cut), vs.slice(0, cut));
    const resumed = XorChunk.fromBytes(part.copyBytes());
    for (let i = cut; i < ts.length; i++) resumed.append(ts[i]!, vs[i]!);
    const d = decodeXorChunk(resumed.bytes());
    assert.deepEqual(Array.from(d.timestamps), ts);
    assert.deepEqual(Array.from(d.values), vs);
    if (cut > 10) assert.equal(hex(resumed.bytes()), hex(whole.bytes()));
    assert.equal(resumed.minTime, ts[0]);
    assert.equal(resumed.maxTime, ts[ts.length - 1]);
  }
});

test('XorIterator seek and readInto honour the time range', () => {
  const ts = Array.from({ length: 120 }, (_, i) => i * 15000);
  const vs = ts.map((t) => t / 1000);
  const c = encodeXorChunk(ts, vs);
  const it = new XorIterator(c.bytes());
  assert.equal(it.seek(31000), true);
  assert.equal(it.t, 45000);
  assert.equal(it.v, 45);
  assert.equal(it.seek(40000), true);
  assert.equal(it.t, 45000);
  const outT = new Float64Array(120);
  const outV = new Float64Array(120);
  const n = new XorIterator(c.bytes()).readInto(outT, outV, 3, 30000, 60000);
  assert.equal(n, 3);
  assert.deepEqual(Array.from(outT.subarray(3, 6)), [30000, 45000, 60000]);
  assert.equal(new XorIterator(c.bytes()).seek(10_000_000), false);
});
