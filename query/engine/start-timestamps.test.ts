import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isStartTimestampReset, startTimeOverlaps, stFloatInstant, stFloatRate, stFloatResets } from './start-timestamps.ts';
import type { WindowContext } from './range-functions.ts';

function ctx(rangeStart: number, rangeEnd: number): WindowContext {
  return { t: rangeEnd, rangeStart, rangeEnd, rangeMs: rangeEnd - rangeStart, scalars: [], scratch: { buf: new Float64Array(8) } };
}

test('start timestamp resets: after the previous sample, or a delta pointing at it', () => {
  assert.equal(isStartTimestampReset(0, 60_000, 0, 120_000), false, 'unknown');
  assert.equal(isStartTimestampReset(0, 60_000, 90_000, 120_000), true, 'started after the previous sample');
  assert.equal(isStartTimestampReset(0, 60_000, 30_000, 120_000), false, 'cumulative since before');
  assert.equal(isStartTimestampReset(0, 60_000, 120_000, 120_000), false, 'ST = T is OTel unknown start');
  assert.equal(isStartTimestampReset(0, 60_000, 60_000, 120_000), false, 'cumulative with unknown first start');
  assert.equal(isStartTimestampReset(1, 60_000, 60_000, 120_000), true, 'delta');
  assert.equal(isStartTimestampReset(90_000, 60_000, 60_000, 120_000), false, 'invalid previous start');
  assert.equal(startTimeOverlaps(0, 60_000, 30_000), true);
  assert.equal(startTimeOverlaps(30_000, 60_000, 30_000), false);
  assert.equal(startTimeOverlaps(0, 60_000, 60_000), false);
});

test('delta samples add up through start-timestamp resets', () => {
  const ts = Float64Array.from([60_000, 120_000, 180_000]);
  const vs = Float64Array.from([60, 60, 60]);
  const sts = Float64Array.from([0, 60_000, 120_000]);
  const warnings: string[] = [];
  const notes = { warn: (t: string) => warnings.push(t) };
  // Window (0, 180s]: the 120s sample's start points at a sample without a known start
  // (a cumulative series with unknown start), the 180s one is a delta: one reset, so the
  // increase is 60 - 60 + 60 = 60 over 120 s, extrapolated 60 s to the left (x1.5).
  const inc = stFloatRate('increase', ts, vs, sts, 0, 3, ctx(0, 180_000), 'm', notes);
  assert.equal(inc, 90);
  assert.equal(stFloatResets(ts, vs, sts, 0, 3), 1);
  assert.equal(stFloatInstant('irate', ts, vs, sts, 1, 3), 1);
  assert.deepEqual(warnings, []);
});

test('a start timestamp inside the range replaces extrapolation to the left', () => {
  const ts = Float64Array.from([180_000]);
  const vs = Float64Array.from([60]);
  const sts = Float64Array.from([120_000]);
  const notes = { warn: () => {} };
  // A single sample counts from a zero at its start time.
  assert.equal(stFloatRate('increase', ts, vs, sts, 0, 1, ctx(0, 180_000), 'm', notes), 60);
  assert.equal(stFloatRate('increase', ts, vs, Float64Array.from([0]), 0, 1, ctx(0, 180_000), 'm', notes), undefined);
});
