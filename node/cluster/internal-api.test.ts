/**
 * The internal API end to end in one process: a real ingester on disk behind the real routes on a real
 * HTTP server, called through HttpIngesterClient over loopback.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { labelsFromObject } from '../../query/model/labels.ts';
import { newMatcher } from '../../query/model/matchers.ts';
import { isStaleNaN, staleNaN } from '../../query/model/samples.ts';
import { buildServer } from '../api/server.ts';
import { Ingester } from '../ingester/ingester.ts';
import { Distributor } from '../distributor/distributor.ts';
import type { IngesterClient, ReplicaRouter, ReplicaSet } from '../distributor/ingester-client.ts';
import { Overrides } from '../distributor/limits.ts';
import { compressSnappy, uncompressSnappy } from '../remote/snappy.ts';
import { decodeWriteRequest } from '../remote/write-request-decoder.ts';
import { encodeWriteRequest } from '../remote/write-request-encoder.ts';
import { HttpIngesterClient, newClusterAgent, PushBodyCache } from './http-ingester-client.ts';
import { registerInternalRoutes } from './internal-routes.ts';
import { decodeSelectResponse, encodeSelectResponse } from './wire.ts';

let dir: string;
let ingester: Ingester;
const app = buildServer({ bodyLimitBytes: 10 << 20, logger: false });
const agent = newClusterAgent();
let client: HttpIngesterClient;
const failures: string[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'frank-internal-api-'));
  ingester = new Ingester({ dataDir: join(dir, 'wal'), gcIntervalMs: 0, checkpointIntervalMs: 0 });
  await ingester.start();
  registerInternalRoutes(app, { push: (t, s, l) => ingester.push(t, s, l), querier: (t) => ingester.querier(t), maxUncompressedBytes: 64 << 20 });
  const addr = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new HttpIngesterClient('peer', addr.replace('http://', ''), {
    agent,
    pushTimeoutMs: 2000,
    queryTimeoutMs: 2000,
    onFailure: (id, err) => failures.push(`${id}: ${err.message}`),
  });
});

after(async () => {
  agent.destroy();
  await app.close();
  await ingester.stop();
  await rm(dir, { recursive: true, force: true });
});

const T0 = Date.now() - 60_000;
const all = { start: 0, end: T0 + 1e9 };

test('internal push stores samples in the remote WAL and head; select returns them with NaN bits intact', async () => {
  const a = labelsFromObject({ __name__: 'up', job: 'x' });
  const b = labelsFromObject({ __name__: 'up', job: 'y', zone: 'z' });
  const weirdNaN = new Float64Array(new Uint32Array([0x12345, 0x7ff80000]).buffer)[0]!;
  const res = await client.push('t1', [
    // Float64Array like the distributor's decoded columns (a plain JS array may canonicalize NaN payloads)
    { labels: a, timestamps: [T0, T0 + 1000, T0 + 2000], values: Float64Array.of(1, staleNaN(), weirdNaN) },
    { labels: b, timestamps: [T0], values: Float64Array.of(-0) },
  ], { maxSeriesPerUser: 0, maxSeriesPerMetric: 0 });
  assert.equal(res.accepted, 4);
  assert.equal(res.rejected, 0);

  const got = await client.querier('t1').select([newMatcher('=', '__name__', 'up')], all);
  assert.deepEqual(got.map((s) => s.labels), [a, b]);
  assert.deepEqual(Array.from(got[0]!.timestamps), [T0, T0 + 1000, T0 + 2000]);
  assert.equal(got[0]!.values[0], 1);
  assert.ok(isStaleNaN(got[0]!.values[1]!));
  const bits = new Uint32Array(Float64Array.of(got[0]!.values[2]!).buffer);
  assert.deepEqual([bits[0], bits[1]], [0x12345, 0x7ff80000]);
  assert.ok(Object.is(got[1]!.values[0], -0));
  // Tenants stay apart
  assert.deepEqual(await client.querier('t2').select([newMatcher('=', '__name__', 'up')], all), []);
});

test('internal series, label names and label values answer like the local querier', async () => {
  const q = client.querier('t1');
  const local = ingester.querier('t1');
  const ms = [newMatcher('=~', 'job', 'x|y')];
  assert.deepEqual(await q.series(ms, all), await local.series(ms, all));
  assert.deepEqual(await q.labelNames([], all), ['__name__', 'job', 'zone']);
  assert.deepEqual(await q.labelValues('job', [], all), ['x', 'y']);
  assert.deepEqual(await q.labelValues('job', [newMatcher('=', 'zone', 'z')], all), ['y']);
});

test('internal push enforces the series limits sent by the calling distributor', async () => {
  const res = await client.push('t3', [
    { labels: labelsFromObject({ __name__: 'm', i: '1' }), timestamps: [T0], values: [1] },
    { labels: labelsFromObject({ __name__: 'm', i: '2' }), timestamps: [T0], values: [2] },
  ], { maxSeriesPerUser: 1, maxSeriesPerMetric: 0 });
  assert.equal(res.accepted, 1);
  assert.equal(res.rejected, 1);
});

test('select answer frames survive unaligned buffers and reject truncation', () => {
  const s = [{ labels: labelsFromObject({ a: '1' }), timestamps: Float64Array.of(1, 2), values: Float64Array.of(staleNaN(), 3) }];
  const buf = encodeSelectResponse(s);
  const shifted = Buffer.alloc(buf.length + 3);
  buf.copy(shifted, 3);
  const back = decodeSelectResponse(shifted.subarray(3));
  assert.deepEqual(Array.from(back[0]!.timestamps), [1, 2]);
  assert.ok(isStaleNaN(back[0]!.values[0]!));
  assert.throws(() => decodeSelectResponse(buf.subarray(0, buf.length - 8)), { code: 'CLUSTER_BAD_RESPONSE' });
});

test('an unreachable ingester fails with CLUSTER_INGESTER_UNAVAILABLE (503) and is reported', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const dead = new HttpIngesterClient('gone', `127.0.0.1:${port}`, { agent, pushTimeoutMs: 500, queryTimeoutMs: 500, onFailure: (id) => failures.push(id) });
  await assert.rejects(dead.push('t', [{ labels: labelsFromObject({ a: '1' }), timestamps: [T0], values: [1] }], {}), { code: 'CLUSTER_INGESTER_UNAVAILABLE', httpStatus: 503 });
  await assert.rejects(dead.querier('t').labelNames([], all), { code: 'CLUSTER_INGESTER_UNAVAILABLE' });
  assert.deepEqual(failures.filter((f) => f === 'gone'), ['gone', 'gone']);
});

test('a hung ingester times out instead of blocking the write', async () => {
  const sockets: import('node:net').Socket[] = [];
  const srv = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  try {
    const hung = new HttpIngesterClient('hung', `127.0.0.1:${port}`, { agent, pushTimeoutMs: 300, queryTimeoutMs: 300 });
    await assert.rejects(hung.push('t', [{ labels: labelsFromObject({ a: '1' }), timestamps: [T0], values: [1] }], {}), /timed out after 300 ms/);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('PushBodyCache encodes a batch once for all replicas that get the same series', () => {
  const cache = new PushBodyCache();
  const s1 = { labels: labelsFromObject({ a: '1' }), timestamps: [T0], values: [1] };
  const s2 = { labels: labelsFromObject({ a: '2' }), timestamps: [T0], values: [2] };
  const b1 = cache.body([s1, s2]);
  assert.equal(cache.body([s1, s2]), b1, 'a different array with the same series reuses the body');
  const b2 = cache.body([s1]);
  assert.notEqual(b2, b1);
  assert.notEqual(cache.body([s2]), b2, 'same length, other series');
});

test('a fully accepted request reaches a whole-batch replica as its original body; a partly rejected one as the accepted part only', async (t) => {
  // A second, in-process ingester plays the distributor's own node; the HTTP peer is the remote replica
  const localDir = await mkdtemp(join(tmpdir(), 'frank-internal-api-local-'));
  const local = new Ingester({ dataDir: join(localDir, 'wal'), gcIntervalMs: 0, checkpointIntervalMs: 0 });
  await local.start();
  t.after(async () => {
    await local.stop();
    await rm(localDir, { recursive: true, force: true });
  });
  const rawBodies: Uint8Array[] = [];
  class CountingClient extends HttpIngesterClient {
    override pushRaw(tenant: string, body: Uint8Array, limits: Parameters<HttpIngesterClient['pushRaw']>[2]) {
      rawBodies.push(body);
      return super.pushRaw(tenant, body, limits);
    }
  }
  const remote = new CountingClient('peer', client.addr, { agent, pushTimeoutMs: 2000, queryTimeoutMs: 2000, bodyCache: new PushBodyCache() });
  const localClient: IngesterClient = { id: 'self', push: (tn, s, l) => local.push(tn, s, l), querier: (tn) => local.querier(tn) };
  const set: ReplicaSet = { clients: [localClient, remote], minSuccess: 2 };
  const router: ReplicaRouter = { writeReplicas: () => set, onlyReplicaSet: () => set, readReplicas: () => ({ clients: set.clients, maxFailures: 0 }) };
  const distributor = new Distributor({ overrides: new Overrides({ ingestionRate: Infinity }), router });
  const send = (series: Parameters<typeof encodeWriteRequest>[0]['series']) => {
    const body = compressSnappy(encodeWriteRequest({ series }));
    return distributor.push('t-raw', decodeWriteRequest(uncompressSnappy(body, 1 << 20)), body).then((out) => ({ out, body }));
  };
  const ok = (job: string) => labelsFromObject({ __name__: 'raw_up', job });

  const first = await send([
    { labels: ok('a'), timestamps: [T0], values: [1] },
    { labels: ok('b'), timestamps: [T0], values: [2] },
  ]);
  assert.equal(first.out.error, null);
  assert.equal(first.out.acceptedSamples, 2);
  assert.deepEqual(rawBodies, [first.body], 'the remote replica got the request bytes unchanged');

  // An invalid label name rejects one series: the remote must get only the accepted one, re-encoded
  const second = await send([
    { labels: ok('a'), timestamps: [T0 + 1000], values: [3] },
    { labels: [{ name: '__name__', value: 'raw_up' }, { name: 'bad-name', value: 'x' }], timestamps: [T0 + 1000], values: [4] },
  ]);
  assert.equal(second.out.acceptedSamples, 1);
  assert.equal(second.out.rejectedSamples, 1);
  assert.equal(rawBodies.length, 1, 'a partly rejected request is never forwarded as sent');

  for (const q of [client.querier('t-raw'), local.querier('t-raw')]) {
    const got = await q.select([newMatcher('=', '__name__', 'raw_up')], all);
    assert.deepEqual(got.map((s) => s.labels), [ok('a'), ok('b')]);
    assert.deepEqual(Array.from(got[0]!.timestamps), [T0, T0 + 1000]);
    assert.deepEqual(Array.from(got[0]!.values), [1, 3]);
    assert.deepEqual(Array.from(got[1]!.values), [2]);
  }
});
