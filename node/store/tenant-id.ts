/**
 * Tenant IDs become key prefixes in buckets and hash-key prefixes in the index,
 * so they are validated rather than escaped: one allowed form means one key
 * for each tenant and no way to reach another tenant's prefix. The rules are
 * Cortex's: at most 150 bytes of [0-9A-Za-z!-_.*'()], and never "." or "..".
 * '/' (path separator), ':' (index key separator), '%' (encoded tricks such as
 * "%2F") and whitespace are all outside the set.
 */
import { storageError } from './errors.ts';

const TENANT_RE = /^[0-9A-Za-z!\-_.*'()]+$/;
export const MAX_TENANT_ID_LENGTH = 150;

export function isValidTenantId(tenant: string): boolean {
  return (
    typeof tenant === 'string' &&
    tenant.length > 0 &&
    tenant.length <= MAX_TENANT_ID_LENGTH &&
    tenant !== '.' &&
    tenant !== '..' &&
    TENANT_RE.test(tenant)
  );
}

/** Throws STORE_INVALID_TENANT unless the ID is safe to use as a key prefix. */
export function assertValidTenantId(tenant: string): void {
  if (!isValidTenantId(tenant)) {
    throw storageError(
      'STORE_INVALID_TENANT',
      `Invalid tenant ID: ${JSON.stringify(String(tenant).slice(0, 200))} (allowed: 1-${MAX_TENANT_ID_LENGTH} characters of 0-9 A-Z a-z ! - _ . * ' ( ), not "." or "..")`,
    );
  }
}
