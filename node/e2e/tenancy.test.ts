/**
 * Tenant isolation (auth mode header) through every read surface of a real
 * node process: tenant B must never see tenant A's series, label names, label
 * values or samples, through the metadata APIs, remote read or PromQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SeriesInput } from '../remote/types.ts';
import { apiData, getJson, labels, remoteRead, remoteWrite, sampleMap, startNode, type NodeHandle } from './harness.ts';

const A = { 'X-Scope-OrgID': 'tenant-a' };
const B = { 'X-Scope-OrgID': 'tenant-b' };
const C = { 'X-Scope-OrgID': 'tenant-c' }; // never writes anything
const T = Math.floor(Date.now() / 1000) * 1000 - 60_000;

function s(obj: Record<string, string>, values: number[]): SeriesInput {
  return { labels: labels(obj), timestamps: values.map((_, i) => T + i * 1000), values: Float64Array.from(values) };
}

// Both tenants use the metric name `shared_metric`, with different label sets and values.
const A_SERIES = [
  s({ __name__: 'shared_metric', owner: 'a', secret_a: 'alpha' }, [1, 2, 3]),
  s({ __name__: 'only_in_a', owner: 'a' }, [10]),
];
const B_SERIES = [s({ __name__: 'shared_metric', owner: 'b' }, [100, 200])];

describe('tenant isolation (auth mode header)', { timeout: 60_000 }, () => {
  let node: NodeHandle;

  before(async () => {
    node = await startNode({ config: { auth: { mode: 'header' } } });
    for (const [h, series] of [[A, A_SERIES], [B, B_SERIES]] as const) {
      const r = await remoteWrite(node.url, series, { headers: h });
      assert.equal(r.status, 204, `write for ${h['X-Scope-OrgID']}: ${r.status} ${r.text}`);
    }
  });
  after(async () => {
    await node?.stop();
  });

  it('series API: each tenant sees only its own series', async () => {
    const all = '{__name__=~".+"}';
    const a = await apiData(node.url, '/api/v1/series', { 'match[]': all }, A);
    const b = await apiData(node.url, '/api/v1/series', { 'match[]': all }, B);
    const c = await apiData(node.url, '/api/v1/series', { 'match[]': all }, C);
    const key = (xs: object[]) => xs.map((x) => JSON.stringify(Object.fromEntries(Object.entries(x).sort()))).sort();
    assert.deepEqual(key(a), key([{ __name__: 'only_in_a', owner: 'a' }, { __name__: 'shared_metric', owner: 'a', secret_a: 'alpha' }]));
    assert.deepEqual(key(b), key([{ __name__: 'shared_metric', owner: 'b' }]));
    assert.deepEqual(c, []);
  });

  it('labels API: B does not see A-only label names', async () => {
    assert.deepEqual(await apiData(node.url, '/api/v1/labels', {}, A), ['__name__', 'owner', 'secret_a']);
    assert.deepEqual(await apiData(node.url, '/api/v1/labels', {}, B), ['__name__', 'owner']);
    assert.deepEqual(await apiData(node.url, '/api/v1/labels', {}, C), []);
  });

  it('label values API: B does not see A-only values', async () => {
    assert.deepEqual(await apiData(node.url, '/api/v1/label/__name__/values', {}, B), ['shared_metric']);
    assert.deepEqual(await apiData(node.url, '/api/v1/label/owner/values', {}, B), ['b']);
    assert.deepEqual(await apiData(node.url, '/api/v1/label/secret_a/values', {}, B), []);
    assert.deepEqual(await apiData(node.url, '/api/v1/label/owner/values', {}, A), ['a']);
    assert.deepEqual(await apiData(node.url, '/api/v1/label/secret_a/values', {}, A), ['alpha']);
  });

  it('remote read: B reads only its own samples, even with a match-all matcher', async () => {
    const q = [{ startMs: T - 1000, endMs: T + 60_000, matchers: [{ type: '=~' as const, name: '__name__', value: '.+' }] }];
    const a = sampleMap(await remoteRead(node.url, q, A));
    const b = sampleMap(await remoteRead(node.url, q, B));
    const c = sampleMap(await remoteRead(node.url, q, C));
    assert.equal(a.size, 4, `tenant-a samples: ${[...a.keys()].join(' ')}`);
    assert.deepEqual([...b.keys()].sort(), [`{__name__="shared_metric", owner="b"}@${T}`, `{__name__="shared_metric", owner="b"}@${T + 1000}`]);
    assert.equal(c.size, 0, `tenant-c must see nothing: ${[...c.keys()].join(' ')}`);
  });

  it('the tenant header decides, not the query: B asking for A\'s labels gets nothing', async () => {
    const q = [{ startMs: T - 1000, endMs: T + 60_000, matchers: [{ type: '=' as const, name: 'owner', value: 'a' }] }];
    assert.equal(sampleMap(await remoteRead(node.url, q, B)).size, 0);
    assert.deepEqual(await apiData(node.url, '/api/v1/series', { 'match[]': '{owner="a"}' }, B), []);
  });

  it('PromQL query API (when present): no cross-tenant leak', async (t) => {
    const probe = await getJson(node.url, '/api/v1/query', { query: '1' }, A);
    if (probe.status === 404) {
      // The query API is not wired yet; nothing to check. Becomes a real check as soon as the route exists.
      t.diagnostic('GET /api/v1/query answered 404: query API not present');
      return;
    }
    assert.equal(probe.status, 200, `GET /api/v1/query?query=1: ${probe.status} ${probe.text}`);
    const time = String((T + 2500) / 1000);
    const resultOf = async (h: Record<string, string>, query: string) => {
      const r = await getJson(node.url, '/api/v1/query', { query, time }, h);
      assert.equal(r.status, 200, `query ${query} as ${h['X-Scope-OrgID']}: ${r.status} ${r.text}`);
      assert.equal(r.body.status, 'success');
      assert.equal(r.body.data.resultType, 'vector');
      return r.body.data.result as { metric: Record<string, string>; value: [number, string] }[];
    };
    const b = await resultOf(B, 'shared_metric');
    assert.deepEqual(b.map((x) => x.metric), [{ __name__: 'shared_metric', owner: 'b' }]);
    assert.equal(b[0]!.value[1], '200');
    assert.deepEqual(await resultOf(B, 'only_in_a'), []);
    assert.deepEqual(await resultOf(B, '{secret_a="alpha"}'), []);
    assert.deepEqual(await resultOf(C, 'count({__name__=~".+"})'), []);
    const sumA = await resultOf(A, 'sum(shared_metric)');
    assert.equal(sumA[0]?.value[1], '3', 'tenant-a sum must include only its own series');
    const r = await getJson(node.url, '/api/v1/query', { query: 'up', time }, {});
    assert.equal(r.status, 401, `query without a tenant header: ${r.status} ${r.text}`);
  });
});
