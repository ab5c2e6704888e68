import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULT_LIMITS, Overrides } from './limits.ts';

test('defaults are the Cortex defaults', () => {
  assert.equal(DEFAULT_LIMITS.ingestionRate, 25_000);
  assert.equal(DEFAULT_LIMITS.ingestionBurstSize, 50_000);
  assert.equal(DEFAULT_LIMITS.maxLabelNamesPerSeries, 30);
  assert.equal(DEFAULT_LIMITS.maxLabelNameLength, 1024);
  assert.equal(DEFAULT_LIMITS.maxLabelValueLength, 2048);
  assert.equal(DEFAULT_LIMITS.rejectOldSamples, true);
  assert.equal(DEFAULT_LIMITS.rejectOldSamplesMaxAgeMs, 14 * 24 * 3600 * 1000);
  assert.equal(DEFAULT_LIMITS.creationGracePeriodMs, 600_000);
  assert.equal(DEFAULT_LIMITS.maxSeriesPerUser, 5_000_000);
  assert.equal(DEFAULT_LIMITS.maxSeriesPerMetric, 50_000);
  assert.equal(DEFAULT_LIMITS.enforceMetricName, true);
  assert.equal(DEFAULT_LIMITS.acceptExemplars, false);
  assert.equal(DEFAULT_LIMITS.acceptNativeHistograms, false);
  assert.ok(Object.isFrozen(DEFAULT_LIMITS));
});

test('every limit documents its default', () => {
  const src = readFileSync(new URL('./limits.ts', import.meta.url), 'utf8');
  const iface = src.slice(src.indexOf('export interface Limits'), src.indexOf('export const DEFAULT_LIMITS'));
  for (const key of Object.keys(DEFAULT_LIMITS)) {
    const at = iface.indexOf(`readonly ${key}:`);
    assert.ok(at > 0, `${key} is declared`);
    const doc = iface.slice(iface.lastIndexOf('/**', at), at);
    assert.match(doc, /@default /, `${key} has @default`);
  }
});

test('Overrides merges defaults and per-tenant overrides', () => {
  const o = new Overrides({ ingestionRate: 1000 }, { big: { ingestionRate: 1e6, maxSeriesPerUser: 0 }, strict: { acceptExemplars: true } });
  assert.equal(o.forTenant('anyone').ingestionRate, 1000);
  assert.equal(o.forTenant('anyone').ingestionBurstSize, 50_000);
  assert.equal(o.forTenant('big').ingestionRate, 1e6);
  assert.equal(o.forTenant('big').maxSeriesPerUser, 0);
  assert.equal(o.forTenant('big').maxLabelNameLength, 1024);
  assert.equal(o.forTenant('strict').acceptExemplars, true);
  assert.equal(o.forTenant('strict').ingestionRate, 1000);
  assert.equal(o.forTenant('big'), o.forTenant('big'), 'resolved once');
  assert.deepEqual(o.tenantsWithOverrides().sort(), ['big', 'strict']);

  o.setTenantOverrides({ other: { maxLabelNamesPerSeries: 5 } });
  assert.equal(o.forTenant('big').ingestionRate, 1000);
  assert.equal(o.forTenant('other').maxLabelNamesPerSeries, 5);
});

test('Overrides rejects unknown keys, wrong types and negative numbers', () => {
  assert.throws(() => new Overrides({ ingestRate: 5 } as never), /Unknown limit in defaults: "ingestRate"/);
  assert.throws(() => new Overrides({}, { t: { ingestionRate: '5' as never } }), /Limit ingestionRate in overrides of tenant "t" must be a number/);
  assert.throws(() => new Overrides({ maxSeriesPerUser: -1 }), RangeError);
  const o = new Overrides({}, { a: { ingestionRate: 1 } });
  assert.throws(() => o.setTenantOverrides({ b: { nope: 1 } as never }), TypeError);
  assert.equal(o.forTenant('a').ingestionRate, 1, 'failed reload changes nothing');
});
