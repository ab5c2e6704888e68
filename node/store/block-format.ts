/**
 * Block objects (FORMAT.md §4): the compactor writes every chunk of one tenant's closed
 * window into one object, with a directory sorted by series ID so a querier finds the
 * chunks of the series it wants with a few range reads instead of one object per chunk,
 * and a series index (labels, postings per label value) so a query over compacted data
 * can select its series from the block itself.
 * Pure encoding and decoding; block-reader.ts does the I/O and caching.
 */
import { createHash } from 'node:crypto';
import type { ChunkEncoding } from '../chunk/encoding.ts';
import { compareLabels, type Labels } from '../../query/model/labels.ts';
import { SERIES_ID_BYTES } from './series-id.ts';

/** "FRKBLK", 0, version 1. */
export const BLOCK_MAGIC = Uint8Array.from([0x46, 0x52, 0x4b, 0x42, 0x4c, 0x4b, 0x00, 0x01]);
/** Bytes of one directory entry. */
export const DIR_ENTRY_BYTES = 32;
/** Bytes of one series table entry: series ID, first directory entry, labels offset, entries, labels length, label-order rank. */
export const SERIES_ENTRY_BYTES = 32;
/** Series table entries per page (the unit of series reads and caching: 8 KiB, plus their labels). */
export const SERIES_PER_PAGE = 256;
/** Directory entries per page: the unit of directory reads and of the directory cache (8 KiB). */
export const DEFAULT_FENCE_EVERY = 256;
/** Entries keep times relative to the block's minT, offsets and lengths in 32 bits. */
const MAX_U32 = 0xffff_ffff;
/** A chunk's duration takes 31 bits; the top bit is the encoding (0 XOR, 1 packed). */
const MAX_DURATION = 0x7fff_ffff;
const FOOTER_TRAILER = 8; // u32 JSON length + "FKBE"
const FOOTER_MAGIC = 0x4542_4b46; // "FKBE" little-endian

const ENCODING_CODE: Record<ChunkEncoding, number> = { xor: 0, packed: 1 };
const CODE_ENCODING: ChunkEncoding[] = ['xor', 'packed'];

/** What a reader needs to know of a block without reading it (kept in the index's block rows). */
export interface BlockMeta {
  /** 32 hex chars: the first 16 bytes of SHA-256 over the object before its footer (content address). */
  id: string;
  /** First and last sample timestamp of any chunk in the block, inclusive ms. */
  minT: number;
  maxT: number;
  series: number;
  chunks: number;
  samples: number;
  /** Object size in bytes. */
  size: number;
  /** Offset and entry count of the directory. */
  dirOffset: number;
  dirEntries: number;
  /** Offset of the fence table: the series ID of every fenceEvery-th directory entry. */
  fenceOffset: number;
  fenceEvery: number;
  /** Series table: `series` entries of SERIES_ENTRY_BYTES, in series ID order (the directory's). */
  seriesTableOffset: number;
  /** Labels of every series, back to back, in series order: uvarint symbol numbers, name then value per label. */
  labelsOffset: number;
  labelsBytes: number;
  /** Symbol table: JSON array of every label name and value of the block, sorted. */
  symbolsOffset: number;
  symbolsBytes: number;
  /** Postings: u32 LE series ordinals per label name and value, in label index order. */
  postingsOffset: number;
  /** Label index: JSON [[name, valuesOffset, valuesBytes], ...] sorted by name (offsets absolute). */
  namesOffset: number;
  namesBytes: number;
}

/** One chunk to put in a block. */
export interface BlockChunk {
  /** 32 lowercase hex chars (series-id.ts). */
  seriesId: string;
  /** The series' labels (the same for every chunk of a series; the first one seen is kept). */
  labels: Labels;
  minT: number;
  maxT: number;
  encoding: ChunkEncoding;
  bytes: Uint8Array;
  samples: number;
}

/** One directory entry read back. */
export interface BlockEntry {
  seriesId: string;
  minT: number;
  maxT: number;
  encoding: ChunkEncoding;
  /** Absolute offset and length of the chunk bytes in the object. */
  offset: number;
  length: number;
}

/** Object key of a block inside its tenant's prefix. */
export function blockKey(id: string): string {
  return `blocks/${id}`;
}

/**
 * Encodes the chunks as one block: chunks in (series ID, minT) order, then the
 * directory, the fences and a JSON footer repeating the meta (for tools).
 */
