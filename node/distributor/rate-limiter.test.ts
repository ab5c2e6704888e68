import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.ts';
import { RateLimiter } from './rate-limiter.ts';
import { DEFAULT_LIMITS, type Limits } from './limits.ts';
import { rateLimitedError } from './errors.ts';

const limits = (rate: number, burst: number): Limits => ({ ...DEFAULT_LIMITS, ingestionRate: rate, ingestionBurstSize: burst });

test('a new tenant starts with a full burst, then refills at the rate', () => {
  const clock = new FakeClock(1_000_000);
  const rl = new RateLimiter({ clock });
  const l = limits(100, 200);
  assert.equal(rl.allow('a', 150, l), true);
  assert.equal(rl.allow('a', 60, l), false, 'only 50 left');
  assert.equal(rl.allow('a', 50, l), true);
  assert.equal(rl.allow('a', 1, l), false);
  clock.tick(500); // +50 tokens
  assert.equal(rl.available('a', l), 50);
  assert.equal(rl.allow('a', 51, l), false);
  assert.equal(rl.allow('a', 50, l), true);
  clock.tick(60_000);
  assert.equal(rl.available('a', l), 200, 'capped at burst');
});

test('tenants have independent buckets', () => {
  const clock = new FakeClock(0);
  const rl = new RateLimiter({ clock });
  const l = limits(10, 10);
  assert.equal(rl.allow('a', 10, l), true);
  assert.equal(rl.allow('a', 1, l), false);
  assert.equal(rl.allow('b', 10, l), true);
});

test('a request larger than the burst is always refused; n <= 0 always allowed', () => {
  const clock = new FakeClock(0);
  const rl = new RateLimiter({ clock });
  const l = limits(1000, 100);
  assert.equal(rl.allow('a', 101, l), false);
  clock.tick(3_600_000);
  assert.equal(rl.allow('a', 101, l), false);
  assert.equal(rl.allow('a', 0, l), true);
  assert.equal(rl.allow('a', 100, l), true, 'a refused request takes nothing');
});

test('Infinity disables the limit; a lower burst after an override caps the tokens', () => {
  const clock = new FakeClock(0);
  const rl = new RateLimiter({ clock });
  assert.equal(rl.allow('a', 1e12, limits(Infinity, 1)), true);
  assert.equal(rl.allow('b', 10, limits(10, 100)), true);
  assert.equal(rl.allow('b', 20, limits(10, 15)), false, 'tokens capped at the new burst of 15');
  assert.equal(rl.allow('b', 15, limits(10, 15)), true);
});

test('global strategy splits rate and burst across healthy distributors', () => {
  const clock = new FakeClock(0);
  let healthy = 4;
  const rl = new RateLimiter({ clock, strategy: 'global', healthyDistributors: () => healthy });
  const l = limits(400, 800);
  assert.deepEqual(rl.effective(l), { rate: 100, burst: 200 });
  assert.equal(rl.allow('a', 201, l), false);
  assert.equal(rl.allow('a', 200, l), true);
  clock.tick(1000);
  assert.equal(rl.available('a', l), 100);
  healthy = 0;
  assert.deepEqual(rl.effective(l), { rate: 400, burst: 800 }, 'never divides by zero');
});

test('refilled buckets are swept; partly drained ones are kept', () => {
  const clock = new FakeClock(0);
  const rl = new RateLimiter({ clock, sweepIntervalMs: 1000 });
  const fast = limits(1000, 100);
  const slow = limits(0.001, 100);
  rl.allow('fast', 100, fast);
  rl.allow('slow', 100, slow);
  assert.equal(rl.size, 2);
  clock.tick(5000);
  rl.allow('other', 1, fast); // triggers the sweep
  assert.equal(rl.size, 2, 'fast was full again and forgotten; slow and other remain');
  assert.equal(rl.allow('slow', 50, slow), false, 'slow bucket kept its debt');
});

test('rate-limited error wording and status', () => {
  const e = rateLimitedError('team-a', 25000, 60000, 3);
  assert.equal(e.httpStatus, 429);
  assert.equal(e.code, 'INGESTION_RATE_LIMITED');
  assert.equal(e.id, 'err-frank-tenant-max-ingestion-rate');
  assert.equal(
    e.message,
    'Ingestion rate limit (25000) exceeded while adding 60000 samples and 3 metadata: tenant "team-a" (err-frank-tenant-max-ingestion-rate; to adjust, raise the per-tenant limit ingestionRate)',
  );
});
