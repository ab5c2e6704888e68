import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { compareLabels, labelsFromObject } from '../../query/model/labels.ts';
import { BLOCK_MAGIC, DIR_ENTRY_BYTES, SERIES_ENTRY_BYTES, decodeBlockMeta, encodeBlock, encodeBlockMeta, readBlockFooter, readEntry, type BlockChunk } from './block-format.ts';

const T = 1_750_000_000_000;

function sid(i: number): string {
  return createHash('sha256').update(String(i)).digest('hex').slice(0, 32);
}

function chunk(i: number, minT: number, len = 10 + (i % 7), encoding: BlockChunk['encoding'] = i % 2 === 0 ? 'xor' : 'packed'): BlockChunk {
  const bytes = new Uint8Array(len).map((_, k) => (i * 31 + k) & 0xff);
  return { seriesId: sid(i), labels: labelsFromObject({ __name__: 'm', i: String(i) }), minT, maxT: minT + 1000 * len, encoding, bytes, samples: len };
}

test('encodeBlock lays chunks out in (series, minT) order with a directory that finds each one', () => {
  const chunks = [chunk(3, T + 5000), chunk(1, T), chunk(3, T), chunk(2, T + 100)];
  const { bytes, meta } = encodeBlock(chunks, 2);
  assert.deepEqual(Uint8Array.from(bytes.subarray(0, 8)), BLOCK_MAGIC);
  assert.equal(meta.size, bytes.length);
  assert.equal(meta.chunks, 4);
  assert.equal(meta.series, 3);
  assert.equal(meta.samples, chunks.reduce((n, c) => n + c.samples, 0));
  assert.equal(meta.minT, T);
  assert.equal(meta.maxT, Math.max(...chunks.map((c) => c.maxT)));
  const dir = bytes.subarray(meta.dirOffset, meta.dirOffset + meta.dirEntries * DIR_ENTRY_BYTES);
  const entries = Array.from({ length: meta.dirEntries }, (_, k) => readEntry(dir, k, meta.minT));
  const sorted = [...chunks].sort((a, b) => (a.seriesId < b.seriesId ? -1 : a.seriesId > b.seriesId ? 1 : a.minT - b.minT));
  entries.forEach((e, k) => {
    const c = sorted[k]!;
    assert.equal(e.seriesId, c.seriesId);
    assert.equal(e.minT, c.minT);
    assert.equal(e.maxT, c.maxT);
    assert.equal(e.encoding, c.encoding);
    assert.deepEqual(Uint8Array.from(bytes.subarray(e.offset, e.offset + e.length)), c.bytes);
  });
  // Fences: the series ID of every 2nd entry.
  const fences = bytes.subarray(meta.fenceOffset, meta.fenceOffset + 2 * 16);
  assert.equal(Buffer.from(fences.subarray(0, 16)).toString('hex'), sorted[0]!.seriesId);
  assert.equal(Buffer.from(fences.subarray(16, 32)).toString('hex'), sorted[2]!.seriesId);
  assert.deepEqual(readBlockFooter(bytes), meta);
  // Series table: in series ID order, each entry's rank is its position in label order.
  const table = Buffer.from(bytes.subarray(meta.seriesTableOffset, meta.seriesTableOffset + meta.series * SERIES_ENTRY_BYTES));
  const rows = Array.from({ length: meta.series }, (_, i) => ({ id: table.toString('hex', i * 32, i * 32 + 16), entries: table.readUInt16LE(i * 32 + 24), rank: table.readUInt32LE(i * 32 + 28) }));
  assert.deepEqual(rows.map((r) => r.id), [...new Set(sorted.map((c) => c.seriesId))]);
  assert.deepEqual(rows.map((r) => r.entries), rows.map((r) => sorted.filter((c) => c.seriesId === r.id).length));
  const byRank = [...rows].sort((a, b) => a.rank - b.rank).map((r) => chunks.find((c) => c.seriesId === r.id)!.labels);
  assert.deepEqual(byRank, [...byRank].sort(compareLabels));
});

test('the block ID is a content hash: same chunks in any order, same block', () => {
  const a = encodeBlock([chunk(1, T), chunk(2, T)]);
  const b = encodeBlock([chunk(2, T), chunk(1, T)]);
  assert.equal(a.meta.id, b.meta.id);
  assert.deepEqual(a.bytes, b.bytes);
  const c = encodeBlock([chunk(1, T), chunk(2, T + 1)]);
  assert.notEqual(a.meta.id, c.meta.id);
});

test('block meta round-trips through its index encoding and rejects malformed values', () => {
  const { meta } = encodeBlock([chunk(1, T)]);
  assert.deepEqual(decodeBlockMeta(encodeBlockMeta(meta)), meta);
  assert.throws(() => decodeBlockMeta(Buffer.from(JSON.stringify({ ...meta, id: '../x' }))), /Invalid block meta: id/);
  assert.throws(() => decodeBlockMeta(Buffer.from(JSON.stringify({ ...meta, size: 1.5 }))), /Invalid block meta: size/);
  assert.throws(() => decodeBlockMeta(Buffer.from('{')), SyntaxError);
});

test('encodeBlock refuses what its directory cannot describe', () => {
  assert.throws(() => encodeBlock([]), /at least one chunk/);
  assert.throws(() => encodeBlock([{ ...chunk(1, T), seriesId: 'xyz' }]), /Invalid series ID/);
  assert.throws(() => encodeBlock([{ ...chunk(1, T), maxT: T - 1 }]), /Invalid chunk time range/);
  assert.throws(() => encodeBlock([{ ...chunk(1, T), maxT: T + 2 ** 31 }]), /Chunk too long/);
  assert.throws(() => encodeBlock([chunk(1, T), chunk(2, T + 2 ** 32)]), /Block spans too long/);
});

test('readBlockFooter rejects objects that are not blocks', () => {
  assert.throws(() => readBlockFooter(new Uint8Array(40)), /Not a block object/);
  const { bytes } = encodeBlock([chunk(1, T)]);
  const cut = bytes.slice(0, bytes.length - 1);
  assert.throws(() => readBlockFooter(cut), /Not a block object/);
});
