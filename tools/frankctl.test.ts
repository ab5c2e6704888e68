import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

/** A canned answer for one "METHOD /path". */
interface Canned {
  status: number;
  body: string;
  type?: string;
}

interface Seen {
  method: string;
  path: string;
  /** The query string, without "?". */
  query: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const routes = new Map<string, Canned>();
const seen: Seen[] = [];
let server: http.Server;
let baseUrl = '';
const NOW = Date.now();

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      seen.push({ method: req.method ?? '', path, query: (req.url ?? '').split('?')[1] ?? '', headers: req.headers, body });
      const canned = routes.get(`${req.method} ${path}`);
      if (canned === undefined) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('404 page not found');
        return;
      }
      res.writeHead(canned.status, { 'Content-Type': canned.type ?? 'application/json' });
      res.end(canned.body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const SHIM = fileURLToPath(new URL('./frankctl.js', import.meta.url));

/** Runs the real `frankctl` bin (the JS shim) from an unrelated working directory. */
async function frankctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [SHIM, ...args], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number];
  return { code, stdout, stderr };
}

/** The most recent request the server saw for `path`. */
function lastRequest(path: string): Seen {
  const found = seen.filter((s) => s.path === path);
  assert.ok(found.length > 0, `no request for ${path}`);
  return found[found.length - 1]!;
}

function json(status: number, value: unknown): Canned {
  return { status, body: JSON.stringify(value) };
}

const healthyRing = {
  instances: [
    { id: 'ingester-2', addr: '10.0.0.2:9095', zone: 'zone-b', state: 'ACTIVE', tokens: 128, ownership: 0.4875, lastHeartbeat: NOW - 5_000, healthy: true },
    { id: 'ingester-1', addr: '10.0.0.1:9095', zone: 'zone-a', state: 'ACTIVE', tokens: 128, ownership: 0.5125, lastHeartbeat: NOW - 125_000, healthy: true },
  ],
};

test('frankctl ring prints a table sorted by ID and exits 0 when all instances are ACTIVE and healthy', async () => {
  routes.set('GET /ring', json(200, healthyRing));
  const r = await frankctl('ring', '--url', baseUrl, '--tenant', 'team-a', '--token', 's3cret');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.deepEqual(lines[0]!.split(/\s+/), ['ID', 'ADDR', 'ZONE', 'STATE', 'TOKENS', 'OWNERSHIP', 'LAST-HEARTBEAT', 'HEALTH']);
  assert.deepEqual(lines[1]!.split(/\s+/), ['ingester-1', '10.0.0.1:9095', 'zone-a', 'ACTIVE', '128', '51.25%', '2m05s', 'ago', 'healthy']);
  assert.deepEqual(lines[2]!.split(/\s+/).slice(0, 6), ['ingester-2', '10.0.0.2:9095', 'zone-b', 'ACTIVE', '128', '48.75%']);
  const req = lastRequest('/ring');
  assert.equal(req.headers['accept'], 'application/json');
  assert.equal(req.headers['x-scope-orgid'], 'team-a');
  assert.equal(req.headers['authorization'], 'Bearer s3cret');
});

test('frankctl ring --json prints the ring JSON shape and exits 1 when an instance is unhealthy or not ACTIVE', async () => {
  const ring = {
    instances: [
      { id: 'a', addr: '127.0.0.1:1', zone: '', state: 'ACTIVE', tokens: 4, ownership: 0.5, lastHeartbeat: NOW, healthy: true, extra: 'dropped' },
      { id: 'b', addr: '127.0.0.1:2', zone: '', state: 'LEAVING', tokens: 4, ownership: 0.25, lastHeartbeat: NOW, healthy: true },
      { id: 'c', addr: '127.0.0.1:3', zone: '', state: 'ACTIVE', tokens: 4, ownership: 0.25, lastHeartbeat: NOW - 600_000, healthy: false },
    ],
  };
  routes.set('GET /ring', json(200, ring));
  const r = await frankctl('ring', '--json', `--url=${baseUrl}`);
  assert.equal(r.code, 1);
  assert.deepEqual(JSON.parse(r.stdout), {
    instances: ring.instances.map(({ id, addr, zone, state, tokens, ownership, lastHeartbeat, healthy }) => ({
      id, addr, zone, state, tokens, ownership, lastHeartbeat, healthy,
    })),
  });
  assert.equal(r.stdout.trim().split('\n').length, 1);
  assert.match(r.stderr, /2 of 3 instances are not ACTIVE and healthy: "b" \(LEAVING\), "c" \(unhealthy\)/);
});

