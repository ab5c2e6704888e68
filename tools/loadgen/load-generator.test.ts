import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { uncompressSync } from 'snappy';
import { LoadGenerator } from './load-generator.ts';
import { parseLoadgenArgs, UsageError } from './main.ts';
import { decodeWriteRequest } from './reference-decoder.test-helper.ts';

interface Received {
  tenant: string | undefined;
  headers: http.IncomingHttpHeaders;
  series: ReturnType<typeof decodeWriteRequest>;
}

/** A real remote-write receiver: decodes every request; `statusFor(n)` picks the answer to the n-th request. */
async function startReceiver(statusFor: (n: number) => number = () => 204) {
  const received: Received[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = uncompressSync(Buffer.concat(chunks)) as Buffer;
      const tenant = req.headers['x-scope-orgid'];
      received.push({ tenant: typeof tenant === 'string' ? tenant : undefined, headers: req.headers, series: decodeWriteRequest(body) });
      const status = statusFor(n++);
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(status >= 300 ? 'out of order sample: test says no' : undefined);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/api/v1/push`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('LoadGenerator.run() sends every series once per round, in timestamp order, with remote-write headers', async () => {
  const rx = await startReceiver();
  try {
    const gen = new LoadGenerator({
      url: rx.url, series: 250, seriesPerRequest: 100, rounds: 4, concurrency: 3,
      tenants: ['t1', 't2'], startMs: 1_700_000_000_000, intervalMs: 15_000, headers: { Authorization: 'Bearer x' },
    });
    const report = await gen.run();
    assert.equal(report.errors, 0);
    assert.equal(report.samples, 1000);
    assert.equal(report.requests, 12);
    assert.deepEqual(report.status, { 204: 12 });
    assert.equal(report.startMs, 1_700_000_000_000);
    assert.equal(report.endMs, 1_700_000_045_000);
    assert.ok(report.samplesPerSec > 0 && report.p99Ms >= report.p50Ms);

    assert.equal(rx.received.length, 12);
    const h = rx.received[0]!.headers;
    assert.equal(h['content-encoding'], 'snappy');
    assert.equal(h['content-type'], 'application/x-protobuf');
    assert.equal(h['x-prometheus-remote-write-version'], '0.1.0');
    assert.equal(h['authorization'], 'Bearer x');
    // Per series: 4 samples with increasing timestamps and non-decreasing counter values, always the same tenant.
    const bySeries = new Map<string, { tenant: string | undefined; ts: number[]; values: number[] }>();
    for (const r of rx.received) {
      for (const s of r.series) {
        const key = JSON.stringify(s.labels);
        const e = bySeries.get(key) ?? { tenant: r.tenant, ts: [], values: [] };
        assert.equal(e.tenant, r.tenant);
        e.ts.push(s.samples[0]!.timestamp);
        e.values.push(s.samples[0]!.value);
        bySeries.set(key, e);
      }
    }
    assert.equal(bySeries.size, 250);
    for (const e of bySeries.values()) {
      assert.deepEqual(e.ts, [1_700_000_000_000, 1_700_000_015_000, 1_700_000_030_000, 1_700_000_045_000]);
      assert.ok(e.values.every((v, i) => i === 0 || v > e.values[i - 1]!));
    }
    const tenants = new Set(rx.received.map((r) => r.tenant));
    assert.deepEqual([...tenants].sort(), ['t1', 't2']);
  } finally {
    await rx.close();
  }
});

test('LoadGenerator.run() counts non-2xx answers as errors with the first message', async () => {
  const rx = await startReceiver((n) => (n === 2 ? 400 : n === 5 ? 503 : 200));
  try {
    const report = await new LoadGenerator({ url: rx.url, series: 60, seriesPerRequest: 10, rounds: 1, concurrency: 1, tenants: [] }).run();
    assert.equal(report.errors, 2);
    assert.equal(report.samples, 40);
    assert.deepEqual(report.status, { 200: 4, 400: 1, 503: 1 });
    assert.match(report.firstError ?? '', /^400 Bad Request: out of order sample/);
    assert.equal(rx.received[0]!.tenant, undefined);
  } finally {
    await rx.close();
  }
});

test('LoadGenerator.run() reports connection failures as status 0', async () => {
  const rx = await startReceiver();
  await rx.close(); // nothing listens on this port any more
  const report = await new LoadGenerator({ url: rx.url, series: 10, seriesPerRequest: 5, rounds: 2 }).run();
  assert.equal(report.errors, 4);
  assert.equal(report.samples, 0);
  assert.deepEqual(report.status, { 0: 4 });
  assert.match(report.firstError ?? '', /ECONNREFUSED/);
});

test('parseLoadgenArgs() maps flags onto the config and rejects bad values', () => {
  const c = parseLoadgenArgs([
    '--url', 'http://h:1/w', '--series', '10', '--rounds', '2', '--interval', '30s', '--tenant-count', '2',
    '--header', 'X-A: b', '--token', 'tok', '--series-per-request', '5', '--concurrency', '3', '--labels', '4',
  ]);
  assert.equal(c.url, 'http://h:1/w');
  assert.equal(c.series, 10);
  assert.equal(c.rounds, 2);
  assert.equal(c.intervalMs, 30_000);
  assert.deepEqual(c.tenants, ['tenant-1', 'tenant-2']);
  assert.deepEqual(c.headers, { 'X-A': 'b', Authorization: 'Bearer tok' });
  assert.equal(c.seriesPerRequest, 5);
  assert.equal(c.concurrency, 3);
  assert.equal(c.labelsPerSeries, 4);
  assert.throws(() => parseLoadgenArgs(['--series', '0']), UsageError);
  assert.throws(() => parseLoadgenArgs(['--interval', 'soon']), UsageError);
  assert.throws(() => parseLoadgenArgs(['--bogus']), UsageError);
});

test('loadgen CLI prints one JSON line and exits 1 when requests fail', async () => {
  const rx = await startReceiver(() => 500);
  try {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', main, '--url', rx.url, '--series', '20', '--series-per-request', '10', '--rounds', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const [code] = (await once(child, 'close')) as [number];
    assert.equal(code, 1);
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 1);
    const report = JSON.parse(lines[0]!) as { errors: number; status: Record<string, number> };
    assert.equal(report.errors, 2);
    assert.deepEqual(report.status, { 500: 2 });
    assert.match(err, /2 of 2 requests failed; first: 500 Internal Server Error/);
  } finally {
    await rx.close();
  }
});
