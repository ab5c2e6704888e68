/**
 * Interop with a real Prometheus (Debian package, 2.42 on CI): Prometheus
 * scrapes itself and the node, remote-writes everything to the node and
 * remote-reads from it. Checks that
 *   - the node stores what Prometheus sends (no discards, no failed samples on
 *     Prometheus's side),
 *   - Prometheus answers PromQL for a series that only the node has (so the
 *     answer can only come through remote read), with the exact values,
 *   - what the node stored for `up` agrees with what Prometheus itself sees.
 * If `prometheus` is missing the test fails (it never skips): .ci/run installs it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SeriesInput } from '../remote/types.ts';
import { getJson, labels, parseMetrics, remoteRead, remoteWrite, sampleMap, scrapeMetrics, startNode, sumMetric, waitFor, type NodeHandle } from './harness.ts';
import { findPrometheus, startPrometheus, type PrometheusHandle } from './prometheus-process.ts';

const NOW = Math.floor(Date.now() / 1000) * 1000;
// A series written straight to the node: Prometheus's own TSDB never has it.
const NODE_ONLY_TS = [NOW - 120_000, NOW - 110_000, NOW - 100_000, NOW - 90_000, NOW - 80_000, NOW - 70_000];
const NODE_ONLY_VALUES = [0.1, -3.5, 1e300, NaN, Infinity, 42];
const NODE_ONLY: SeriesInput = {
  labels: labels({ __name__: 'e2e_node_only', src: 'direct' }),
  timestamps: NODE_ONLY_TS,
  values: Float64Array.from(NODE_ONLY_VALUES),
};

/** Prometheus's JSON sample value → number (Go prints ±Inf as "+Inf"/"-Inf"). */
function promValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

