import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DISCARD_REASONS, DISTRIBUTOR_ERRORS, DistributorError, notAcceptedError, requestTooLargeError } from './errors.ts';

const doc = readFileSync(new URL('./ERRORS.md', import.meta.url), 'utf8');

test('ERRORS.md lists every error code with its status, ID and limit', () => {
  for (const [code, spec] of Object.entries(DISTRIBUTOR_ERRORS)) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
    assert.ok(row, `${code} documented`);
    assert.ok(row.includes(`| ${spec.httpStatus} |`), `${code} status`);
    assert.ok(row.includes(`\`${spec.id}\``), `${code} id`);
    if ('limit' in spec) assert.ok(row.includes(`\`${spec.limit}\``), `${code} limit`);
  }
  const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \| \d{3} \|/gm)].map((m) => m[1]);
  assert.deepEqual(documented.sort(), Object.keys(DISTRIBUTOR_ERRORS).sort(), 'no undocumented or stale codes');
});

test('ERRORS.md lists every discard reason with its ID and limit', () => {
  for (const [reason, spec] of Object.entries(DISCARD_REASONS)) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${reason}\` |`));
    assert.ok(row, `${reason} documented`);
    assert.ok(row.includes(`\`${spec.id}\``), `${reason} id`);
    if (spec.limit) assert.ok(row.includes(`\`${spec.limit}\``), `${reason} limit`);
  }
  const documented = [...doc.matchAll(/^\| `([a-z_]+)` \| `err-frank/gm)].map((m) => m[1]);
  assert.deepEqual(documented.sort(), Object.keys(DISCARD_REASONS).sort());
});

test('errors carry status, code, ID and the limit to raise', () => {
  const e = requestTooLargeError('t', 20, 10);
  assert.ok(e instanceof DistributorError);
  assert.equal(e.httpStatus, 413);
  assert.equal(e.errorType, 'bad_data');
  assert.equal(e.message, 'Request body too large: 20 bytes exceeds the limit of 10 bytes for tenant "t" (err-frank-request-too-large; to adjust, raise the per-tenant limit maxRequestBodyBytes)');
  const h = notAcceptedError('native histograms', 3, 't');
  assert.equal(h.httpStatus, 400);
  assert.equal(h.code, 'NATIVE_HISTOGRAMS_NOT_ACCEPTED');
  assert.match(h.message, /^Request contains 3 native histograms, which are not accepted for tenant "t" \(err-frank-native-histograms-not-accepted/);
  const m = new DistributorError('TENANT_MISSING', 'No tenant ID');
  assert.equal(m.message, 'No tenant ID (err-frank-missing-tenant)');
  assert.equal(m.errorType, 'unauthorized');
});
