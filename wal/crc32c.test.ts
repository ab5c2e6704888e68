import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c } from './crc32c.ts';

test('crc32c() matches the standard check value and the RFC 3720 test vectors', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

test('crc32c() over a range equals crc32c() of that slice, and chains across pieces', () => {
  const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31 + 7) & 0xff);
  for (const [start, end] of [[0, 1000], [3, 997], [5, 12], [17, 17]] as const) {
    assert.equal(crc32c(data, start, end), crc32c(data.slice(start, end)));
  }
  assert.equal(crc32c(data, 0, 1000), crc32c(data, 333, 1000, crc32c(data, 0, 333)));
});
