import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../core/clock.ts';
import { Ingester } from '../ingester/ingester.ts';
import { decodeWriteRequest } from '../remote/write-request-decoder.ts';
import { encodeWriteRequest } from '../remote/write-request-encoder.ts';
import { SeriesLabelsCache } from '../remote/series-labels-cache.ts';
import { StringInterner } from '../remote/proto-reader.ts';
import type { SeriesInput } from '../remote/types.ts';
import { Distributor } from './distributor.ts';
import { LocalRouter } from './ingester-client.ts';
import { Overrides } from './limits.ts';

const NOW = 1_700_000_000_000;
/** Values with the stale marker (0x7ff0000000000002) at `at`, set as raw bits (a JS array literal would canonicalize the NaN). */
function withStaleAt(values: number[], at: number): Float64Array {
  const a = Float64Array.from(values);
  const u = new Uint32Array(a.buffer);
  u[2 * at + 1] = 0x7ff00000;
  u[2 * at] = 0x00000002;
  return a;
}

/** A node's write path (decoder with long-lived caches → distributor → ingester with a real WAL). */
async function writePath(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'distributor-test-'));
  const overrides = new Overrides({ ingestionRate: Infinity });
  const ingester = new Ingester({ dataDir: join(dir, 'wal'), gcIntervalMs: 0, checkpointIntervalMs: 0 });
  await ingester.start();
  t.after(async () => {
    await ingester.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const distributor = new Distributor({
    overrides,
    clock: new FakeClock(NOW),
    router: new LocalRouter({ id: 'local', push: (tenant, s, l) => ingester.push(tenant, s, l), querier: (tenant) => ingester.querier(tenant) }),
  });
  const interner = new StringInterner();
  const labelsCache = new SeriesLabelsCache();
  const push = (series: SeriesInput[], tenant = 'a') => distributor.push(tenant, decodeWriteRequest(encodeWriteRequest({ series }), { interner, labelsCache }));
  return { ingester, overrides, push };
}

const up = (job: string) => [
  { name: '__name__', value: 'up' },
  { name: 'job', value: job },
];

test('a known series is found again through its cached labels, per tenant', async (t) => {
  const { ingester, push } = await writePath(t);
  for (let r = 0; r < 3; r++) {
    const out = await push([0, 1, 2].map((i) => ({ labels: up(`j${i}`), timestamps: [NOW + r * 1000], values: [r] })));
    assert.equal(out.error, null);
    assert.equal(out.acceptedSamples, 3);
  }
  await push([{ labels: up('j0'), timestamps: [NOW], values: [7] }], 'b');
  const a = ingester.head.get('a')!;
  assert.equal(a.seriesCount, 3);
  assert.deepEqual([...a.getByLabels(up('j1'))!.read(0, Infinity).values], [0, 1, 2]);
  const b = ingester.head.get('b')!;
  assert.equal(b.seriesCount, 1);
  assert.deepEqual([...b.getByLabels(up('j0'))!.read(0, Infinity).values], [7]);
});

test('a partly rejected series keeps the stale marker bits of its accepted samples', async (t) => {
  const { ingester, push } = await writePath(t);
  const values = withStaleAt([1, 0, 3], 1);
  const out = await push([{ labels: up('x'), timestamps: [NOW, NOW + 1000, NOW + 3_600_000], values }]);
  assert.equal(out.acceptedSamples, 2);
  assert.equal(out.rejectedSamples, 1);
  assert.match(out.error!.message, /too_far_in_future=1/);
  const got = ingester.head.get('a')!.getByLabels(up('x'))!.read(0, Infinity);
  assert.deepEqual([...got.timestamps], [NOW, NOW + 1000]);
  const bits = new Uint32Array(got.values.buffer, got.values.byteOffset, 4);
  assert.equal(bits[3], 0x7ff00000);
  assert.equal(bits[2], 0x00000002);
});

test('remembered validation is redone when the tenant limits change', async (t) => {
  const { overrides, push } = await writePath(t);
  assert.equal((await push([{ labels: up('x'), timestamps: [NOW], values: [1] }])).error, null);
  overrides.setTenantOverrides({ a: { maxLabelNamesPerSeries: 1 } });
  const out = await push([{ labels: up('x'), timestamps: [NOW + 1000], values: [2] }]);
  assert.equal(out.acceptedSamples, 0);
  assert.match(out.error!.message, /max_label_names_per_series=1/);
});

test('a series removed from the head is created again on its next push', async (t) => {
  const { ingester, push } = await writePath(t);
  await push([{ labels: up('x'), timestamps: [NOW], values: [1] }]);
  const first = ingester.head.get('a')!.getByLabels(up('x'))!;
  assert.equal(await ingester.dropBefore(NOW + 1), 1);
  assert.equal(ingester.head.get('a')!.seriesCount, 0);
  const out = await push([{ labels: up('x'), timestamps: [NOW + 2000], values: [2] }]);
  assert.equal(out.error, null);
  const again = ingester.head.get('a')!.getByLabels(up('x'))!;
  assert.notEqual(again, first);
  assert.ok(again.ref > first.ref);
  assert.deepEqual([...again.read(0, Infinity).values], [2]);
});