test('frankctl ring exits 1 on an empty ring', async () => {
  routes.set('GET /ring', json(200, { instances: [] }));
  const r = await frankctl('ring', '--url', baseUrl);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Ring has no instances/);
});

test('frankctl reports HTTP errors as one line with method, URL, status and body, and exits 2', async () => {
  routes.delete('GET /ring');
  const r = await frankctl('ring', '--url', baseUrl);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `frankctl: GET ${baseUrl}/ring: 404 Not Found: 404 page not found\n`);
  assert.equal(r.stdout, '');

  routes.set('GET /ring', { status: 200, body: '<html>ring</html>', type: 'text/html' });
  const notJson = await frankctl('ring', '--url', baseUrl);
  assert.equal(notJson.code, 2);
  assert.match(notJson.stderr, /GET .*\/ring: response is not JSON: <html>ring<\/html>/);

  routes.set('GET /ring', json(200, { ring: [] }));
  const wrongShape = await frankctl('ring', '--url', baseUrl);
  assert.equal(wrongShape.code, 2);
  assert.match(wrongShape.stderr, /unexpected response: missing "instances" array/);
  assert.doesNotMatch(notJson.stderr + wrongShape.stderr, /\n\s+at /);
});

test('frankctl reports connection failures and usage errors with exit code 2', async () => {
  // A port that was just free: nothing listens there.
  const probe = http.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const deadPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const refused = await frankctl('members', '--url', `http://127.0.0.1:${deadPort}`);
  assert.equal(refused.code, 2);
  assert.equal(refused.stderr, `frankctl: GET http://127.0.0.1:${deadPort}/memberlist: connection refused (ECONNREFUSED)\n`);

  const unknown = await frankctl('frobnicate');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown command: "frobnicate"/);

  const badFlag = await frankctl('ring', '--colour');
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /Invalid arguments for "ring": Unknown option '--colour'/);

  const none = await frankctl();
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^Usage: frankctl <command>/);

  const help = await frankctl('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: frankctl <command>/);
});

test('frankctl members prints the gossip members as a table', async () => {
  routes.set('GET /memberlist', json(200, {
    members: [
      { name: 'node-b', addr: '10.0.0.2:7946', state: 'suspect', incarnation: 3, meta: { zone: 'b', role: 'ingester' } },
      { name: 'node-a', addr: '10.0.0.1:7946', state: 'alive', incarnation: 1, meta: {} },
    ],
  }));
  const r = await frankctl('members', '--url', baseUrl);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/));
  assert.deepEqual(rows, [
    ['NAME', 'ADDR', 'STATE', 'INCARNATION', 'META'],
    ['node-a', '10.0.0.1:7946', 'alive', '1', '-'],
    ['node-b', '10.0.0.2:7946', 'suspect', '3', 'zone=b,role=ingester'],
  ]);
});

test('frankctl forget posts the ID as a form and maps 200/404/409 to exit codes', async () => {
  routes.set('POST /ring/forget', { status: 200, body: 'ok', type: 'text/plain' });
  const ok = await frankctl('forget', 'ingester-7', '--url', baseUrl);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'Forgot instance "ingester-7"\n');
  const req = lastRequest('/ring/forget');
  assert.equal(req.method, 'POST');
  assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(req.body, 'id=ingester-7');

  routes.set('POST /ring/forget', { status: 404, body: 'instance not found', type: 'text/plain' });
  const missing = await frankctl('forget', 'ghost', '--url', baseUrl);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'Unknown instance: "ghost" is not in the ring: instance not found\n');

  routes.delete('POST /ring/forget');
  const noRoute = await frankctl('forget', 'ghost', '--url', baseUrl);
  assert.equal(noRoute.code, 2);
  assert.equal(noRoute.stderr, `frankctl: POST ${baseUrl}/ring/forget: 404 Not Found: 404 page not found\n`);

  routes.set('POST /ring/forget', { status: 409, body: 'instance is healthy', type: 'text/plain' });
  const healthy = await frankctl('forget', 'ingester-1', '--url', baseUrl);
  assert.equal(healthy.code, 1);
  assert.match(healthy.stderr, /Refused to forget instance "ingester-1": it is not unhealthy: instance is healthy/);

  routes.set('POST /ring/forget', { status: 500, body: 'kv store down', type: 'text/plain' });
  const broken = await frankctl('forget', 'x', '--url', baseUrl);
  assert.equal(broken.code, 2);
  assert.equal(broken.stderr, `frankctl: POST ${baseUrl}/ring/forget: 500 Internal Server Error: kv store down\n`);

  const noId = await frankctl('forget', '--url', baseUrl);
  assert.equal(noId.code, 2);
  assert.match(noId.stderr, /expected exactly one instance ID/);
});

