/**
 * Test and benchmark harness for real multi-process clusters on loopback: each node is a separate
 * `node/main.ts --cluster` process with its own data dir, HTTP port and gossip port, fast gossip timings
 * from a YAML config, and every process is SIGKILLed if the test process exits. Not used by production code.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify as toYaml } from 'yaml';
import type { Labels } from '../../query/model/labels.ts';
import { decodeSelectResponse } from './wire.ts';
import {
  freePort, labels, remoteRead, remoteWrite, removeDir, REPO_ROOT, spawnChild, tempDir, waitFor,
  type ChildHandle,
} from '../e2e/harness.ts';

/** Fast failure detection for one machine: a dead node is noticed in ~1-3 s. */
export const FAST_CLUSTER_CONFIG = {
  cluster: {
    gossip: 'local',
    heartbeatPeriodMs: 250,
    heartbeatTimeoutMs: 3000,
    observePeriodMs: 200,
    leaveDrainMs: 400,
    pushTimeoutMs: 5000,
    queryTimeoutMs: 5000,
    forgetAfterMs: 0,
  },
};

export interface RingInstance {
  id: string;
  addr: string;
  zone: string;
  state: string;
  tokens: number[];
  ownership: number;
  lastHeartbeat: string;
  healthy: boolean;
}

export interface GossipMember {
  name: string;
  addr: string;
  state: string;
  incarnation: number;
}

export class ClusterNode {
  readonly index: number;
  readonly id: string;
  readonly httpPort: number;
  readonly gossipPort: number;
  readonly dataDir: string;
  readonly url: string;
  seeds: string[];
  readonly #configFile: string;
  readonly #extraArgs: string[];
  readonly #nodeFlags: string[];
  #child: ChildHandle | null = null;
  /** Output of earlier runs of this node (kept across restarts for diagnostics). */
  #history = '';

  constructor(o: { index: number; httpPort: number; gossipPort: number; dataDir: string; seeds: string[]; configFile: string; extraArgs?: string[]; nodeFlags?: string[] }) {
    this.index = o.index;
    this.id = `node-${o.index}`;
    this.httpPort = o.httpPort;
    this.gossipPort = o.gossipPort;
    this.dataDir = o.dataDir;
    this.seeds = o.seeds;
    this.url = `http://127.0.0.1:${o.httpPort}`;
    this.#configFile = o.configFile;
    this.#extraArgs = o.extraArgs ?? [];
    this.#nodeFlags = o.nodeFlags ?? [];
  }

  get gossipAddr(): string {
    return `127.0.0.1:${this.gossipPort}`;
  }

  get running(): boolean {
    return this.#child !== null && !this.#child.hasExited();
  }

  get pid(): number {
    return this.#child?.pid ?? -1;
  }

  args(): string[] {
    return [
      ...this.#nodeFlags, '--import', 'tsx', 'node/main.ts', '--host', '127.0.0.1', '--port', String(this.httpPort), '--data-dir', this.dataDir,
      '--cluster', '--instance-id', this.id, '--gossip-port', String(this.gossipPort), '--seeds', this.seeds.join(','),
      '--config', this.#configFile, ...this.#extraArgs,
    ];
  }

  /** Spawns the process; with waitReady, resolves once /ready answers 200 (the node is ACTIVE in the ring). */
  async start(waitReady = true, timeoutMs = 30_000): Promise<void> {
    if (this.running) throw new Error(`Node ${this.id} is already running`);
    if (this.#child) this.#history += this.#child.output();
    this.#child = spawnChild(process.execPath, this.args(), { cwd: REPO_ROOT });
    if (waitReady) await this.waitReady(timeoutMs);
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        if (!this.running) throw new Error(`node ${this.id} exited`);
        const r = await fetch(`${this.url}/ready`, { signal: AbortSignal.timeout(2000) });
        await r.text();
        return r.status === 200;
      },
      timeoutMs,
      () => `node ${this.id} ready; output:\n${this.output().slice(-3000)}`,
      100,
    );
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.#child?.kill(signal);
  }

  /** SIGTERM and wait for the exit (SIGKILL after graceMs). */
  async stop(graceMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null } | null> {
    const c = this.#child;
    if (c === null || c.hasExited()) return null;
    c.proc.kill('SIGCONT');
    await c.stop(graceMs);
    return c.exited;
  }

  async exited(): Promise<void> {
    if (this.#child) await this.#child.exited;
  }

  output(): string {
    return this.#history + (this.#child?.output() ?? '');
  }

  async ring(): Promise<RingInstance[]> {
    const r = await fetch(`${this.url}/ring`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(3000) });
    if (r.status !== 200) throw new Error(`GET /ring on ${this.id}: ${r.status}`);
    return ((await r.json()) as { instances: RingInstance[] }).instances;
  }

  async members(): Promise<GossipMember[]> {
    const r = await fetch(`${this.url}/memberlist`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(3000) });
    if (r.status !== 200) throw new Error(`GET /memberlist on ${this.id}: ${r.status}`);
    return ((await r.json()) as { members: GossipMember[] }).members;
  }
}

