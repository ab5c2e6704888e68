/**
 * Writes answer once a quorum of replicas has them: a hung replica costs nothing, and a
 * lost quorum fails at once. Replicas are real ingesters with a WAL on disk; the third
 * one waits at a gate the test controls (a peer that stopped answering).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../core/clock.ts';
import { Ingester } from '../ingester/ingester.ts';
import { decodeWriteRequest } from '../remote/write-request-decoder.ts';
import { encodeWriteRequest } from '../remote/write-request-encoder.ts';
import { Distributor } from './distributor.ts';
import type { IngesterClient, ReplicaRouter, ReplicaSet } from './ingester-client.ts';
import { Overrides } from './limits.ts';

const NOW = 1_700_000_000_000;

async function replicas(t: { after(fn: () => unknown): void }, behaviours: ('ok' | 'gated' | 'failing')[], sameSetForAll: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-test-'));
  const ingesters: Ingester[] = [];
  let openGate!: () => void;
  const gate = new Promise<void>((r) => (openGate = r));
  const clients: IngesterClient[] = behaviours.map((b, n) => {
    const ing = new Ingester({ dataDir: join(dir, `wal-${n}`), gcIntervalMs: 0, checkpointIntervalMs: 0 });
    ingesters.push(ing);
    return {
      id: `ingester-${n}`,
      push: async (tenant, s, l) => {
        if (b === 'failing') throw new Error(`ingester-${n} is down`);
        if (b === 'gated') await gate;
        return ing.push(tenant, s, l);
      },
      querier: (tenant) => ing.querier(tenant),
    };
  });
  for (const ing of ingesters) await ing.start();
  t.after(async () => {
    openGate();
    for (const ing of ingesters) await ing.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const set: ReplicaSet = { clients, minSuccess: 2 };
  // Both distributor paths: one replica set for every series, or per-series sets (here all equal).
  const router: ReplicaRouter = sameSetForAll
    ? { writeReplicas: () => set, readReplicas: () => ({ clients, maxFailures: 1 }), onlyReplicaSet: () => set }
    : { writeReplicas: () => set, readReplicas: () => ({ clients, maxFailures: 1 }) };
  const distributor = new Distributor({ overrides: new Overrides({ ingestionRate: Infinity }), clock: new FakeClock(NOW), router });
  const push = () =>
    distributor.push('t', decodeWriteRequest(encodeWriteRequest({ series: [{ labels: [{ name: '__name__', value: 'up' }, { name: 'job', value: 'a' }], timestamps: [NOW], values: [1] }] })));
  return { ingesters, openGate, push };
}

for (const sameSetForAll of [true, false]) {
  const path = sameSetForAll ? 'one replica set' : 'per-series replica sets';

  test(`a write answers once 2 of 3 replicas have it, while the third still hangs (${path})`, async (t) => {
    const { ingesters, openGate, push } = await replicas(t, ['ok', 'ok', 'gated'], sameSetForAll);
    const r = await push(); // would never resolve if the distributor waited for every replica
    assert.equal(r.acceptedSamples, 1);
    assert.equal(ingesters[0]!.stats().series, 1);
    assert.equal(ingesters[1]!.stats().series, 1);
    assert.equal(ingesters[2]!.stats().series, 0, 'the third replica has not written yet');
    openGate();
    for (let i = 0; i < 100 && ingesters[2]!.stats().series === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(ingesters[2]!.stats().series, 1, 'the third replica finishes in the background');
  });

  test(`a write fails as soon as the quorum is lost, without waiting for a hung replica (${path})`, async (t) => {
    const { push } = await replicas(t, ['failing', 'gated', 'failing'], sameSetForAll);
    await assert.rejects(push(), (e: unknown) => (e as { code?: string }).code === 'QUORUM_NOT_REACHED' && /only 0 of 2/.test((e as Error).message));
  });
}
