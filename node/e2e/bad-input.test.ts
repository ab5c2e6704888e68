/**
 * Hostile and invalid input against real node processes: malformed bodies,
 * each kind of invalid series or sample (always next to a valid series that
 * must still be stored), oversized bodies, and tenant/auth failures in the
 * header and tokens modes. Afterwards the nodes must still be ready and accept
 * a normal write, and /metrics must count the rejections by reason.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Label, Labels } from '../../query/model/labels.ts';
import { compressSnappy } from '../remote/snappy.ts';
import type { SeriesInput } from '../remote/types.ts';
import { encodeWriteRequest } from '../remote/write-request-encoder.ts';
import {
  apiData,
  bitPatterns,
  getJson,
  labels,
  labelsText,
  postAnnouncingLength,
  postRaw,
  remoteRead,
  remoteWrite,
  sampleMap,
  scrapeMetrics,
  startNode,
  sumMetric,
  type NodeHandle,
} from './harness.ts';

const NOW = Date.now();
const TS = NOW - 30_000;

function one(ls: Labels, t: number, v: number): SeriesInput {
  return { labels: ls, timestamps: [t], values: Float64Array.of(v) };
}

/** The valid companion series of a case: must be stored although the same request is answered 400. */
function okSeries(caseName: string, t = TS, v = 1): SeriesInput {
  return one(labels({ __name__: 'bad_ok', case: caseName }), t, v);
}

/** Deterministic pseudo-random bytes (mulberry32), so a failure can be replayed. */
function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

function l(name: string, value: string): Label {
  return { name, value };
}

/** Reads the single sample at `t` of a series; undefined when absent. */
async function readOne(url: string, ls: Labels, t: number, headers: Record<string, string> = {}): Promise<string | undefined> {
  const res = await remoteRead(url, [{ startMs: t, endMs: t, matchers: ls.map((x) => ({ type: '=' as const, name: x.name, value: x.value })) }], headers);
  return sampleMap(res).get(`${labelsText(ls)}@${t}`);
}

