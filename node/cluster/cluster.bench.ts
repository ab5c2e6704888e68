/**
 * Cluster ingest benchmark: `npm run bench:cluster [-- --nodes 3 --series 100000 --rounds 20]`.
 *
 * Starts a real cluster of separate node processes on loopback (RF 3, so with 3 nodes every sample is
 * stored three times), then sends the ingest benchmark's load: 100,000 series × 8 labels, 2,000 series
 * per request, 20 rounds (one sample per series per round, 15 s apart), 8 requests in flight, request
 * batch b going to node b mod N (so every node is a distributor). All bodies are encoded and compressed
 * before the clock starts; a batch's next round waits for its previous one (no out-of-order samples).
 * Prints one JSON line: accepted samples/s, p50/p99 write latency, in-memory series per ingester.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { labelsFromObject, type Labels } from '../../query/model/labels.ts';
import { compressSnappy } from '../remote/snappy.ts';
import { encodeWriteRequest } from '../remote/write-request-encoder.ts';
import { TestCluster } from './test-cluster.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    nodes: { type: 'string', default: '3' },
    series: { type: 'string', default: '100000' },
    'series-per-request': { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '8' },
    rf: { type: 'string', default: '3' },
    /** Directory for a V8 CPU profile of every node process. */
    profile: { type: 'string' },
  },
});
const NODES = Number(values.nodes);
const SERIES = Number(values.series);
const PER_REQ = Number(values['series-per-request']);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);
const RF = Number(values.rf);
const INTERVAL = 15_000;

function seriesLabels(i: number): Labels {
  // 8 labels, __name__ included, like the single-node ingest benchmark's series
  return labelsFromObject({
    __name__: `bench_metric_${i % 100}`,
    job: `job-${i % 10}`,
    instance: `host-${i % 1000}:9100`,
    region: `region-${i % 5}`,
    env: i % 2 ? 'prod' : 'staging',
    service: `svc-${i % 50}`,
    pod: `pod-${i}`,
    shard: String(i % 16),
  });
}

function post(agent: http.Agent, port: number, body: Uint8Array): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1', port, path: '/api/v1/push', method: 'POST', agent,
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0', 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const start = Math.floor(Date.now() / INTERVAL) * INTERVAL - ROUNDS * INTERVAL;
  const batches: Labels[][] = [];
  for (let first = 0; first < SERIES; first += PER_REQ) {
    const ls: Labels[] = [];
    for (let i = first; i < Math.min(SERIES, first + PER_REQ); i++) ls.push(seriesLabels(i));
    batches.push(ls);
  }
  const bodies: Uint8Array[][] = [];
  for (let r = 0; r < ROUNDS; r++) {
    bodies.push(batches.map((ls, b) => compressSnappy(encodeWriteRequest({
      series: ls.map((labels, i) => ({ labels, timestamps: [start + r * INTERVAL], values: Float64Array.of((b * PER_REQ + i) * 0.5 + r) })),
    }))));
  }
  const prepareSeconds = (Date.now() - t0) / 1000;

  const cluster = await TestCluster.start({
    nodes: NODES,
    ...(values.profile ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] } : {}),
    config: { cluster: { replicationFactor: RF, heartbeatPeriodMs: 1000, heartbeatTimeoutMs: 10_000, pushTimeoutMs: 10_000 } },
  });
  const agents = cluster.nodes.map(() => new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY }));
  try {
    await cluster.waitRingConverged(cluster.nodes.map((n) => n.id));
    const total = ROUNDS * batches.length;
    const lat = new Float64Array(total);
    const prev: Promise<void>[] = batches.map(() => Promise.resolve());
    let next = 0;
    let accepted = 0;
    let errors = 0;
    let firstError: string | undefined;
    const began = performance.now();
    const worker = async (): Promise<void> => {
      while (next < total) {
        const j = next++;
        const r = Math.floor(j / batches.length);
        const b = j % batches.length;
        const before = prev[b]!;
        const p = (async () => {
          await before;
          const node = b % NODES;
          const t = performance.now();
          try {
            const res = await post(agents[node]!, cluster.nodes[node]!.httpPort, bodies[r]![b]!);
            lat[j] = performance.now() - t;
            if (res.status >= 200 && res.status < 300) accepted += batches[b]!.length;
            else {
              errors++;
              firstError ??= `${res.status} ${res.text.slice(0, 300)}`;
            }
          } catch (err) {
            lat[j] = performance.now() - t;
            errors++;
            firstError ??= (err as Error).message;
          }
        })();
        prev[b] = p;
        await p;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - began) / 1000;
    lat.sort();
    const pct = (q: number): number => Math.round(lat[Math.min(lat.length - 1, Math.floor((q / 100) * lat.length))]! * 10) / 10;
    const seriesPerIngester: Record<string, number> = {};
    for (const n of cluster.nodes) {
      const st = (await (await fetch(`${n.url}/api/v1/user_stats`)).json()) as { data: { series: number }[] };
      seriesPerIngester[n.id] = st.data[0]?.series ?? 0;
    }
    const ring = await cluster.nodes[0]!.ring();
    const out = {
      bench: 'cluster',
      nodes: NODES,
      replicationFactor: RF,
      load: { series: SERIES, labels: 8, seriesPerRequest: PER_REQ, rounds: ROUNDS, concurrency: CONCURRENCY },
      samplesPerSec: Math.round(accepted / seconds),
      storedSamplesPerSec: Math.round((accepted * Math.min(RF, NODES)) / seconds),
      seconds: Math.round(seconds * 1000) / 1000,
      p50Ms: pct(50),
      p99Ms: pct(99),
      accepted,
      errors,
      ...(firstError !== undefined ? { firstError } : {}),
      seriesPerIngester,
      ownership: Object.fromEntries(ring.map((i) => [i.id, Math.round(i.ownership * 1000) / 1000])),
      prepareSeconds,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    if (errors > 0) process.exitCode = 1;
  } finally {
    for (const a of agents) a.destroy();
    for (const n of cluster.nodes) await n.stop(20_000);
    await cluster.destroy();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:cluster: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
