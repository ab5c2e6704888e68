/**
 * The compactor's per-tenant watermark (FORMAT.md): every index bucket ending before
 * `settledThrough` was compacted after it settled, so runs skip it. Kept in the bucket
 * beside the deletion markers, outside every tenant's prefix (':' cannot occur in a
 * tenant ID), so a restarted compactor or the next owner on the ring picks it up.
 */
import type { Bucket } from '../store/bucket.ts';

export const STATE_PREFIX = 'compactor:state/';

interface TenantState {
  version: 1;
  /** Clock ms: index buckets ending before it are settled and compacted. */
  settledThrough: number;
}

function stateKey(tenant: string): string {
  return `${STATE_PREFIX}${tenant}.json`;
}

/** The tenant's watermark, or -Infinity when it has none yet (nothing is skipped). */
export async function readSettledThrough(bucket: Bucket, tenant: string): Promise<number> {
  const bytes = await bucket.get(stateKey(tenant));
  if (bytes === undefined) return -Infinity;
  let s: TenantState;
  try {
    s = JSON.parse(new TextDecoder().decode(bytes)) as TenantState;
  } catch (err) {
    throw new TypeError(`Invalid compactor state ${JSON.stringify(stateKey(tenant))}: ${(err as Error).message}`);
  }
  if (s.version !== 1 || !Number.isSafeInteger(s.settledThrough)) throw new TypeError(`Invalid compactor state ${JSON.stringify(stateKey(tenant))}: unknown version or shape`);
  return s.settledThrough;
}

export async function writeSettledThrough(bucket: Bucket, tenant: string, settledThrough: number): Promise<void> {
  const s: TenantState = { version: 1, settledThrough };
  await bucket.put(stateKey(tenant), new TextEncoder().encode(JSON.stringify(s)));
}
