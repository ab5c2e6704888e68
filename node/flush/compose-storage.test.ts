/**
 * docker-compose.yml's storage and monitoring services stay wired to the real config:
 * each node's command (with --config deploy/frankenstein.yaml) parses with loadConfig,
 * the store endpoints name the MinIO and DynamoDB Local services at the ports they
 * listen on, with MinIO's credentials; Prometheus scrapes and remote-writes to the node
 * services and alerts to the Alertmanager service, and every mounted file exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig, type FrankConfig } from '../config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Service {
  image?: string;
  command?: string | string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string> | string[];
  depends_on?: string[] | Record<string, unknown>;
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const services = compose.services;

function argv(cmd: string | string[] | undefined): string[] {
  if (cmd === undefined) return [];
  return Array.isArray(cmd) ? cmd : cmd.trim().split(/\s+/);
}

function env(svc: Service): Record<string, string> {
  const e = svc.environment ?? {};
  if (!Array.isArray(e)) return e;
  return Object.fromEntries(e.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

/** Container ports a service publishes ("host:container" or "container"). */
function containerPorts(svc: Service): number[] {
  return (svc.ports ?? []).map((p) => Number(String(p).split(':').pop()!.split('/')[0]));
}

/** host → container path of each bind mount under the repository. */
function mounts(svc: Service): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of svc.volumes ?? []) {
    const [host, container] = String(v).split(':');
    if (host!.startsWith('./')) out.set(container!, host!);
  }
  return out;
}

function dependsOn(svc: Service): string[] {
  const d = svc.depends_on ?? [];
  return Array.isArray(d) ? d : Object.keys(d);
}

/** Frankenstein nodes: their config as loadConfig reads their command (run from the repository root, like working_dir /app). */
const nodes: { name: string; cfg: FrankConfig }[] = [];
for (const [name, svc] of Object.entries(services)) {
  const a = argv(svc.command);
  if (a.slice(0, 4).join(' ') !== 'node --import tsx node/main.ts') continue;
  const args = a.slice(4);
  const i = args.indexOf('--config');
  assert.ok(i >= 0, `${name} passes --config`);
  const file = args[i + 1]!;
  assert.ok(!file.startsWith('/'), `${name}: --config is relative to the repository (working_dir)`);
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    nodes.push({ name, cfg: loadConfig(args) });
  } finally {
    process.chdir(cwd);
  }
}

function endpoint(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
}

test('every node stores chunks in the MinIO service and its index in the DynamoDB Local service', () => {
  assert.equal(nodes.length, 3);
  const minio = services.minio!;
  const dynamo = services.dynamodb!;
  assert.match(minio.image ?? '', /^minio\/minio/);
  assert.match(dynamo.image ?? '', /^amazon\/dynamodb-local/);
  for (const { name, cfg } of nodes) {
    const b = cfg.store.bucket;
    assert.equal(b.backend, 's3', name);
    assert.equal(b.s3.forcePathStyle, true, `${name}: MinIO needs path-style requests`);
    const s3 = endpoint(b.s3.endpoint);
    assert.equal(s3.host, 'minio');
    assert.ok(argv(minio.command).join(' ').includes(`--address :${s3.port}`) || s3.port === 9000, 'MinIO listens on the endpoint port');
    assert.ok(containerPorts(minio).includes(s3.port), 'the S3 port is published');
    assert.equal(env(minio).MINIO_ROOT_USER, b.s3.accessKeyId);
    assert.equal(env(minio).MINIO_ROOT_PASSWORD, b.s3.secretAccessKey);
    assert.equal(b.s3.createBucket, true, 'the bucket is created on first use');

    const i = cfg.store.index;
    assert.equal(i.backend, 'dynamodb', name);
    const d = endpoint(i.dynamodb.endpoint);
    assert.equal(d.host, 'dynamodb');
    assert.ok(argv(dynamo.command).join(' ').includes(`-port ${d.port}`) || d.port === 8000, 'DynamoDB Local listens on the endpoint port');
    assert.ok(containerPorts(dynamo).includes(d.port));
    assert.ok(dependsOn(services[name]!).includes('minio') && dependsOn(services[name]!).includes('dynamodb'), `${name} starts after the store services`);
  }
});

test('Prometheus scrapes the nodes, remote-writes into them and alerts to Alertmanager', () => {
  const prom = services.prometheus!;
  assert.match(prom.image ?? '', /^prom\/prometheus/);
  const pm = mounts(prom);
  const promFile = pm.get('/etc/prometheus/prometheus.yml');
  assert.ok(promFile, 'deploy/prometheus.yml is mounted where Prometheus reads it');
  for (const host of pm.values()) assert.ok(existsSync(join(ROOT, host)), `${host} exists`);
  const pcfg = parse(readFileSync(join(ROOT, promFile), 'utf8')) as {
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    remote_write: { url: string }[];
    alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    rule_files?: string[];
  };
  const nodeAddr = new Set(nodes.map(({ name, cfg }) => `${name}:${cfg.server.port}`));
  const job = pcfg.scrape_configs.find((j) => j.job_name === 'frankenstein')!;
  assert.deepEqual(new Set(job.static_configs.flatMap((s) => s.targets)), nodeAddr, 'every node is scraped at its HTTP port');
  assert.ok(pcfg.remote_write.length >= 1);
  for (const rw of pcfg.remote_write) {
    const u = new URL(rw.url);
    assert.ok(nodeAddr.has(`${u.hostname}:${u.port}`), `${rw.url} is a node`);
    assert.equal(u.pathname, '/api/v1/push');
  }
  for (const rf of pcfg.rule_files ?? []) assert.ok(pm.has(rf), `${rf} is mounted`);
  const amTargets = pcfg.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets));
  const am = services.alertmanager!;
  assert.match(am.image ?? '', /^prom\/alertmanager/);
  for (const t of amTargets) {
    const [host, port] = t.split(':');
    assert.equal(host, 'alertmanager');
    assert.ok(containerPorts(am).includes(Number(port)));
  }
  const amFile = mounts(am).get('/etc/alertmanager/alertmanager.yml');
  assert.ok(amFile && existsSync(join(ROOT, amFile)), 'deploy/alertmanager.yml is mounted');
  const acfg = parse(readFileSync(join(ROOT, amFile), 'utf8')) as { route: { receiver: string }; receivers: { name: string }[] };
  assert.ok(acfg.receivers.some((r) => r.name === acfg.route.receiver), 'the route names a receiver');
});