export function encodeBlock(chunks: readonly BlockChunk[], fenceEvery = DEFAULT_FENCE_EVERY): { bytes: Uint8Array; meta: BlockMeta } {
  if (chunks.length === 0) throw new RangeError('A block needs at least one chunk');
  if (!(Number.isSafeInteger(fenceEvery) && fenceEvery > 0)) throw new RangeError(`Invalid fence interval: ${fenceEvery}`);
  const order = chunks.map((_, i) => i);
  order.sort((a, b) => {
    const x = chunks[a]!;
    const y = chunks[b]!;
    return x.seriesId < y.seriesId ? -1 : x.seriesId > y.seriesId ? 1 : x.minT - y.minT;
  });
  let dataBytes = 0;
  let minT = Infinity;
  let maxT = -Infinity;
  for (const c of chunks) {
    if (!/^[0-9a-f]{32}$/.test(c.seriesId)) throw new TypeError(`Invalid series ID in block: ${JSON.stringify(c.seriesId)}`);
    if (!(Number.isSafeInteger(c.minT) && Number.isSafeInteger(c.maxT) && c.minT <= c.maxT)) throw new RangeError(`Invalid chunk time range in block: [${c.minT}, ${c.maxT}]`);
    if (c.maxT - c.minT > MAX_DURATION) throw new RangeError(`Chunk too long for a block: [${c.minT}, ${c.maxT}] spans more than ${MAX_DURATION} ms`);
    dataBytes += c.bytes.length;
    if (c.minT < minT) minT = c.minT;
    if (c.maxT > maxT) maxT = c.maxT;
  }
  if (maxT - minT > MAX_U32) throw new RangeError(`Block spans too long: [${minT}, ${maxT}] is more than ${MAX_U32} ms`);
  const n = chunks.length;
  const fences = Math.ceil(n / fenceEvery);
  const dirOffset = BLOCK_MAGIC.length + dataBytes;
  const fenceOffset = dirOffset + n * DIR_ENTRY_BYTES;
  if (fenceOffset > MAX_U32) throw new RangeError(`Block too large: ${dataBytes} bytes of chunks, at most ${MAX_U32 - BLOCK_MAGIC.length}`);
  // Series in ID order, with their labels and first directory entry.
  const seriesIds: string[] = [];
  const seriesFirst: number[] = [];
  for (let k = 0; k < n; k++) {
    const c = chunks[order[k]!]!;
    if (seriesIds.length === 0 || seriesIds[seriesIds.length - 1] !== c.seriesId) {
      seriesIds.push(c.seriesId);
      seriesFirst.push(k);
    }
  }
  const series = seriesIds.length;
  const labelsOf = (i: number) => chunks[order[seriesFirst[i]!]!]!.labels;
  // Symbols: every name and value once; a series' labels are their symbol numbers.
  const symbolSet = new Set<string>();
  for (let i = 0; i < series; i++) for (const l of labelsOf(i)) symbolSet.add(l.name).add(l.value);
  const symbols = [...symbolSet].sort(byCodePoint);
  const symbolOf = new Map(symbols.map((x, i) => [x, i]));
  const seriesLabels: Uint8Array[] = [];
  for (let i = 0; i < series; i++) {
    const refs: number[] = [];
    for (const l of labelsOf(i)) refs.push(symbolOf.get(l.name)!, symbolOf.get(l.value)!);
    seriesLabels.push(uvarints(refs));
  }
  // Label index: name -> value -> ordinals (ascending, since series are visited in order).
  const byName = new Map<string, Map<string, number[]>>();
  seriesIds.forEach((_, i) => {
    for (const l of labelsOf(i)) {
      let values = byName.get(l.name);
      if (values === undefined) byName.set(l.name, (values = new Map()));
      const ords = values.get(l.value);
      if (ords === undefined) values.set(l.value, [i]);
      else ords.push(i);
    }
  });
  const names = [...byName.keys()].sort(byCodePoint);
  let postingsCount = 0;
  for (const values of byName.values()) for (const ords of values.values()) postingsCount += ords.length;
  const seriesTableOffset = fenceOffset + fences * SERIES_ID_BYTES;
  const labelsOffset = seriesTableOffset + series * SERIES_ENTRY_BYTES;
  let labelsBytes = 0;
  for (const l of seriesLabels) labelsBytes += l.length;
  const postingsOffset = labelsOffset + labelsBytes;
  const valuesOffset = postingsOffset + postingsCount * 4;
  // Per-name value tables (JSON [[value, first posting, count], ...], sorted), then the names table.
  const valueTables: Buffer[] = [];
  const nameRows: [string, number, number][] = [];
  let p = 0;
  let vo = valuesOffset;
  const postings = new Uint32Array(postingsCount);
  for (const name of names) {
    const values = byName.get(name)!;
    const rows: [string, number, number][] = [];
    for (const value of [...values.keys()].sort(byCodePoint)) {
      const ords = values.get(value)!;
      rows.push([value, p, ords.length]);
      postings.set(ords, p);
      p += ords.length;
    }
    const t = Buffer.from(JSON.stringify(rows));
    valueTables.push(t);
    nameRows.push([name, vo, t.length]);
    vo += t.length;
  }
  const namesTable = Buffer.from(JSON.stringify(nameRows));
  const namesOffset = vo;
  const symbolsTable = Buffer.from(JSON.stringify(symbols));
  const symbolsOffset = namesOffset + namesTable.length;
  const bodyBytes = symbolsOffset + symbolsTable.length;
  const body = Buffer.alloc(bodyBytes);
  body.set(BLOCK_MAGIC, 0);
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let o = BLOCK_MAGIC.length;
  let samples = 0;
  for (let k = 0; k < n; k++) {
    const c = chunks[order[k]!]!;
    const e = dirOffset + k * DIR_ENTRY_BYTES;
    body.write(c.seriesId, e, 'hex');
    dv.setUint32(e + 16, c.minT - minT, true);
    dv.setUint32(e + 20, ((ENCODING_CODE[c.encoding] << 31) | (c.maxT - c.minT)) >>> 0, true);
    dv.setUint32(e + 24, o, true);
    dv.setUint32(e + 28, c.bytes.length, true);
    if (k % fenceEvery === 0) body.write(c.seriesId, fenceOffset + (k / fenceEvery) * SERIES_ID_BYTES, 'hex');
    body.set(c.bytes, o);
    o += c.bytes.length;
    samples += c.samples;
  }
  // Each series' position in label order: a query selecting from this block alone sorts by it.
  const byLabels = seriesIds.map((_, i) => i).sort((a, b) => compareLabels(labelsOf(a), labelsOf(b)));
  const rank = new Uint32Array(series);
  byLabels.forEach((i, r) => (rank[i] = r));
  let lo = 0;
  for (let i = 0; i < series; i++) {
    const e = seriesTableOffset + i * SERIES_ENTRY_BYTES;
    const entries = (i + 1 < series ? seriesFirst[i + 1]! : n) - seriesFirst[i]!;
    if (entries > 0xffff) throw new RangeError(`Too many chunks for one series in a block: ${entries}, at most 65535`);
    if (seriesLabels[i]!.length > 0xffff) throw new RangeError(`Labels too long for a block: ${seriesLabels[i]!.length} bytes encoded, at most 65535`);
    body.write(seriesIds[i]!, e, 'hex');
    dv.setUint32(e + 16, seriesFirst[i]!, true);
    dv.setUint32(e + 20, lo, true);
    dv.setUint16(e + 24, entries, true);
    dv.setUint16(e + 26, seriesLabels[i]!.length, true);
    dv.setUint32(e + 28, rank[i]!, true);
    body.set(seriesLabels[i]!, labelsOffset + lo);
    lo += seriesLabels[i]!.length;
  }
  for (let i = 0; i < postingsCount; i++) dv.setUint32(postingsOffset + i * 4, postings[i]!, true);
  let t = valuesOffset;
  for (const v of valueTables) {
    v.copy(body, t);
    t += v.length;
  }
  namesTable.copy(body, namesOffset);
  symbolsTable.copy(body, symbolsOffset);
  const id = createHash('sha256').update(body).digest('hex').slice(0, 32);
  const fields = { id, minT, maxT, series, chunks: n, samples, dirOffset, dirEntries: n, fenceOffset, fenceEvery, seriesTableOffset, labelsOffset, labelsBytes, symbolsOffset, symbolsBytes: symbolsTable.length, postingsOffset, namesOffset, namesBytes: namesTable.length };
  const footerJson = Buffer.from(JSON.stringify({ version: 1, ...fields }));
  const size = bodyBytes + footerJson.length + FOOTER_TRAILER;
  const meta: BlockMeta = { ...fields, size };
  const out = Buffer.allocUnsafe(size);
  body.copy(out, 0);
  footerJson.copy(out, bodyBytes);
  out.writeUInt32LE(footerJson.length, bodyBytes + footerJson.length);
  out.writeUInt32LE(FOOTER_MAGIC, bodyBytes + footerJson.length + 4);
  return { bytes: out, meta };
}

