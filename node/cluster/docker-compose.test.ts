/**
 * docker-compose.yml stays in step with node/config.ts: every Frankenstein command parses with the real
 * loadConfig (no unknown or malformed flag), each node's identity, ports and advertised address match its
 * service, and every seed names a node service at its gossip port.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig, type FrankConfig } from '../config.ts';

interface Service {
  image?: string;
  hostname?: string;
  command?: string | string[];
  ports?: string[];
  volumes?: string[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };

/** loadConfig as the container runs it: relative paths (--config deploy/…) from the repository root, the working_dir. */
function loadFromRoot(args: string[]): FrankConfig {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    return loadConfig(args);
  } finally {
    process.chdir(cwd);
  }
}

function argv(cmd: string | string[]): string[] {
  return Array.isArray(cmd) ? cmd : cmd.trim().split(/\s+/);
}

const nodes: { name: string; svc: Service; cfg: FrankConfig }[] = [];
for (const [name, svc] of Object.entries(compose.services)) {
  const a = argv(svc.command ?? []);
  if (a.slice(0, 4).join(' ') !== 'node --import tsx node/main.ts') continue;
  nodes.push({ name, svc, cfg: loadFromRoot(a.slice(4)) });
}

test('docker-compose.yml runs three Frankenstein cluster nodes whose flags loadConfig accepts', () => {
  assert.equal(nodes.length, 3);
  for (const { name, svc, cfg } of nodes) {
    assert.equal(svc.image, 'node:20');
    assert.equal(cfg.cluster.enabled, true, `${name} runs with --cluster`);
    assert.equal(cfg.cluster.instanceId, name, `${name}: instance id is the service name`);
    assert.equal(cfg.cluster.advertiseAddr, name, `${name}: advertises its service name`);
    assert.equal(svc.hostname, name);
    assert.equal(cfg.dataDir, '/data');
    assert.ok(svc.volumes?.includes(`${name}-data:/data`), `${name} keeps /data in its own volume`);
    assert.ok(compose.volumes && `${name}-data` in compose.volumes, `volume ${name}-data is declared`);
  }
});

test('docker-compose.yml publishes each node HTTP port once and seeds name node services at their gossip ports', () => {
  const published = new Set<string>();
  const gossipOf = new Map(nodes.map((n) => [n.name, n.cfg.cluster.gossipPort]));
  for (const { name, svc, cfg } of nodes) {
    const ports = svc.ports ?? [];
    assert.equal(ports.length, 1, `${name} publishes its HTTP port`);
    const [host, container] = ports[0]!.split(':');
    assert.equal(Number(container), cfg.server.port, `${name}: the published container port is --port`);
    assert.ok(!published.has(host!), `host port ${host} used twice`);
    published.add(host!);
    assert.ok(cfg.cluster.seeds.length >= 1);
    for (const seed of cfg.cluster.seeds) {
      const [h, p] = seed.split(':');
      assert.ok(gossipOf.has(h!), `${name}: seed "${seed}" is a node service`);
      assert.equal(Number(p), gossipOf.get(h!), `${name}: seed "${seed}" uses that node's --gossip-port`);
    }
  }
  assert.equal(new Set(nodes.map((n) => n.cfg.cluster.instanceId)).size, nodes.length, 'instance ids are unique');
});

test('loadConfig rejects what a compose command must not contain', () => {
  assert.throws(() => loadConfig(['--cluster', '--gossip-prot', '7946']), /Unknown flag: "--gossip-prot"/);
  assert.throws(() => loadConfig(['--cluster', '--seeds', 'node-0']), /Invalid cluster.seeds entry: "node-0"/);
  assert.throws(() => loadConfig(['--cluster', '--gossip-port', 'x']), /not an integer/);
  const c = loadConfig(['--cluster', '--seeds', 'a:1, b:2', '--zone', 'z1', '--port', '9100']);
  assert.deepEqual(c.cluster.seeds, ['a:1', 'b:2']);
  assert.equal(c.cluster.zone, 'z1');
  assert.match(c.cluster.instanceId, /-9100$/, 'default instance id is <hostname>-<port>');
});
