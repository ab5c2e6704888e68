import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { STORE_ERROR_CODES, storageError, isTransientStoreError, hasStoreCode } from './errors.ts';
import { isStoreError } from '../core/errors.ts';

describe('store errors', () => {
  it('README.md lists exactly the codes and statuses of errors.ts', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    const documented = new Map<string, number>();
    for (const m of readme.matchAll(/^\| `(STORE_[A-Z_]+)` \| (\d{3}) \|/gm)) documented.set(m[1]!, Number(m[2]));
    assert.deepEqual(Object.fromEntries(documented), { ...STORE_ERROR_CODES });
  });

  it('storageError() carries code, HTTP status and cause, and only unavailable/timeout are transient', () => {
    const cause = new Error('socket hang up');
    const e = storageError('STORE_UNAVAILABLE', 'Failed to get object "k": socket hang up', cause);
    assert.ok(isStoreError(e));
    assert.equal(e.httpStatus, 503);
    assert.equal(e.errorType, 'unavailable');
    assert.equal(e.cause, cause);
    assert.ok(hasStoreCode(e, 'STORE_UNAVAILABLE'));
    const transient = Object.keys(STORE_ERROR_CODES).filter((c) => isTransientStoreError(storageError(c as keyof typeof STORE_ERROR_CODES, 'x')));
    assert.deepEqual(transient, ['STORE_UNAVAILABLE', 'STORE_TIMEOUT']);
  });
});