/** Unsigned LEB128 varints. */
function uvarints(xs: readonly number[]): Uint8Array {
  const out: number[] = [];
  for (let x of xs) {
    while (x >= 0x80) {
      out.push((x & 0x7f) | 0x80);
      x = Math.floor(x / 128);
    }
    out.push(x);
  }
  return Uint8Array.from(out);
}

/** Code-point order (what JSON consumers and Prometheus sort by), not UTF-16 order. */
function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The meta from a whole block object's footer (tools and checks; queriers use the index row). */
export function readBlockFooter(bytes: Uint8Array): BlockMeta {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < BLOCK_MAGIC.length + FOOTER_TRAILER || !b.subarray(0, BLOCK_MAGIC.length).equals(BLOCK_MAGIC) || b.readUInt32LE(b.length - 4) !== FOOTER_MAGIC) {
    throw new RangeError('Not a block object: bad magic');
  }
  const len = b.readUInt32LE(b.length - FOOTER_TRAILER);
  if (len > b.length - FOOTER_TRAILER - BLOCK_MAGIC.length) throw new RangeError(`Corrupt block footer: length ${len}`);
  const j = JSON.parse(b.toString('utf8', b.length - FOOTER_TRAILER - len, b.length - FOOTER_TRAILER)) as Record<string, unknown>;
  if (j.version !== 1) throw new RangeError(`Unsupported block version ${String(j.version)}`);
  return blockMetaFrom({ ...j, size: b.length });
}

