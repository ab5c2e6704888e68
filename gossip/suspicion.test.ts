import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Awareness } from './awareness.ts';
import { FakeClock } from './clock.ts';
import { Suspicion, remainingSuspicionTime, suspicionTimeout } from './suspicion.ts';

test('remainingSuspicionTime() starts at max and shrinks logarithmically to min with k confirmations', () => {
  assert.equal(remainingSuspicionTime(0, 3, 0, 2000, 30_000), 30_000);
  assert.equal(remainingSuspicionTime(1, 3, 0, 2000, 30_000), 16_000);
  assert.equal(remainingSuspicionTime(2, 3, 0, 2000, 30_000), 7_810);
  assert.equal(remainingSuspicionTime(3, 3, 0, 2000, 30_000), 2000);
  assert.equal(remainingSuspicionTime(5, 3, 0, 2000, 30_000), 2000, 'never below min');
  assert.equal(remainingSuspicionTime(3, 3, 2500, 2000, 30_000), -500);
  assert.equal(remainingSuspicionTime(0, 0, 100, 2000, 30_000), 1900, 'no confirmations expected: min');
});

test('suspicionTimeout() scales with log10 of the cluster size, at least 1', () => {
  assert.equal(suspicionTimeout(4, 1, 1000), 4000);
  assert.equal(suspicionTimeout(4, 8, 1000), 4000);
  assert.equal(suspicionTimeout(4, 100, 1000), 8000);
  assert.equal(suspicionTimeout(4, 1000, 1000), 12_000);
});

test('Suspicion fires at max without confirmations and sooner with distinct confirmations', () => {
  const clock = new FakeClock();
  let fired = 0;
  const s = new Suspicion({ clock, from: 'a', k: 2, minMs: 1000, maxMs: 6000, onTimeout: () => { fired++; } });
  clock.tick(500);
  assert.equal(s.confirm('a'), false, 'the accuser is not a confirmation');
  assert.equal(s.confirm('b'), true);
  assert.equal(s.confirm('b'), false, 'one confirmation per member');
  // After one of two confirmations: timeout = 6000 - log(2)/log(3) * 5000 = 2845
  clock.tick(2344);
  assert.equal(fired, 0);
  clock.tick(1);
  assert.equal(fired, 1);
  const late = new Suspicion({ clock, from: 'a', k: 1, minMs: 1000, maxMs: 6000, onTimeout: () => { fired++; } });
  clock.tick(3000);
  late.confirm('b');
  clock.tick(0);
  assert.equal(fired, 2, 'a confirmation past min fires at once');
  const cancelled = new Suspicion({ clock, from: 'a', k: 1, minMs: 10, maxMs: 20, onTimeout: () => { fired++; } });
  cancelled.cancel();
  clock.tick(100);
  assert.equal(fired, 2);
});

test('Awareness scales timeouts by score + 1 and stays within 0..max-1', () => {
  const a = new Awareness(8);
  assert.equal(a.scaleTimeout(500), 500);
  a.applyDelta(3);
  assert.equal(a.scaleTimeout(500), 2000);
  a.applyDelta(100);
  assert.equal(a.score, 7);
  a.applyDelta(-100);
  assert.equal(a.score, 0);
});
