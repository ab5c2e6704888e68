import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compressSnappy, snappyDecodedLength, uncompressSnappy } from './snappy.ts';
import { SnappyError } from './errors.ts';
import { decodeWriteRequest } from './write-request-decoder.ts';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((b) => parseInt(b, 16)));

// Spec section 6: the snappy block of the worked example.
const BLOCK = hex(`2a a4 0a 28 0a 0e 0a 08 5f 5f 6e 61 6d 65 5f 5f 12 02 75 70 0a 08 0a 03
6a 6f 62 12 01 61 12 0c 09 00 00 00 00 00 00 f0 3f 10 e8 07`);

test('uncompresses the spec example and compresses it to the same block', () => {
  const raw = uncompressSnappy(BLOCK);
  assert.equal(raw.length, 42);
  assert.equal(decodeWriteRequest(raw).series[0]!.labels[0]!.value, 'up');
  assert.deepEqual(Buffer.from(compressSnappy(raw)), Buffer.from(BLOCK));
  assert.equal(snappyDecodedLength(BLOCK), 42);
});

test('round-trips larger payloads', () => {
  const data = new Uint8Array(300_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) % 251;
  assert.deepEqual(Buffer.from(uncompressSnappy(compressSnappy(data))), Buffer.from(data));
});

function snappyError(fn: () => unknown): SnappyError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SnappyError, `expected SnappyError, got ${e}`);
    return e;
  }
  assert.fail('expected a SnappyError');
}

test('rejects a declared size over the limit with 413 before uncompressing', () => {
  const e = snappyError(() => uncompressSnappy(BLOCK, 41));
  assert.equal(e.httpStatus, 413);
  assert.equal(e.code, 'SNAPPY_TOO_LARGE');
  assert.match(e.message, /decoded length 42 exceeds the limit of 41 bytes/);
  // A preamble claiming 4 GiB with no data is refused without allocating it.
  assert.equal(snappyError(() => uncompressSnappy(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]))).httpStatus, 413);
});

test('rejects corrupt blocks, framed streams and bad preambles with 400', () => {
  for (const bad of [
    Uint8Array.from([0x05, 0x01, 0x02]),
    BLOCK.subarray(0, 20),
    Uint8Array.from([0x0a, 0x04, 0x61, 0x62]),
    new Uint8Array(0),
    Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
    hex('ff 06 00 00 73 4e 61 50 70 59 01 02 03'),
  ]) {
    const e = snappyError(() => uncompressSnappy(bad));
    assert.equal(e.httpStatus, 400, e.message);
    assert.equal(e.code, 'SNAPPY_CORRUPT');
    assert.match(e.message, /^snappy: corrupt input/);
  }
  assert.match(snappyError(() => uncompressSnappy(hex('ff 06 00 00 73 4e 61 50 70 59 00'))).message, /framed format/);
});

test('decodeRemoteWriteBody uncompresses and decodes in one step', async () => {
  const { decodeRemoteWriteBody } = await import('./index.ts');
  assert.equal(decodeRemoteWriteBody(BLOCK).series[0]!.labels[1]!.value, 'a');
  assert.equal(snappyError(() => decodeRemoteWriteBody(BLOCK, 10)).httpStatus, 413);
});
