/**
 * The chunk-index schema (FORMAT.md describes it with costs): which rows a
 * chunk entry produces and how keys and values are encoded. Pure functions,
 * shared by every RowStore backend.
 *
 * Hash keys are strings "<tenant>:<bucket>:<kind>[:<name>]". Tenant IDs cannot
 * contain ':' (tenant-id.ts), label names cannot either, and the metric name is
 * always the last field, so hash keys never collide.
 */
import { METRIC_NAME, type Label, type Labels } from '../../query/model/labels.ts';
import { SERIES_ID_BYTES, seriesIdFromBytes, seriesIdToBytes } from './series-id.ts';
import type { IndexRow } from './row-store.ts';

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** Hash key of the tenant list; has no ':' so it cannot equal any tenant-scoped key. */
export const TENANTS_HASH = 'tenants';

export const hashKeys = {
  /** Buckets a tenant has data in. Range: i64(bucket). */
  buckets: (t: string) => `${t}:B`,
  /** Series of one metric. Range: seriesID (16 bytes). Value: labels. */
  metric: (t: string, b: number, metric: string) => `${t}:${b}:M:${metric}`,
  /** Postings of one label name (not __name__). Range: utf8(value) 0x00 seriesID. Value: labels (absent in rows written before 2026-12). */
  label: (t: string, b: number, name: string) => `${t}:${b}:L:${name}`,
  /** Every series of the bucket. Range: seriesID. Value: labels. */
  series: (t: string, b: number) => `${t}:${b}:S`,
  /** Label names present in the bucket. Range: utf8(name). */
  names: (t: string, b: number) => `${t}:${b}:N`,
  /** Values of one label name (including __name__). Range: utf8(value). */
  values: (t: string, b: number, name: string) => `${t}:${b}:V:${name}`,
  /** Chunks of one series. Range: i64(maxT) utf8(chunkID). Value: chunk meta. */
  chunks: (t: string, b: number, seriesId: string) => `${t}:${b}:C:${seriesId}`,
  /** Blocks with chunks in the bucket. Range: i64(maxT) utf8(blockID). Value: block meta (JSON). */
  blocks: (t: string, b: number) => `${t}:${b}:K`,
};

/** Time bucket of a timestamp. */
export function bucketOf(t: number, periodMs: number): number {
  return Math.floor(t / periodMs);
}

/** Buckets overlapping [start, end] (inclusive). */
export function bucketsBetween(start: number, end: number, periodMs: number): number[] {
  const out: number[] = [];
  if (start > end) return out;
  for (let b = bucketOf(start, periodMs), last = bucketOf(end, periodMs); b <= last; b++) out.push(b);
  return out;
}

/** Signed 64-bit big-endian with the sign bit flipped, so byte order equals numeric order. */
export function encodeI64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  const dv = new DataView(out.buffer);
  dv.setBigInt64(0, BigInt(Math.trunc(n)));
  out[0]! ^= 0x80;
  return out;
}

export function decodeI64(b: Uint8Array, offset = 0): number {
  // Two 32-bit halves instead of a BigInt: this runs once per index row read. Exact for
  // |n| < 2^53, which covers every millisecond timestamp and bucket number we store.
  const hi = ((b[offset]! ^ 0x80) << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!;
  const lo = ((b[offset + 4]! << 24) | (b[offset + 5]! << 16) | (b[offset + 6]! << 8) | b[offset + 7]!) >>> 0;
  return hi * 4294967296 + lo;
}

export function encodeString(s: string): Uint8Array {
  return utf8.encode(s);
}

export function decodeString(b: Uint8Array): string {
  return utf8d.decode(b);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const ZERO = new Uint8Array([0]);

/** Range key of a label posting: value 0x00 seriesID. The ID is fixed-size, so parsing works from the end. */
export function postingRange(value: string, seriesId: string): Uint8Array {
  return concat(utf8.encode(value), ZERO, seriesIdToBytes(seriesId));
}

export function postingPrefix(value: string): Uint8Array {
  return concat(utf8.encode(value), ZERO);
}

export function chunkRange(maxT: number, chunkId: string): Uint8Array {
  return concat(encodeI64(maxT), utf8.encode(chunkId));
}

export function blockRange(maxT: number, blockId: string): Uint8Array {
  return concat(encodeI64(maxT), utf8.encode(blockId));
}

/** Labels as JSON [name, value, name, value, ...]: compact and fast to parse in V8. */
export function encodeLabels(ls: Labels): Uint8Array {
  const flat: string[] = [];
  for (const l of ls) flat.push(l.name, l.value);
  return utf8.encode(JSON.stringify(flat));
}

export function decodeLabels(b: Uint8Array): Labels {
  const flat = JSON.parse(utf8d.decode(b)) as string[];
  const out: Label[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push({ name: flat[i]!, value: flat[i + 1]! });
  return out;
}

export interface ChunkMeta {
  minT: number;
  maxT: number;
  /** Samples in the chunk (from its 2-byte header); 0 when unknown. */
  samples: number;
  /** Encoded size in bytes; 0 when unknown. */
  bytes: number;
}

/** Chunk meta value: version byte 1, then minT and maxT as i64, samples and bytes as u32, big-endian. */
export function encodeChunkMeta(m: ChunkMeta): Uint8Array {
  const out = new Uint8Array(25);
  out[0] = 1;
  out.set(encodeI64(m.minT), 1);
  out.set(encodeI64(m.maxT), 9);
  const dv = new DataView(out.buffer);
  dv.setUint32(17, m.samples >>> 0);
  dv.setUint32(21, m.bytes >>> 0);
  return out;
}

export function decodeChunkMeta(b: Uint8Array): ChunkMeta {
  if (b.length < 25 || b[0] !== 1) throw new SyntaxError(`Invalid chunk meta: ${b.length} bytes, version ${b[0]}`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { minT: decodeI64(b, 1), maxT: decodeI64(b, 9), samples: dv.getUint32(17), bytes: dv.getUint32(21) };
}

/** Rows describing a series in one bucket (everything except its chunk rows). */
export function seriesRows(tenant: string, bucket: number, seriesId: string, labels: Labels): IndexRow[] {
  const rows: IndexRow[] = [];
  const sid = seriesIdToBytes(seriesId);
  const encoded = encodeLabels(labels);
  rows.push({ hash: hashKeys.series(tenant, bucket), range: sid, value: encoded });
  for (const l of labels) {
    rows.push({ hash: hashKeys.names(tenant, bucket), range: utf8.encode(l.name) });
    rows.push({ hash: hashKeys.values(tenant, bucket, l.name), range: utf8.encode(l.value) });
    if (l.name === METRIC_NAME) rows.push({ hash: hashKeys.metric(tenant, bucket, l.value), range: sid, value: encoded });
    // The labels ride along, as in metric rows: a selector without a metric name then needs no point reads.
    else rows.push({ hash: hashKeys.label(tenant, bucket, l.name), range: postingRange(l.value, seriesId), value: encoded });
  }
  rows.push({ hash: hashKeys.buckets(tenant), range: encodeI64(bucket) });
  rows.push({ hash: TENANTS_HASH, range: utf8.encode(tenant) });
  return rows;
}