function sameNumber(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

async function promQuery(prom: PrometheusHandle, query: string, time: number): Promise<any> {
  const r = await getJson(prom.url, '/api/v1/query', { query, time: String(time / 1000) });
  assert.equal(r.status, 200, `Prometheus query ${query}: ${r.status} ${r.text}`);
  assert.equal(r.body.status, 'success', r.text);
  return r.body.data;
}

it('a prometheus binary is on PATH (.ci/run installs the Debian package)', () => {
  const { version } = findPrometheus();
  assert.match(version, /prometheus/i);
});

describe('real Prometheus remote_write → node, remote_read ← node', { timeout: 90_000 }, () => {
  let node: NodeHandle | undefined;
  let prom: PrometheusHandle | undefined;

  before(async () => {
    findPrometheus(); // fails with instructions when the binary is missing
    node = await startNode();
    const w = await remoteWrite(node.url, [NODE_ONLY]);
    assert.equal(w.status, 204, `direct write to the node: ${w.status} ${w.text}`);
    const nodeHostPort = node.url.replace('http://', '');
    prom = await startPrometheus({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      scrape_configs: [
        { job_name: 'prometheus', static_configs: [{ targets: ['127.0.0.1:$PROM_PORT'] }] },
        { job_name: 'frankenstein', static_configs: [{ targets: [nodeHostPort] }] },
      ],
      remote_write: [
        {
          url: `${node.url}/api/v1/push`,
          queue_config: { batch_send_deadline: '1s', max_samples_per_send: 500, capacity: 2500, min_backoff: '50ms', max_backoff: '1s' },
          metadata_config: { send: true, send_interval: '1s' },
        },
      ],
      remote_read: [{ url: `${node.url}/api/v1/read`, read_recent: true }],
    });
  });

  after(async () => {
    await prom?.stop();
    await node?.stop();
  });

  it('the node receives Prometheus\'s scrapes through remote write', async () => {
    const n = node!;
    await waitFor(
      async () => {
        const r = await getJson(n.url, '/api/v1/series', { 'match[]': 'up' });
        const jobs = new Set<string>((r.body?.data ?? []).map((x: Record<string, string>) => x.job));
        return jobs.has('prometheus') && jobs.has('frankenstein');
      },
      30_000,
      () => `node never got up{job="prometheus"} and up{job="frankenstein"}; Prometheus output:\n${prom!.output()}\nnode output:\n${n.output()}`,
    );
    // A few scrape rounds so every metric family crossed the wire at least twice.
    await waitFor(
      async () => {
        const res = await remoteRead(n.url, [{ startMs: NOW - 600_000, endMs: Date.now() + 60_000, matchers: [{ type: '=', name: '__name__', value: 'up' }, { type: '=', name: 'job', value: 'prometheus' }] }]);
        return (res[0]?.series[0]?.timestamps.length ?? 0) >= 3;
      },
      30_000,
      () => 'node holds fewer than 3 samples of up{job="prometheus"}',
    );
    const series = await getJson(n.url, '/api/v1/series', { 'match[]': '{__name__=~"prometheus_.+"}' });
    assert.equal(series.status, 200, series.text);
    assert.ok(series.body.data.length > 50, `only ${series.body.data.length} prometheus_* series on the node`);
  });

  it('PromQL on Prometheus returns the node-only series via remote read, exact values', async () => {
    const data = await promQuery(prom!, 'e2e_node_only[5m]', NOW);
    assert.equal(data.resultType, 'matrix');
    assert.equal(data.result.length, 1, `expected 1 series from remote read, got ${JSON.stringify(data.result)}; Prometheus output:\n${prom!.output()}`);
    const got = data.result[0];
    assert.deepEqual(got.metric, { __name__: 'e2e_node_only', src: 'direct' });
    const ts = got.values.map((v: [number, string]) => Math.round(v[0] * 1000));
    assert.deepEqual(ts, NODE_ONLY_TS);
    const vals = got.values.map((v: [number, string]) => promValue(v[1]));
    const bad = NODE_ONLY_VALUES.map((want, i) => (sameNumber(vals[i], want) ? null : `#${i}: got ${got.values[i][1]}, want ${want}`)).filter((x) => x !== null);
    assert.deepEqual(bad, []);
    // An instant query through the engine: last sample within the lookback window.
    const inst = await promQuery(prom!, 'e2e_node_only * 2', NOW - 60_000);
    assert.equal(inst.result.length, 1, JSON.stringify(inst));
    assert.equal(inst.result[0].value[1], '84');
  });

  it('what the node stored for up{job="prometheus"} agrees with Prometheus', async () => {
    const end = Date.now();
    const res = await remoteRead(node!.url, [{ startMs: NOW - 600_000, endMs: end, matchers: [{ type: '=', name: '__name__', value: 'up' }, { type: '=', name: 'job', value: 'prometheus' }] }]);
    const stored = res[0]!.series;
    assert.equal(stored.length, 1);
    assert.deepEqual(
      stored[0]!.labels.map((l) => l.name),
      ['__name__', 'instance', 'job'],
    );
    const data = await promQuery(prom!, 'up{job="prometheus"}[10m]', end);
    assert.equal(data.result.length, 1);
    const promSamples = new Map<number, string>(data.result[0].values.map((v: [number, string]) => [Math.round(v[0] * 1000), v[1]]));
    const problems: string[] = [];
    const s = stored[0]!;
    for (let i = 0; i < s.timestamps.length; i++) {
      const t = s.timestamps[i]!;
      const pv = promSamples.get(t);
      if (pv === undefined) problems.push(`node has a sample at ${t} that Prometheus does not`);
      else if (!sameNumber(promValue(pv), s.values[i]!)) problems.push(`at ${t}: node ${s.values[i]}, Prometheus ${pv}`);
    }
    assert.deepEqual(problems, []);
    assert.ok(s.timestamps.length >= 3);
  });

  it('Prometheus reports no failed remote-write samples and the node discarded nothing', async () => {
    const n = node!;
    // Let at least one more send cycle (and a metadata send) happen.
    await new Promise((r) => setTimeout(r, 2500));
    const res = await fetch(`${prom!.url}/metrics`);
    const m = parseMetrics(await res.text());
    const names = new Set(m.map((x) => x.name));
    const sent = names.has('prometheus_remote_storage_samples_total')
      ? sumMetric(m, 'prometheus_remote_storage_samples_total')
      : sumMetric(m, 'prometheus_remote_storage_succeeded_samples_total');
    assert.ok(sent > 0, `Prometheus sent no samples (remote storage metrics: ${[...names].filter((x) => x.startsWith('prometheus_remote_storage')).join(', ')})`);
    assert.equal(sumMetric(m, 'prometheus_remote_storage_samples_failed_total'), 0, 'prometheus_remote_storage_samples_failed_total');
    if (names.has('prometheus_remote_storage_metadata_failed_total')) {
      assert.equal(sumMetric(m, 'prometheus_remote_storage_metadata_failed_total'), 0, 'prometheus_remote_storage_metadata_failed_total');
    }
    if (names.has('prometheus_remote_storage_samples_dropped_total')) {
      assert.equal(sumMetric(m, 'prometheus_remote_storage_samples_dropped_total'), 0, 'prometheus_remote_storage_samples_dropped_total');
    }
    const nm = await scrapeMetrics(n.url);
    const discarded = nm.filter((x) => x.name === 'frankenstein_discarded_samples_total' && x.value > 0);
    assert.deepEqual(discarded.map((x) => `${JSON.stringify(x.labels)} ${x.value}`), [], 'node discarded samples sent by Prometheus');
    assert.ok(sumMetric(nm, 'frankenstein_distributor_ingested_samples_total') >= sent, 'node ingested fewer samples than Prometheus reports sent');
  });
});