describe('bad input (auth mode none)', { timeout: 60_000 }, () => {
  let node: NodeHandle;

  before(async () => {
    node = await startNode();
  });
  after(async () => {
    await node?.stop();
  });

  describe('malformed bodies → 4xx with a message, node unharmed', () => {
    it('random bytes → 400', async () => {
      const body = pseudoRandomBytes(4096, 1);
      body[0] = 0x7f; // a one-byte snappy preamble (127 bytes): the random rest must be reported as corrupt
      const r = await postRaw(node.url, '/api/v1/push', body);
      assert.equal(r.status, 400, `random bytes: ${r.status} ${r.text}`);
      assert.ok(r.text.length > 0, 'error answer must carry a message');
    });

    it('truncated snappy block → 400 naming snappy', async () => {
      const full = compressSnappy(encodeWriteRequest({ series: Array.from({ length: 50 }, (_, i) => okSeries(`trunc-${i}`)) }));
      const r = await postRaw(node.url, '/api/v1/push', full.subarray(0, Math.floor(full.length / 2)));
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, /snappy/i);
      const stored = await apiData(node.url, '/api/v1/series', { 'match[]': '{case=~"trunc-.*"}' });
      assert.deepEqual(stored, [], 'nothing of an undecodable request may be stored');
    });

    it('snappy framed format → 400 naming the framed format', async () => {
      const framed = Uint8Array.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59, 0x01, 0x05, 0x00, 0x00, 0, 0, 0, 0, 0]);
      const r = await postRaw(node.url, '/api/v1/push', framed);
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, /fram/i);
    });

    it('valid snappy around garbage protobuf → 400 naming the protobuf problem', async () => {
      const garbage = Uint8Array.from([0x0a, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff, 0x12, 0x80]);
      const r = await postRaw(node.url, '/api/v1/push', compressSnappy(garbage));
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, /WriteRequest|protobuf/i);
    });

    it('protobuf with an absurd declared length → 400', async () => {
      // timeseries field (tag 0x0a) declaring 2^35-1 bytes, followed by 3 bytes.
      const absurd = Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x01, 0x02, 0x03]);
      const r = await postRaw(node.url, '/api/v1/push', compressSnappy(absurd));
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, /WriteRequest|length|protobuf/i);
    });

    it('snappy preamble declaring 256 MiB → 413 before allocating', async () => {
      const body = Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x01, 0x00, 0x00]);
      const r = await postRaw(node.url, '/api/v1/push', body);
      assert.equal(r.status, 413, r.text);
      assert.ok(r.text.length > 0);
    });

    it('body over 10 MiB → 413 (decided from Content-Length, before reading the body)', async () => {
      const r = await postAnnouncingLength(node.url, '/api/v1/push', 10 * 1024 * 1024 + 1024, new Uint8Array(65536));
      assert.equal(r.status, 413, r.text.slice(0, 300));
      assert.match(r.text, /too large|limit/i, 'a 413 must say what was too large');
    });

    it('chunked body (no Content-Length) over 10 MiB → 413', async () => {
      const r = await postAnnouncingLength(node.url, '/api/v1/push', -1, new Uint8Array(10 * 1024 * 1024 + 1024));
      assert.equal(r.status, 413, r.text.slice(0, 300));
    });

    it('unsupported Content-Encoding → 400', async () => {
      const r = await postRaw(node.url, '/api/v1/push', compressSnappy(encodeWriteRequest({ series: [okSeries('gzip')] })), { 'Content-Encoding': 'gzip' });
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, /encoding/i);
    });
  });

  describe('invalid series are rejected with 400, valid series of the same request are stored', () => {
    const longName = 'n'.repeat(1025);
    const manyLabels: Label[] = [l('__name__', 'bad_series'), l('case', 'too_many_labels')];
    for (let i = 0; i < 29; i++) manyLabels.push(l(`l${String(i).padStart(2, '0')}`, 'x')); // 31 labels in all
    const cases: { name: string; series: Labels; reason: string; detail?: RegExp }[] = [
      { name: 'missing_name', series: [l('case', 'missing_name'), l('job', 'x')], reason: 'missing_metric_name' },
      { name: 'invalid_metric_name', series: [l('__name__', '0bad-name'), l('case', 'invalid_metric_name')], reason: 'invalid_metric_name', detail: /0bad-name/ },
      { name: 'invalid_label_name', series: [l('__name__', 'bad_series'), l('bad-label', 'x'), l('case', 'invalid_label_name')], reason: 'invalid_label', detail: /bad-label/ },
      { name: 'duplicate_label', series: [l('__name__', 'bad_series'), l('a', '1'), l('a', '2'), l('case', 'duplicate_label')], reason: 'duplicate_label_names', detail: /"a"/ },
      { name: 'unsorted', series: [l('__name__', 'bad_series'), l('case', 'unsorted'), l('z', '1'), l('a', '2')], reason: 'labels_not_sorted' },
      { name: 'too_many_labels', series: manyLabels, reason: 'max_label_names_per_series', detail: /31/ },
      { name: 'name_too_long', series: [l('__name__', 'bad_series'), l('case', 'name_too_long'), l(longName, 'x')], reason: 'label_name_too_long', detail: /1025/ },
      { name: 'value_too_long', series: [l('__name__', 'bad_series'), l('case', 'value_too_long'), l('v', 'v'.repeat(2049))], reason: 'label_value_too_long', detail: /2049/ },
    ];
    for (const c of cases) {
      it(`${c.name} → 400 naming ${c.reason}; valid series stored`, async () => {
        assert.equal(c.series.length >= 2, true);
        const r = await remoteWrite(node.url, [one(c.series, TS, 5), okSeries(c.name)]);
        assert.equal(r.status, 400, `${c.name}: expected 400, got ${r.status}: ${r.text.slice(0, 500)}`);
        assert.match(r.text, new RegExp(c.reason), `message must name the reason ${c.reason}: ${r.text.slice(0, 500)}`);
        if (c.detail) assert.match(r.text, c.detail, `message must name the value at fault: ${r.text.slice(0, 500)}`);
        const stored = await apiData(node.url, '/api/v1/series', { 'match[]': `{case="${c.name}"}` });
        assert.deepEqual(stored, [{ __name__: 'bad_ok', case: c.name }], `${c.name}: only the valid series may be stored`);
        assert.equal(await readOne(node.url, labels({ __name__: 'bad_ok', case: c.name }), TS), bitPatterns([1])[0]);
      });
    }

    it('sample too far in the future → 400 too_far_in_future; rest stored', async () => {
      const bad = labels({ __name__: 'bad_series', case: 'future' });
      const t = Date.now() + 3_600_000;
      const r = await remoteWrite(node.url, [one(bad, t, 1), okSeries('future')]);
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, /too_far_in_future/);
      assert.match(r.text, new RegExp(String(t)), 'message must give the timestamp');
      assert.equal(await readOne(node.url, bad, t), undefined);
      assert.equal(await readOne(node.url, labels({ __name__: 'bad_ok', case: 'future' }), TS), bitPatterns([1])[0]);
    });

    it('sample too old → 400 greater_than_max_sample_age; rest stored', async () => {
      const bad = labels({ __name__: 'bad_series', case: 'old' });
      const t = Date.now() - 15 * 24 * 3_600_000;
      const r = await remoteWrite(node.url, [one(bad, t, 1), okSeries('old')]);
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, /greater_than_max_sample_age|too old/i);
      assert.equal(await readOne(node.url, bad, t), undefined);
      assert.equal(await readOne(node.url, labels({ __name__: 'bad_ok', case: 'old' }), TS), bitPatterns([1])[0]);
    });

    it('out-of-order sample → 400; rest stored; existing sample kept', async () => {
      const s = labels({ __name__: 'bad_series', case: 'ooo' });
      const first = await remoteWrite(node.url, [one(s, TS, 10)]);
      assert.equal(first.status, 204, first.text);
      const r = await remoteWrite(node.url, [one(s, TS - 10_000, 11), okSeries('ooo')]);
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, /out[ -_]of[ -_]order/i);
      assert.equal(await readOne(node.url, s, TS - 10_000), undefined, 'the out-of-order sample must not be stored');
      assert.equal(await readOne(node.url, s, TS), bitPatterns([10])[0]);
      assert.equal(await readOne(node.url, labels({ __name__: 'bad_ok', case: 'ooo' }), TS), bitPatterns([1])[0]);
    });

    it('duplicate timestamp with a different value → 400; rest stored; first value kept', async () => {
      const s = labels({ __name__: 'bad_series', case: 'dup' });
      const first = await remoteWrite(node.url, [one(s, TS, 20)]);
      assert.equal(first.status, 204, first.text);
      const r = await remoteWrite(node.url, [one(s, TS, 21), okSeries('dup')]);
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, /new[ -_]value|duplicate/i);
      assert.equal(await readOne(node.url, s, TS), bitPatterns([20])[0]);
      assert.equal(await readOne(node.url, labels({ __name__: 'bad_ok', case: 'dup' }), TS), bitPatterns([1])[0]);
    });

    it('duplicate timestamp with the same value (a retried request) → 204', async () => {
      const s = labels({ __name__: 'bad_series', case: 'retry' });
      assert.equal((await remoteWrite(node.url, [one(s, TS, 30)])).status, 204);
      const again = await remoteWrite(node.url, [one(s, TS, 30)]);
      assert.equal(again.status, 204, `an identical retry must succeed (Prometheus retries on 5xx): ${again.text}`);
    });
  });

  describe('afterwards', () => {
    it('/metrics counts the rejections by reason', async () => {
      const m = await scrapeMetrics(node.url);
      const reasons = new Set(m.filter((x) => x.name === 'frankenstein_discarded_samples_total' && x.value > 0).map((x) => x.labels.reason!));
      const want = [
        'missing_metric_name',
        'invalid_metric_name',
        'invalid_label',
        'duplicate_label_names',
        'labels_not_sorted',
        'max_label_names_per_series',
        'label_name_too_long',
        'label_value_too_long',
        'too_far_in_future',
        'greater_than_max_sample_age',
      ];
      const missing = want.filter((r) => !reasons.has(r));
      assert.deepEqual(missing, [], `reasons missing from frankenstein_discarded_samples_total (have: ${[...reasons].join(', ')})`);
      assert.ok([...reasons].some((r) => /out[-_]of[-_]order/.test(r)), `no out-of-order reason counted (have: ${[...reasons].join(', ')})`);
      assert.ok([...reasons].some((r) => /new[-_]value|duplicate_sample/.test(r)), `no duplicate-timestamp reason counted (have: ${[...reasons].join(', ')})`);
      assert.ok(sumMetric(m, 'frankenstein_discarded_samples_total', { reason: 'missing_metric_name' }) >= 1);
    });

    it('the node is still ready and accepts a normal write', async () => {
      const ready = await fetch(`${node.url}/ready`);
      assert.equal(ready.status, 200);
      await ready.text();
      const s = labels({ __name__: 'bad_after', job: 'ok' });
      const r = await remoteWrite(node.url, [one(s, Date.now() - 1000, 42)]);
      assert.equal(r.status, 204, r.text);
      assert.equal(node.proc.exitCode, null, 'node process must still run');
    });
  });
});

