/**
 * Local cluster launcher: `npm run cluster -- [--nodes 3] [--base-port 9009] [--data-dir ./data/cluster]
 * [--config FILE] [--gossip lan|local]`.
 * Without --config, --gossip local (the default) uses node/cluster/launch-local.yaml: loopback gossip
 * timings, 1 s heartbeats, a 5 s heartbeat timeout.
 *
 * Starts N node processes on 127.0.0.1. Node i:
 *   HTTP    base-port + i            (9009, 9010, 9011 …)
 *   gossip  base-port + 100 + i      (9109, 9110, 9111 …), UDP and TCP
 *   data    <data-dir>/node-i
 *   id      node-i
 *   seeds   node 0's gossip address (node 0 also finds the others again through its saved peers)
 * Every line a node prints is forwarded prefixed with "[node-i] ". Ctrl-C (SIGINT) or SIGTERM stops all
 * nodes gracefully (SIGKILL after 20 s); a node that dies on its own is reported and the others keep running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const USAGE = 'Usage: npm run cluster -- [--nodes N] [--base-port P] [--data-dir DIR] [--config FILE] [--gossip lan|local]';

interface LaunchOptions {
  nodes: number;
  basePort: number;
  dataDir: string;
  config?: string;
  gossip: 'lan' | 'local';
}

function options(argv: string[]): LaunchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string', default: '3' },
      'base-port': { type: 'string', default: '9009' },
      'data-dir': { type: 'string', default: './data/cluster' },
      config: { type: 'string' },
      gossip: { type: 'string', default: 'local' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const nodes = Number(values.nodes);
  const basePort = Number(values['base-port']);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 50) throw new RangeError(`Invalid --nodes: "${values.nodes}", want 1..50`);
  if (!Number.isInteger(basePort) || basePort < 1 || basePort + 100 + nodes > 65535) throw new RangeError(`Invalid --base-port: "${values['base-port']}"`);
  if (values.gossip !== 'lan' && values.gossip !== 'local') throw new RangeError(`Invalid --gossip: "${values.gossip}", want lan or local`);
  return { nodes, basePort, dataDir: resolve(values['data-dir']!), config: values.config, gossip: values.gossip };
}

/** The argv of node i (exported for tests and docs). */
export function nodeArgs(o: LaunchOptions, i: number): string[] {
  const args = [
    '--import', 'tsx', 'node/main.ts',
    '--host', '127.0.0.1',
    '--port', String(o.basePort + i),
    '--data-dir', `${o.dataDir}/node-${i}`,
    '--cluster',
    '--instance-id', `node-${i}`,
    '--advertise-addr', '127.0.0.1',
    '--gossip-port', String(o.basePort + 100 + i),
    '--seeds', `127.0.0.1:${o.basePort + 100}`,
  ];
  if (o.config !== undefined) args.push('--config', resolve(o.config));
  return args;
}

function forward(prefix: string, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      out.write(`${prefix}${buf.slice(0, nl)}\n`);
      buf = buf.slice(nl + 1);
    }
  });
  stream.on('end', () => {
    if (buf) out.write(`${prefix}${buf}\n`);
  });
}

function main(): void {
  let o: LaunchOptions;
  try {
    o = options(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`cluster: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const children: ChildProcess[] = [];
  let stopping = false;
  let alive = 0;
  const env = { ...process.env };
  // Without a config file, use the loopback gossip timings so a dead node is noticed in seconds
  if (o.config === undefined && o.gossip === 'local') {
    process.stderr.write('cluster: using fast loopback timings from node/cluster/launch-local.yaml (pass --config FILE or --gossip lan to change)\n');
  }
  for (let i = 0; i < o.nodes; i++) {
    const args = nodeArgs(o, i);
    if (o.config === undefined && o.gossip === 'local') args.push('--config', fileURLToPath(new URL('./launch-local.yaml', import.meta.url)));
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    alive++;
    const prefix = `[node-${i}] `;
    forward(prefix, child.stdout!, process.stdout);
    forward(prefix, child.stderr!, process.stderr);
    child.on('exit', (code, signal) => {
      alive--;
      process.stderr.write(`cluster: node-${i} (pid ${child.pid}) exited with ${signal ?? `code ${code}`}\n`);
      if (alive === 0) process.exit(stopping ? 0 : 1);
    });
    children.push(child);
    process.stderr.write(`cluster: node-${i} pid ${child.pid}: http://127.0.0.1:${o.basePort + i} gossip 127.0.0.1:${o.basePort + 100 + i} data ${o.dataDir}/node-${i}\n`);
  }
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`cluster: ${signal}, stopping ${alive} nodes\n`);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    setTimeout(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }, 20_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Never leave orphans behind if the launcher itself dies
  process.on('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