export interface StartClusterOptions {
  nodes: number;
  /** Deep-merged over FAST_CLUSTER_CONFIG (only the cluster section and top-level keys). */
  config?: Record<string, unknown>;
  /** Seeds of every node: 'first' = node 0 only (default), 'all' = every node. */
  seeds?: 'first' | 'all';
  /** Start the nodes one after the other (default) or all at once. */
  parallel?: boolean;
  extraArgs?: string[];
  /** Flags for the node binary itself (before the script), e.g. --cpu-prof. */
  nodeFlags?: string[];
}

export class TestCluster {
  readonly nodes: ClusterNode[];
  readonly dir: string;
  readonly #writers: ContinuousWriter[] = [];

  private constructor(dir: string, nodes: ClusterNode[]) {
    this.dir = dir;
    this.nodes = nodes;
  }

  static async start(o: StartClusterOptions): Promise<TestCluster> {
    const dir = await tempDir('cluster');
    const cfg = { ...FAST_CLUSTER_CONFIG, ...(o.config ?? {}), cluster: { ...FAST_CLUSTER_CONFIG.cluster, ...((o.config?.['cluster'] as object) ?? {}) } };
    const configFile = join(dir, 'config.yaml');
    await writeFile(configFile, toYaml(cfg));
    const nodes: ClusterNode[] = [];
    const used = new Set<number>();
    const port = async (): Promise<number> => {
      for (;;) {
        const p = await freePort();
        if (!used.has(p)) {
          used.add(p);
          return p;
        }
      }
    };
    for (let i = 0; i < o.nodes; i++) {
      nodes.push(new ClusterNode({ index: i, httpPort: await port(), gossipPort: await port(), dataDir: join(dir, `node-${i}`), seeds: [], configFile, extraArgs: o.extraArgs, nodeFlags: o.nodeFlags }));
    }
    for (const n of nodes) n.seeds = o.seeds === 'all' ? nodes.map((x) => x.gossipAddr) : [nodes[0]!.gossipAddr];
    const c = new TestCluster(dir, nodes);
    try {
      if (o.parallel) await Promise.all(nodes.map((n) => n.start()));
      else for (const n of nodes) await n.start();
    } catch (err) {
      await c.destroy();
      throw err;
    }
    return c;
  }

  /** A writer stopped by destroy() even when the test failed half-way (a running writer would keep the test process alive). */
  writer(o: ConstructorParameters<typeof ContinuousWriter>[0]): ContinuousWriter {
    const w = new ContinuousWriter(o);
    this.#writers.push(w);
    return w;
  }

  /** Stops every writer, kills every process that is still running and removes the data. */
  async destroy(): Promise<void> {
    await Promise.all(this.#writers.map((w) => w.stop()));
    for (const n of this.nodes) {
      n.kill('SIGCONT');
      n.kill('SIGKILL');
    }
    await Promise.all(this.nodes.map((n) => n.exited()));
    await removeDir(this.dir);
  }

  /** Waits until every running node's /ring lists `ids` ACTIVE and healthy, with identical tokens everywhere. */
  async waitRingConverged(ids: string[], timeoutMs = 15_000): Promise<RingInstance[]> {
    const want = [...ids].sort().join(',');
    let last = '';
    return waitFor(
      async () => {
        const views = await Promise.all(this.nodes.filter((n) => n.running).map((n) => n.ring()));
        const sigs = views.map((v) => v.filter((i) => i.state === 'ACTIVE' && i.healthy).map((i) => `${i.id}:${i.tokens.join('.')}`).sort().join('|'));
        last = views.map((v) => v.map((i) => `${i.id}/${i.state}/${i.healthy}`).join(' ')).join(' ;; ');
        const idsOk = views.every((v) => v.filter((i) => i.state === 'ACTIVE' && i.healthy).map((i) => i.id).sort().join(',') === want);
        return idsOk && sigs.every((s) => s === sigs[0]) ? views[0]! : null;
      },
      timeoutMs,
      () => `ring converged on ${want}; last views: ${last}`,
      100,
    );
  }
}

/** One acknowledged write: which series got which timestamp. */
interface Ack {
  series: number[];
  ts: number;
  /** Node that acknowledged, and when. */
  url: string;
  at: number;
}

/**
 * A sequential remote-write client: each batch writes one sample to every one of its series with a
 * timestamp larger than the last, to a target picked round-robin from targets(). Records every 2xx batch
 * so verify() can check that no acknowledged sample is missing.
 */
export class ContinuousWriter {
  readonly name: string;
  readonly seriesCount: number;
  readonly acks: Ack[] = [];
  readonly failures: string[] = [];
  readonly #targets: () => string[];
  readonly #labels: Labels[];
  #ts: number;
  #rr = 0;
  #running = false;
  #loop: Promise<void> | null = null;
  #intervalMs: number;
  batches = 0;
  /** Series that the last read returned more than once. */
  duplicateSeries = 0;

