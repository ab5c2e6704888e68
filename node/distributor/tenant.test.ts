import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashToken, TenantResolver, tenantIdProblem, validateTenantId, type RequestHeaders } from './tenant.ts';
import { DistributorError } from './errors.ts';

function rejects(fn: () => unknown, status: number, code: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DistributorError, `expected DistributorError, got ${e}`);
    assert.equal(e.httpStatus, status);
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('tenant ID rules follow Cortex', () => {
  for (const ok of ['a', 'team-a', "A1!-_.*'()", 'x'.repeat(150), '...']) assert.equal(tenantIdProblem(ok), null, ok);
  for (const bad of ['', '.', '..', 'x'.repeat(151), 'a/b', 'a b', 'a|b', 'ü', '__markers__', 'user-index.json.gz', 'a\nb']) {
    assert.notEqual(tenantIdProblem(bad), null, JSON.stringify(bad));
  }
  rejects(() => validateTenantId('a/b'), 400, 'TENANT_ID_INVALID', /^Invalid tenant ID "a\/b": tenant ID may only contain/);
  rejects(() => validateTenantId('__markers__'), 400, 'TENANT_ID_INVALID', /reserved/);
});

test("mode 'none' ignores headers", () => {
  const r = new TenantResolver({ mode: 'none' });
  assert.equal(r.resolve({}), 'anonymous');
  assert.equal(r.resolve({ 'x-scope-orgid': 'other', authorization: 'Bearer x' }), 'anonymous');
  assert.equal(new TenantResolver({ mode: 'none', anonymousTenant: 'fake' }).resolve({}), 'fake');
  assert.throws(() => new TenantResolver({ mode: 'none', anonymousTenant: 'a b' }), TypeError);
});

test("mode 'header' trusts X-Scope-OrgID", () => {
  const r = new TenantResolver({ mode: 'header' });
  assert.equal(r.resolve({ 'x-scope-orgid': 'team-a' }), 'team-a');
  assert.equal(r.resolve({ 'X-Scope-OrgID': 'team-b' }), 'team-b', 'case-insensitive');
  assert.equal(r.resolve({ 'x-scope-orgid': ['t', 't'] }), 't');
  rejects(() => r.resolve({}), 401, 'TENANT_MISSING', /X-Scope-OrgID header is missing/);
  rejects(() => r.resolve({ 'x-scope-orgid': '' }), 401, 'TENANT_MISSING');
  rejects(() => r.resolve({ 'x-scope-orgid': 'a|b' }), 400, 'TENANT_ID_INVALID');
  rejects(() => r.resolve({ 'x-scope-orgid': ['a', 'b'] }), 400, 'TENANT_ID_INVALID', /2 different values/);
  const custom = new TenantResolver({ mode: 'header', header: 'X-Tenant' });
  assert.equal(custom.resolve({ 'x-tenant': 'c' }), 'c');
  rejects(() => custom.resolve({ 'x-scope-orgid': 'c' }), 401, 'TENANT_MISSING', /X-Tenant/);
});

test("mode 'tokens' maps bearer and basic-auth tokens to tenants", () => {
  const r = new TenantResolver({
    mode: 'tokens',
    tokens: [
      { tenant: 'team-a', sha256: hashToken('secret-a') },
      { tenant: 'team-a', sha256: hashToken('rotated-a').toUpperCase() },
      { tenant: 'team-b', sha256: hashToken('secret-b') },
    ],
  });
  assert.equal(r.resolve({ authorization: 'Bearer secret-a' }), 'team-a');
  assert.equal(r.resolve({ authorization: 'bearer rotated-a' }), 'team-a');
  assert.equal(r.resolve({ authorization: 'Bearer secret-b' }), 'team-b');
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  assert.equal(r.resolve({ authorization: basic('anything', 'secret-b') }), 'team-b', 'username ignored');
  assert.equal(r.resolve({ authorization: basic('x', 'secret-a'), 'x-scope-orgid': 'team-a' }), 'team-a');
  rejects(() => r.resolve({ authorization: basic('x', 'secret-a'), 'x-scope-orgid': 'team-b' }), 401, 'TENANT_UNAUTHORIZED', /does not match/);
  rejects(() => r.resolve({}), 401, 'TENANT_MISSING');
  rejects(() => r.resolve({ 'x-scope-orgid': 'team-a' }), 401, 'TENANT_MISSING', /No API token/);
  rejects(() => r.resolve({ authorization: 'Bearer wrong' }), 401, 'TENANT_UNAUTHORIZED', /^Invalid API token/);
  rejects(() => r.resolve({ authorization: 'Bearer ' }), 401, 'TENANT_MISSING');
  rejects(() => r.resolve({ authorization: basic('user', '') }), 401, 'TENANT_MISSING');
  rejects(() => r.resolve({ authorization: 'Digest abc' }), 401, 'TENANT_MISSING');
});

test("mode 'tokens' validates its config", () => {
  assert.throws(() => new TenantResolver({ mode: 'tokens', tokens: [{ tenant: 'a', sha256: 'abc' }] }), /64 hex digits/);
  assert.throws(() => new TenantResolver({ mode: 'tokens', tokens: [{ tenant: '..', sha256: hashToken('x') }] }), /Invalid tenant in auth token 0/);
  assert.throws(() => new TenantResolver({ mode: 'bogus' } as never), /Unknown auth mode/);
});

test('hashToken is sha256 hex', () => {
  assert.equal(hashToken('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  const headers: RequestHeaders = { authorization: undefined };
  rejects(() => new TenantResolver({ mode: 'tokens', tokens: [] }).resolve(headers), 401, 'TENANT_MISSING');
});
