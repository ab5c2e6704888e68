/**
 * Series IDs: the first 128 bits of SHA-256 over tenant and canonical labels
 * key, as 32 lowercase hex characters. Stable across processes and versions (it
 * names objects and index rows), and wide enough that collisions are not a
 * practical concern, unlike the 32/64-bit hashes used for sharding.
 */
import { createHash } from 'node:crypto';
import { labelsKey, type Labels } from '../../query/model/labels.ts';

export const SERIES_ID_BYTES = 16;

export function seriesIdFor(tenant: string, labels: Labels): string {
  return createHash('sha256').update(tenant).update('\xfe').update(labelsKey(labels)).digest('hex').slice(0, SERIES_ID_BYTES * 2);
}

const HEX_RE = /^[0-9a-f]{32}$/;

export function isValidSeriesId(id: string): boolean {
  return HEX_RE.test(id);
}

export function seriesIdToBytes(id: string): Uint8Array {
  if (!HEX_RE.test(id)) throw new TypeError(`Invalid series ID: ${JSON.stringify(id)}`);
  return Buffer.from(id, 'hex');
}

export function seriesIdFromBytes(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
