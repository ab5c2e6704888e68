/**
 * The wired node through fastify inject(): real Ingester, real WAL on disk,
 * the real remote-write wire format, no sockets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, validateConfig, type FrankConfig } from './config.ts';
import { FrankensteinNode } from './frankenstein.ts';
import { encodeWriteRequest } from './remote/write-request-encoder.ts';
import { compressSnappy } from './remote/snappy.ts';
import { labelsFromObject } from '../query/model/labels.ts';

async function startNode(t: { after(fn: () => Promise<void> | void): void }, patch: (c: FrankConfig) => FrankConfig = (c) => c) {
  const dir = mkdtempSync(join(tmpdir(), 'frank-node-'));
  const node = new FrankensteinNode(validateConfig(patch({ ...DEFAULT_CONFIG, dataDir: dir })), { defaultMetrics: false });
  await node.start();
  t.after(async () => {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return node;
}

function body(series: { labels: Record<string, string>; ts: number[]; vs: number[] }[]): Buffer {
  const enc = encodeWriteRequest({ series: series.map((s) => ({ labels: labelsFromObject(s.labels), timestamps: s.ts, values: s.vs })) });
  return Buffer.from(compressSnappy(enc));
}

const PB = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' };

test('push then query, series, labels and label values', async (t) => {
  const node = await startNode(t);
  const now = Date.now();
  const res = await node.server.inject({
    method: 'POST',
    url: '/api/v1/push',
    headers: PB,
    payload: body([
      { labels: { __name__: 'http_requests_total', job: 'api', code: '200' }, ts: [now - 60_000, now], vs: [1, 7] },
      { labels: { __name__: 'http_requests_total', job: 'web', code: '500' }, ts: [now], vs: [3] },
    ]),
  });
  assert.equal(res.statusCode, 204, res.body);

  const q = await node.server.inject({ url: `/api/v1/query?query=${encodeURIComponent('sum by (job) (http_requests_total)')}&time=${now / 1000}` });
  assert.equal(q.statusCode, 200);
  const data = q.json().data;
  assert.equal(data.resultType, 'vector');
  assert.deepEqual(
    data.result.map((r: { metric: { job: string }; value: [number, string] }) => [r.metric.job, r.value[1]]).sort(),
    [['api', '7'], ['web', '3']],
  );

  const s = await node.server.inject({ url: '/api/v1/series?match[]=http_requests_total{job="api"}' });
  assert.deepEqual(s.json(), { status: 'success', data: [{ __name__: 'http_requests_total', code: '200', job: 'api' }] });
  const l = await node.server.inject({ url: '/api/v1/labels' });
  assert.deepEqual(l.json().data, ['__name__', 'code', 'job']);
  const v = await node.server.inject({ url: '/api/v1/label/job/values' });
  assert.deepEqual(v.json().data, ['api', 'web']);

  const r = await node.server.inject({
    url: `/api/v1/query_range?query=${encodeURIComponent('http_requests_total{job="api"}')}&start=${(now - 60_000) / 1000}&end=${now / 1000}&step=30`,
  });
  assert.equal(r.statusCode, 200);
  assert.equal(r.json().data.resultType, 'matrix');
});

test('bad input gets Prometheus-style errors and the node keeps serving', async (t) => {
  const node = await startNode(t);
  const garbage = await node.server.inject({ method: 'POST', url: '/api/v1/push', headers: PB, payload: Buffer.from('not snappy at all') });
  assert.equal(garbage.statusCode, 400);
  assert.match(garbage.body, /snappy/);

  const now = Date.now();
  const partial = await node.server.inject({
    method: 'POST',
    url: '/api/v1/write',
    headers: PB,
    payload: body([
      { labels: { __name__: 'ok_metric' }, ts: [now], vs: [1] },
      { labels: { job: 'no-name' }, ts: [now], vs: [1] },
    ]),
  });
  assert.equal(partial.statusCode, 400);
  assert.match(partial.body, /missing_metric_name=1/);
  const ok = await node.server.inject({ url: '/api/v1/series?match[]=ok_metric' });
  assert.equal(ok.json().data.length, 1, 'the valid series of the rejected request was stored');

  const parse = await node.server.inject({ url: '/api/v1/query?query=sum(' });
  assert.equal(parse.statusCode, 400);
  assert.equal(parse.json().errorType, 'bad_data');
  const step = await node.server.inject({ url: '/api/v1/query_range?query=up&start=0&end=100000&step=1' });
  assert.equal(step.statusCode, 400);
  assert.match(step.json().error, /exceeded maximum resolution of 11,000 points/);
  const noMatch = await node.server.inject({ url: '/api/v1/series' });
  assert.equal(noMatch.statusCode, 400);
  const badTime = await node.server.inject({ url: '/api/v1/query?query=up&time=yesterday' });
  assert.equal(badTime.statusCode, 400);
  assert.match(badTime.json().error, /invalid parameter "time"/);

  const ready = await node.server.inject({ url: '/ready' });
  assert.equal(ready.statusCode, 200);
  const metrics = await node.server.inject({ url: '/metrics' });
  assert.match(metrics.body, /frankenstein_discarded_samples_total\{tenant="anonymous",reason="missing_metric_name"\} 1/);
});

test('tenants in header mode never see each other', async (t) => {
  const node = await startNode(t, (c) => ({ ...c, auth: { ...c.auth, mode: 'header' } }));
  const now = Date.now();
  const missing = await node.server.inject({ method: 'POST', url: '/api/v1/push', headers: PB, payload: body([{ labels: { __name__: 'a' }, ts: [now], vs: [1] }]) });
  assert.equal(missing.statusCode, 401);
  for (const tenant of ['team-a', 'team-b']) {
    const r = await node.server.inject({
      method: 'POST',
      url: '/api/v1/push',
      headers: { ...PB, 'x-scope-orgid': tenant },
      payload: body([{ labels: { __name__: `only_${tenant.replace('-', '_')}`, owner: tenant }, ts: [now], vs: [1] }]),
    });
    assert.equal(r.statusCode, 204, r.body);
  }
  const labelsA = await node.server.inject({ url: '/api/v1/label/__name__/values', headers: { 'x-scope-orgid': 'team-a' } });
  assert.deepEqual(labelsA.json().data, ['only_team_a']);
  const queryB = await node.server.inject({ url: `/api/v1/query?query=${encodeURIComponent('count({__name__=~".+"})')}&time=${now / 1000}`, headers: { 'x-scope-orgid': 'team-b' } });
  assert.equal(queryB.json().data.result[0].value[1], '1');
  const seriesB = await node.server.inject({ url: '/api/v1/series?match[]={owner="team-a"}', headers: { 'x-scope-orgid': 'team-b' } });
  assert.deepEqual(seriesB.json().data, []);
  const badTenant = await node.server.inject({ url: '/api/v1/labels', headers: { 'x-scope-orgid': '..' } });
  assert.ok(badTenant.statusCode === 400 || badTenant.statusCode === 401, String(badTenant.statusCode));
});
