/**
 * Encoding of the internal API between nodes (see FORMAT.md): matchers and hints as JSON, series with
 * samples as one binary frame whose sample columns are raw little-endian float64s, so NaN payloads (the
 * stale marker) cross the wire bit-exact and no object is built per sample.
 */
import type { Labels, Label } from '../../query/model/labels.ts';
import { newMatcher, type Matcher, type MatchType } from '../../query/model/matchers.ts';
import type { SeriesSamples } from '../../query/model/samples.ts';
import type { TenantLimits } from '../ingester/config.ts';
import { ClusterError } from './errors.ts';

/** Magic of a select answer frame: "FKS1". */
const SELECT_MAGIC = 0x31534b46;

/** Header carrying the per-call series limits of a push: "maxSeriesPerUser,maxSeriesPerMetric". */
export const LIMITS_HEADER = 'x-frank-series-limits';

export interface WireQuery {
  /** [type, name, value] triples. */
  matchers: [MatchType, string, string][];
  start: number;
  end: number;
  /** Label name, for label-values only. */
  name?: string;
}

export function encodeQuery(matchers: readonly Matcher[], start: number, end: number, name?: string): string {
  const q: WireQuery = { matchers: matchers.map((m) => [m.type, m.name, m.value]), start, end };
  if (name !== undefined) q.name = name;
  return JSON.stringify(q);
}

const MATCH_TYPES = new Set(['=', '!=', '=~', '!~']);

/** Validates and compiles a query sent by another node. Throws ClusterError (400) on anything malformed. */
export function decodeQuery(body: unknown): { matchers: Matcher[]; start: number; end: number; name?: string } {
  const q = body as Partial<WireQuery> | null;
  if (typeof q !== 'object' || q === null || !Array.isArray(q.matchers)) throw new ClusterError('CLUSTER_BAD_REQUEST', 'internal query must be a JSON object with "matchers"');
  const start = Number(q.start);
  const end = Number(q.end);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new ClusterError('CLUSTER_BAD_REQUEST', `internal query has invalid time range: start ${String(q.start)}, end ${String(q.end)}`);
  const matchers: Matcher[] = [];
  for (const m of q.matchers) {
    if (!Array.isArray(m) || m.length !== 3 || !MATCH_TYPES.has(m[0]) || typeof m[1] !== 'string' || typeof m[2] !== 'string') {
      throw new ClusterError('CLUSTER_BAD_REQUEST', `internal query has an invalid matcher: ${JSON.stringify(m)}`);
    }
    try {
      matchers.push(newMatcher(m[0], m[1], m[2]));
    } catch (err) {
      throw new ClusterError('CLUSTER_BAD_REQUEST', `internal query has an invalid matcher: ${(err as Error).message}`);
    }
  }
  if (q.name !== undefined && typeof q.name !== 'string') throw new ClusterError('CLUSTER_BAD_REQUEST', 'internal query "name" must be a string');
  return q.name === undefined ? { matchers, start, end } : { matchers, start, end, name: q.name };
}

export function encodeLimits(l: TenantLimits): string {
  return `${l.maxSeriesPerUser ?? 0},${l.maxSeriesPerMetric ?? 0}`;
}

export function decodeLimits(h: string | string[] | undefined): TenantLimits {
  if (typeof h !== 'string') return {};
  const [u, m] = h.split(',').map(Number);
  return { maxSeriesPerUser: Number.isInteger(u) && u! >= 0 ? u! : 0, maxSeriesPerMetric: Number.isInteger(m) && m! >= 0 ? m! : 0 };
}

/**
 * Select answer: u32 magic, u32 JSON length, JSON {"s":[[flatLabels, sampleCount], ...]}, zero padding to a
 * multiple of 8, every series' timestamps (float64), then every series' values (float64), series in order.
 */
export function encodeSelectResponse(series: readonly SeriesSamples[]): Buffer {
  let total = 0;
  const meta: [string[], number][] = new Array(series.length);
  for (let i = 0; i < series.length; i++) {
    const s = series[i]!;
    const flat: string[] = [];
    for (const l of s.labels) flat.push(l.name, l.value);
    meta[i] = [flat, s.timestamps.length];
    total += s.timestamps.length;
  }
  const json = Buffer.from(JSON.stringify({ s: meta }));
  const head = 8 + json.length;
  const padded = (head + 7) & ~7;
  const buf = Buffer.alloc(padded + total * 16);
  buf.writeUInt32LE(SELECT_MAGIC, 0);
  buf.writeUInt32LE(json.length, 4);
  json.copy(buf, 8);
  // buf.byteOffset may not be 8-aligned (Buffer pool): copy through byte views of the columns
  let off = padded;
  for (const s of series) {
    const b = new Uint8Array(s.timestamps.buffer, s.timestamps.byteOffset, s.timestamps.length * 8);
    buf.set(b, off);
    off += b.length;
  }
  for (const s of series) {
    const b = new Uint8Array(s.values.buffer, s.values.byteOffset, s.values.length * 8);
    buf.set(b, off);
    off += b.length;
  }
  return buf;
}

export function decodeSelectResponse(body: Uint8Array): SeriesSamples[] {
  if (body.length < 8) throw new ClusterError('CLUSTER_BAD_RESPONSE', `internal select answer too short: ${body.length} bytes`);
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (dv.getUint32(0, true) !== SELECT_MAGIC) throw new ClusterError('CLUSTER_BAD_RESPONSE', 'internal select answer has a bad magic number');
  const jsonLen = dv.getUint32(4, true);
  if (8 + jsonLen > body.length) throw new ClusterError('CLUSTER_BAD_RESPONSE', `internal select answer truncated: JSON of ${jsonLen} bytes in ${body.length}`);
  let meta: [string[], number][];
  try {
    meta = (JSON.parse(Buffer.from(body.buffer, body.byteOffset + 8, jsonLen).toString('utf8')) as { s: [string[], number][] }).s;
  } catch (err) {
    throw new ClusterError('CLUSTER_BAD_RESPONSE', `internal select answer has invalid JSON: ${(err as Error).message}`);
  }
  const padded = (8 + jsonLen + 7) & ~7;
  let total = 0;
  for (const m of meta) total += m[1];
  if (padded + total * 16 !== body.length) throw new ClusterError('CLUSTER_BAD_RESPONSE', `internal select answer size mismatch: ${body.length} bytes for ${total} samples`);
  // One aligned copy of both columns; every series gets views into it
  const cols = new Float64Array(total * 2);
  new Uint8Array(cols.buffer).set(body.subarray(padded));
  const out: SeriesSamples[] = new Array(meta.length);
  let at = 0;
  for (let i = 0; i < meta.length; i++) {
    const [flat, n] = meta[i]!;
    const labels: Label[] = new Array(flat.length / 2);
    for (let j = 0; j < labels.length; j++) labels[j] = { name: flat[2 * j]!, value: flat[2 * j + 1]! };
    out[i] = { labels: labels as Labels, timestamps: cols.subarray(at, at + n), values: cols.subarray(total + at, total + at + n) };
    at += n;
  }
  return out;
}

/** Labels as flat [name, value, ...] arrays for JSON answers (series endpoint). */
export function flattenLabels(ls: Labels): string[] {
  const flat: string[] = [];
  for (const l of ls) flat.push(l.name, l.value);
  return flat;
}

export function unflattenLabels(flat: readonly string[]): Labels {
  const out: Label[] = new Array(flat.length / 2);
  for (let j = 0; j < out.length; j++) out[j] = { name: flat[2 * j]!, value: flat[2 * j + 1]! };
  return out;
}