describe('tenant resolution: auth mode header', { timeout: 60_000 }, () => {
  let node: NodeHandle;
  const write = (headers: Record<string, string>) => remoteWrite(node.url, [okSeries('header-mode', Date.now() - 5000)], { headers });

  before(async () => {
    node = await startNode({ config: { auth: { mode: 'header' }, overrides: { 'tiny-tenant': { ingestionRate: 1, ingestionBurstSize: 50 } } } });
  });
  after(async () => {
    await node?.stop();
  });

  it('missing X-Scope-OrgID → 401 naming the header (write, series API, remote read)', async () => {
    const r = await write({});
    assert.equal(r.status, 401, r.text);
    assert.match(r.text, /X-Scope-OrgID/i);
    const s = await getJson(node.url, '/api/v1/series', { 'match[]': 'bad_ok' });
    assert.equal(s.status, 401, s.text);
    await assert.rejects(remoteRead(node.url, [{ startMs: 0, endMs: Date.now(), matchers: [{ type: '=', name: '__name__', value: 'bad_ok' }] }]), /401/);
  });

  for (const [what, id] of [
    ['path traversal "../x"', '../x'],
    ['151 characters', 'a'.repeat(151)],
    ['"."', '.'],
  ] as const) {
    it(`invalid tenant ID (${what}) → 400/401 with a message`, async () => {
      const r = await write({ 'X-Scope-OrgID': id });
      assert.ok(r.status === 400 || r.status === 401, `tenant ${what}: expected 400 or 401, got ${r.status}: ${r.text}`);
      assert.match(r.text, /tenant/i);
    });
  }

  it('over the per-tenant ingestion rate → 429 naming the limit; other tenants unaffected', async () => {
    const t = Date.now() - 5000;
    const many = Array.from({ length: 100 }, (_, i) => one(labels({ __name__: 'rate_test', i: String(i) }), t, i));
    const r = await remoteWrite(node.url, many, { headers: { 'X-Scope-OrgID': 'tiny-tenant' } });
    assert.equal(r.status, 429, `100 samples over a burst of 50: ${r.status} ${r.text}`);
    assert.match(r.text, /ingestionRate|rate limit/i);
    assert.deepEqual(await apiData(node.url, '/api/v1/series', { 'match[]': 'rate_test' }, { 'X-Scope-OrgID': 'tiny-tenant' }), [], 'a 429 request stores nothing');
    const other = await remoteWrite(node.url, many, { headers: { 'X-Scope-OrgID': 'roomy-tenant' } });
    assert.equal(other.status, 204, other.text);
    const m = await scrapeMetrics(node.url);
    assert.ok(sumMetric(m, 'frankenstein_discarded_samples_total', { tenant: 'tiny-tenant', reason: 'rate_limited' }) >= 100, 'rate_limited discards counted for tiny-tenant');
  });

  it('a valid tenant → 204 and the node stays ready', async () => {
    const r = await write({ 'X-Scope-OrgID': 'tenant-1' });
    assert.equal(r.status, 204, r.text);
    assert.deepEqual(await apiData(node.url, '/api/v1/label/case/values', {}, { 'X-Scope-OrgID': 'tenant-1' }), ['header-mode']);
    assert.equal((await fetch(`${node.url}/ready`)).status, 200);
  });
});