  constructor(o: { name: string; series: number; targets: () => string[]; intervalMs?: number }) {
    this.name = o.name;
    this.seriesCount = o.series;
    this.#targets = o.targets;
    this.#intervalMs = o.intervalMs ?? 20;
    this.#ts = Date.now() - 120_000;
    this.#labels = [];
    for (let i = 0; i < o.series; i++) this.#labels.push(labels({ __name__: 'cluster_test_metric', writer: o.name, series: String(i) }));
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const targets = this.#targets();
      if (targets.length === 0) {
        await sleep(20);
        continue;
      }
      const url = targets[this.#rr++ % targets.length]!;
      const ts = ++this.#ts;
      const series = this.#labels.map((l, i) => ({ labels: l, timestamps: [ts], values: [ts * 1000 + i] }));
      try {
        const r = await remoteWrite(url, series);
        if (r.status >= 200 && r.status < 300) this.acks.push({ series: series.map((_, i) => i), ts, url, at: Date.now() });
        else this.failures.push(`${url} ts=${ts}: ${r.status} ${r.text.slice(0, 300)}`);
      } catch (err) {
        this.failures.push(`${url} ts=${ts}: ${(err as Error).message} ${String((err as Error).cause ?? '')}`);
      }
      this.batches++;
      await sleep(this.#intervalMs);
    }
  }

  /**
   * Acknowledged samples missing from a remote read on url; [] when complete. A read that fails (e.g. 503
   * while too many nodes look unhealthy on a loaded machine) is retried: only an answer can prove data loss.
   */
  async missing(url: string, retryMs = 15_000): Promise<string[]> {
    const deadline = Date.now() + retryMs;
    for (;;) {
      try {
        return await this.#missing(url);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(200);
      }
    }
  }

  async #missing(url: string): Promise<string[]> {
    // Only writes acknowledged before the read started must be in its answer
    const acked = this.acks.length;
    const res = await remoteRead(url, [
      { startMs: 0, endMs: Date.now() + 3_600_000, matchers: [{ type: '=', name: 'writer', value: this.name }, { type: '=', name: '__name__', value: 'cluster_test_metric' }] },
    ]);
    const have = new Map<string, Set<number>>();
    this.duplicateSeries = 0;
    for (const s of res[0]!.series) {
      const idx = s.labels.find((l) => l.name === 'series')!.value;
      const cur = have.get(idx);
      if (cur !== undefined) {
        // One series must come back once: count it, and keep every timestamp so the count shows in messages
        this.duplicateSeries++;
        for (const t of s.timestamps) cur.add(t);
      } else have.set(idx, new Set(Array.from(s.timestamps)));
    }
    const out: string[] = [];
    for (const a of this.acks.slice(0, acked)) {
      for (const i of a.series) if (!have.get(String(i))?.has(a.ts)) out.push(`${this.name}/series=${i}@${a.ts} (acknowledged by ${a.url} at ${new Date(a.at).toISOString()})`);
    }
    return out;
  }

  /** Which of the given nodes hold ts of series 0 in their own head (internal API, no merging): for failure messages. */
  async holders(urls: readonly string[], ts: number): Promise<string> {
    const parts = await Promise.all(urls.map(async (u) => {
      try {
        const r = await fetch(`${u}/internal/select`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-scope-orgid': 'anonymous' },
          body: JSON.stringify({ matchers: [['=', 'writer', this.name], ['=', 'series', '0']], start: ts - 1, end: ts + 1 }),
        });
        if (r.status !== 200) return `${u}: status ${r.status}`;
        const got = decodeSelectResponse(new Uint8Array(await r.arrayBuffer()));
        return `${u}: ${got.some((x) => Array.from(x.timestamps).includes(ts)) ? 'has it' : 'missing'}`;
      } catch (err) {
        return `${u}: ${(err as Error).message}`;
      }
    }));
    return parts.join('; ');
  }
}
