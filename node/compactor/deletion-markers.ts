/**
 * Deletion markers (FORMAT.md): objects that left the index and will be deleted
 * once their grace period is over. Kept in the bucket, outside every tenant's
 * prefix (':' cannot appear in a tenant ID), so they survive compactor restarts
 * and outlive tenants that retention removed from the index.
 */
import { randomBytes } from 'node:crypto';
import type { Bucket } from '../store/bucket.ts';
import type { ChunkRef } from '../store/chunk-index.ts';

export const MARKER_PREFIX = 'compactor:markers/deletion/';

export interface DeletionMarker {
  version: 1;
  tenant: string;
  /** Clock ms after which the chunks may be deleted. */
  deleteAfter: number;
  /** Why the chunks left the index. */
  reason: 'compacted' | 'retention';
  chunks: { seriesId: string; id: string; minT: number; maxT: number }[];
  /** Other objects to delete, by key inside the tenant's prefix (block objects freed by retention). */
  objects?: string[];
}

/** Key of a marker: the zero-padded deadline first, so a listing is in deadline order. */
export function markerKey(deleteAfter: number): string {
  return `${MARKER_PREFIX}${String(Math.max(0, Math.floor(deleteAfter))).padStart(16, '0')}-${randomBytes(8).toString('hex')}.json`;
}

export function deadlineOfKey(key: string): number {
  return Number(key.slice(MARKER_PREFIX.length, MARKER_PREFIX.length + 16));
}

export async function writeMarker(bucket: Bucket, tenant: string, deleteAfter: number, reason: DeletionMarker['reason'], refs: readonly ChunkRef[], objects: readonly string[] = []): Promise<string> {
  const m: DeletionMarker = {
    version: 1,
    tenant,
    deleteAfter,
    reason,
    chunks: refs.map((r) => ({ seriesId: r.seriesId, id: r.id, minT: r.minT, maxT: r.maxT })),
    ...(objects.length > 0 ? { objects: [...objects] } : {}),
  };
  const key = markerKey(deleteAfter);
  await bucket.put(key, new TextEncoder().encode(JSON.stringify(m)));
  return key;
}

export async function readMarker(bucket: Bucket, key: string): Promise<DeletionMarker | undefined> {
  const bytes = await bucket.get(key);
  if (bytes === undefined) return undefined;
  const m = JSON.parse(new TextDecoder().decode(bytes)) as DeletionMarker;
  if (m.version !== 1 || typeof m.tenant !== 'string' || !Array.isArray(m.chunks) || (m.objects !== undefined && !(Array.isArray(m.objects) && m.objects.every((k) => typeof k === 'string' && k.startsWith('blocks/'))))) throw new TypeError(`Invalid deletion marker ${JSON.stringify(key)}: unknown version or shape`);
  return m;
}