describe('tenant resolution: auth mode tokens', { timeout: 60_000 }, () => {
  let node: NodeHandle;
  const TOKEN = 'e2e-token-7f3a9c2b1d4e5f60718293a4b5c6d7e8';
  const write = (headers: Record<string, string>) => remoteWrite(node.url, [okSeries('tokens-mode', Date.now() - 5000)], { headers });

  before(async () => {
    const sha256 = createHash('sha256').update(TOKEN).digest('hex');
    node = await startNode({ config: { auth: { mode: 'tokens', tokens: [{ tenant: 'team-a', sha256 }] } } });
  });
  after(async () => {
    await node?.stop();
  });

  it('no credentials → 401', async () => {
    const r = await write({});
    assert.equal(r.status, 401, r.text);
  });

  it('unknown bearer token → 401', async () => {
    const r = await write({ Authorization: 'Bearer not-the-token' });
    assert.equal(r.status, 401, r.text);
    assert.doesNotMatch(r.text, new RegExp(TOKEN), 'the message must not echo a token');
  });

  it('wrong basic-auth password → 401', async () => {
    const r = await write({ Authorization: `Basic ${Buffer.from('team-a:wrong').toString('base64')}` });
    assert.equal(r.status, 401, r.text);
  });

  it('correct bearer token → 204', async () => {
    const r = await write({ Authorization: `Bearer ${TOKEN}` });
    assert.equal(r.status, 204, r.text);
  });

  it('token as basic-auth password → 204', async () => {
    const r = await write({ Authorization: `Basic ${Buffer.from(`whoever:${TOKEN}`).toString('base64')}` });
    assert.equal(r.status, 204, r.text);
  });

  it('token with an X-Scope-OrgID naming another tenant → 401', async () => {
    const r = await write({ Authorization: `Bearer ${TOKEN}`, 'X-Scope-OrgID': 'team-b' });
    assert.equal(r.status, 401, r.text);
  });

  it('data written with the token is readable with it, not without', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    assert.deepEqual(await apiData(node.url, '/api/v1/label/case/values', {}, auth), ['tokens-mode']);
    const anon = await getJson(node.url, '/api/v1/label/case/values');
    assert.equal(anon.status, 401, anon.text);
  });

  it('/metrics is served and the node still ready', async () => {
    const m = await scrapeMetrics(node.url);
    assert.ok(sumMetric(m, 'frankenstein_distributor_ingested_samples_total', { tenant: 'team-a' }) >= 2, 'team-a ingested samples counted');
    assert.equal((await fetch(`${node.url}/ready`)).status, 200);
  });
});