/** Block meta as stored in an index row value (UTF-8 JSON). */
export function encodeBlockMeta(m: BlockMeta): Uint8Array {
  return Buffer.from(JSON.stringify({ v: 1, ...m }));
}

export function decodeBlockMeta(bytes: Uint8Array): BlockMeta {
  return blockMetaFrom(JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as Record<string, unknown>);
}

/** A checked BlockMeta from a parsed object (index row value, footer, or a caller's meta): RangeError naming a bad field. */
export function blockMetaFrom(j: Readonly<Record<string, unknown>>): BlockMeta {
  const num = (k: string): number => {
    const v = j[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new RangeError(`Invalid block meta: ${k} is ${JSON.stringify(v)}`);
    return v;
  };
  if (typeof j.id !== 'string' || !/^[0-9a-f]{32}$/.test(j.id)) throw new RangeError(`Invalid block meta: id is ${JSON.stringify(j.id)}`);
  return {
    id: j.id,
    minT: num('minT'),
    maxT: num('maxT'),
    series: num('series'),
    chunks: num('chunks'),
    samples: num('samples'),
    size: num('size'),
    dirOffset: num('dirOffset'),
    dirEntries: num('dirEntries'),
    fenceOffset: num('fenceOffset'),
    fenceEvery: num('fenceEvery'),
    seriesTableOffset: num('seriesTableOffset'),
    labelsOffset: num('labelsOffset'),
    labelsBytes: num('labelsBytes'),
    symbolsOffset: num('symbolsOffset'),
    symbolsBytes: num('symbolsBytes'),
    postingsOffset: num('postingsOffset'),
    namesOffset: num('namesOffset'),
    namesBytes: num('namesBytes'),
  };
}

/**
 * Directory entry k of a page (or of the whole directory) read into `dir` (with `dv` a view of
 * it), of a block starting at `blockMinT`. `seriesId` is the caller's when it already knows it
 * (it searched for it): converting 16 bytes to hex per entry costs more than the rest.
 */
export function readEntry(dir: Uint8Array, k: number, blockMinT: number, dv = new DataView(dir.buffer, dir.byteOffset, dir.byteLength), seriesId?: string): BlockEntry {
  const e = k * DIR_ENTRY_BYTES;
  const minT = blockMinT + dv.getUint32(e + 16, true);
  const span = dv.getUint32(e + 20, true);
  return {
    seriesId: seriesId ?? Buffer.from(dir.buffer, dir.byteOffset + e, SERIES_ID_BYTES).toString('hex'),
    minT,
    maxT: minT + (span & MAX_DURATION),
    offset: dv.getUint32(e + 24, true),
    length: dv.getUint32(e + 28, true),
    encoding: CODE_ENCODING[span >>> 31]!,
  };
}

/** Compares the 16-byte series ID at `at` in `buf` with `id` (bytes). */
export function compareIdAt(buf: Uint8Array, at: number, id: Uint8Array): number {
  for (let i = 0; i < SERIES_ID_BYTES; i++) {
    const d = buf[at + i]! - id[i]!;
    if (d !== 0) return d;
  }
  return 0;
}