test('frankctl tenants and tenant-stats print per-tenant figures', async () => {
  routes.set('GET /api/v1/user_stats', json(200, [
    { tenant: 'team-b', series: 1500, ingestionRate: 250.25, samplesIngested: 1234567 },
    { tenant: 'team-a', series: 100000, ingestionRate: 6666.7, samplesIngested: 2000000 },
  ]));
  const all = await frankctl('tenants', '--url', baseUrl);
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual(all.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/)), [
    ['TENANT', 'SERIES', 'INGESTION-RATE', 'SAMPLES-INGESTED'],
    ['team-a', '100,000', '6666.7/s', '2,000,000'],
    ['team-b', '1,500', '250.3/s', '1,234,567'],
  ]);

  const one = await frankctl('tenant-stats', '--tenant', 'team-b', '--json', '--url', baseUrl);
  assert.equal(one.code, 0, one.stderr);
  assert.deepEqual(JSON.parse(one.stdout), { tenants: [{ tenant: 'team-b', series: 1500, ingestionRate: 250.25, samplesIngested: 1234567 }] });
  assert.equal(lastRequest('/api/v1/user_stats').headers['x-scope-orgid'], 'team-b');

  // The Prometheus-API envelope, answering for the requesting tenant only and without a rate.
  routes.set('GET /api/v1/user_stats', json(200, { status: 'success', data: [{ tenant: 'team-c', series: 7, samplesIngested: 70 }] }));
  const envelope = await frankctl('tenant-stats', '--tenant', 'team-c', '--url', baseUrl);
  assert.equal(envelope.code, 0, envelope.stderr);
  assert.deepEqual(envelope.stdout.trimEnd().split('\n')[1]!.split(/\s+/), ['team-c', '7', '-', '70']);
});

test('frankctl wal and store print the admin JSON documents', async () => {
  const wal = { firstSeq: 10, lastSeq: 4200, checkpointSeq: 4000, approximateBytes: 1048576, records: 4191 };
  const store = { bucket: 'frank-blocks', index: 'leveldb', objects: 42, bytes: 123456789 };
  routes.set('GET /admin/wal', json(200, wal));
  routes.set('GET /admin/store', json(200, store));
  const w = await frankctl('wal', '--url', `${baseUrl}/`);
  assert.equal(w.code, 0, w.stderr);
  assert.deepEqual(JSON.parse(w.stdout), wal);
  assert.equal(w.stdout, `${JSON.stringify(wal, null, 2)}\n`);
  const s = await frankctl('store', '--url', baseUrl);
  assert.equal(s.code, 0, s.stderr);
  assert.deepEqual(JSON.parse(s.stdout), store);
});

test('frankctl blocks lists the tenant\'s blocks as a table or JSON, passing START and END through', async () => {
  const doc = {
    tenant: 'team-a',
    start: 1_750_000_000_000,
    end: 1_750_086_400_000,
    blocks: [{ id: 'ab'.repeat(16), minT: 1_750_003_200_000, maxT: 1_750_010_385_000, series: 100000, chunks: 100000, samples: 24000000, bytes: 25000000 }],
  };
  routes.set('GET /admin/store/blocks', json(200, doc));
  const t = await frankctl('blocks', '1750000000', '2025-06-16T15:06:40Z', '--tenant', 'team-a', '--url', baseUrl);
  assert.equal(t.code, 0, t.stderr);
  const req = lastRequest('/admin/store/blocks');
  assert.equal(req.headers['x-scope-orgid'], 'team-a');
  assert.equal(new URLSearchParams(req.query).get('start'), '1750000000');
  assert.equal(new URLSearchParams(req.query).get('end'), '2025-06-16T15:06:40Z');
  const lines = t.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'tenant team-a: 1 block');
  assert.deepEqual(lines[1]!.split(/\s+/), ['ID', 'MIN-TIME', 'MAX-TIME', 'SERIES', 'CHUNKS', 'SAMPLES', 'BYTES']);
  assert.deepEqual(lines[2]!.split(/\s+/), ['ab'.repeat(16), '2025-06-15T16:00:00.000Z', '2025-06-15T17:59:45.000Z', '100,000', '100,000', '24,000,000', '25,000,000']);
  const j = await frankctl('blocks', '--json', '--url', baseUrl);
  assert.equal(j.code, 0, j.stderr);
  assert.deepEqual(JSON.parse(j.stdout), doc);
  assert.equal(lastRequest('/admin/store/blocks').query, '', 'no START/END: the node picks the default range');
  const bad = await frankctl('blocks', '1', '2', '3', '--url', baseUrl);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /at most START and END/);
});
