/**
 * End-to-end harness: runs `node/main.ts` as a real child process and talks to
 * it over HTTP only, exactly as a remote-write sender or a dashboard would.
 *
 * Every process and temp dir a test creates must be released in `after`/`t.after`;
 * on top of that each child is SIGKILLed if the test process exits, so a failed
 * or timed-out test never leaves a node listening on the machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify as toYaml } from 'yaml';
import type { Labels } from '../../query/model/labels.ts';
import { encodeReadRequest, type RawMatcher } from '../remote/read-request.ts';
import { decodeReadResponse, type DecodedQueryResult } from '../remote/read-response.ts';
import { compressSnappy, uncompressSnappy } from '../remote/snappy.ts';
import type { SeriesInput } from '../remote/types.ts';
import { encodeWriteRequest } from '../remote/write-request-encoder.ts';

/** Repository root: node/main.ts is started from here. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Stale marker NaN: bits 0x7ff0000000000002 (little-endian words: low, high). */
export const STALE_NAN_BITS: readonly [number, number] = [0x00000002, 0x7ff00000];

/**
 * Builds a Float64Array where entries given as [low, high] 32-bit words are set
 * bit by bit. Signalling NaNs such as the stale marker must never pass through a
 * JS number or a plain array (V8 may quiet them to 0x7ff8...), so set them here.
 */
export function float64s(values: readonly (number | readonly [number, number])[]): Float64Array {
  const out = new Float64Array(values.length);
  const words = new Uint32Array(out.buffer);
  values.forEach((v, i) => {
    if (typeof v === 'number') out[i] = v;
    else {
      words[2 * i] = v[0] >>> 0;
      words[2 * i + 1] = v[1] >>> 0;
    }
  });
  return out;
}

/** Hex of the 64-bit pattern of each value: compare these, never the numbers, to keep NaN payloads honest. */
export function bitPatterns(values: ArrayLike<number>): string[] {
  const f = values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>);
  const u = new Uint32Array(f.buffer, f.byteOffset, f.length * 2);
  const out: string[] = new Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = u[2 * i + 1]!.toString(16).padStart(8, '0') + u[2 * i]!.toString(16).padStart(8, '0');
  return out;
}

/** Builds sorted Labels from an object (no validation: callers that want broken labels build arrays by hand). */
export function labels(obj: Record<string, string>): Labels {
  return Object.keys(obj)
    .sort()
    .map((name) => ({ name, value: obj[name]! }));
}

/** Canonical text of a label set, in wire order, for map keys and messages. */
export function labelsText(ls: Labels): string {
  return '{' + ls.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ') + '}';
}

/** A loopback TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('Cannot read the address of a probe socket'));
      srv.close(() => resolve(addr.port));
    });
  });
}

/** A fresh temp dir with a recognisable prefix. */
export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `frank-e2e-${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Keeps the last `max` characters written by a child, for failure messages. */
class OutputTail {
  #text = '';
  constructor(readonly max: number) {}
  push(chunk: Buffer | string): void {
    this.#text += chunk.toString();
    if (this.#text.length > this.max * 2) this.#text = this.#text.slice(-this.max);
  }
  get text(): string {
    return this.#text.slice(-this.max);
  }
}

export interface ChildHandle {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Last part of stdout+stderr, for diagnostics. */
  output(): string;
  /** Resolves with the exit code/signal once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the process has exited. */
  hasExited(): boolean;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns a child with output captured and a kill-on-exit safety net. */
export function spawnChild(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): ChildHandle {
  const proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = new OutputTail(16_000);
  proc.stdout!.on('data', (c: Buffer) => tail.push(c));
  proc.stderr!.on('data', (c: Buffer) => tail.push(c));
  let done = false;
  const safetyNet = (): void => {
    if (!done) proc.kill('SIGKILL');
  };
  process.once('exit', safetyNet);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => {
      done = true;
      process.removeListener('exit', safetyNet);
      resolve({ code, signal });
    });
    proc.once('error', (err) => {
      tail.push(`\n[spawn error] ${err.message}\n`);
      done = true;
      process.removeListener('exit', safetyNet);
      resolve({ code: null, signal: null });
    });
  });
  if (proc.pid === undefined) tail.push(`\n[spawn failed for ${cmd}]\n`);
  const handle: ChildHandle = {
    proc,
    pid: proc.pid ?? -1,
    output: () => tail.text,
    exited,
    hasExited: () => done,
    kill(signal = 'SIGKILL') {
      if (!done) proc.kill(signal);
    },
    async stop(graceMs = 10_000) {
      if (done) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return handle;
}

export interface StartNodeOptions {
  /** Data dir to use (kept on stop); when absent a temp dir is made and removed on stop(). */
  dataDir?: string;
  /** Node config, written as YAML and passed with --config. */
  config?: Record<string, unknown>;
  /** Port to listen on; 0 or absent picks a free loopback port. */
  port?: number;
  /** Milliseconds to wait for GET /ready to answer 200. @default 30000 */
  readyTimeoutMs?: number;
  /** Extra environment variables for the child. */
  env?: Record<string, string>;
}

export interface NodeHandle {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:34567 */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly proc: ChildProcess;
  readonly dataDir: string;
  output(): string;
  readonly exited: ChildHandle['exited'];
  /** Graceful stop (SIGTERM, SIGKILL after 10 s); removes the data dir if the harness created it. */
  stop(): Promise<void>;
  /** Sends a signal (default SIGKILL) without waiting. The data dir is kept. */
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `node --import tsx node/main.ts` and waits for GET /ready = 200. */
export async function startNode(opts: StartNodeOptions = {}): Promise<NodeHandle> {
  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await tempDir('data'));
  const port = opts.port && opts.port > 0 ? opts.port : await freePort();
  const args = ['--import', 'tsx', 'node/main.ts', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir];
  let configDir: string | null = null;
  if (opts.config !== undefined) {
    configDir = await tempDir('config');
    const file = join(configDir, 'config.yaml');
    await writeFile(file, toYaml(opts.config));
    args.push('--config', file);
  }
  const child = spawnChild(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, ...opts.env } });
  const url = `http://127.0.0.1:${port}`;
  const cleanup = async (): Promise<void> => {
    await child.stop();
    if (configDir !== null) await removeDir(configDir);
    if (ownsDataDir) await removeDir(dataDir);
  };
  try {
    await waitForReady(url, child, opts.readyTimeoutMs ?? 30_000);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    url,
    port,
    pid: child.pid,
    proc: child.proc,
    dataDir,
    output: child.output,
    exited: child.exited,
    stop: cleanup,
    kill: (signal: NodeJS.Signals = 'SIGKILL') => child.kill(signal),
  };
}

async function waitForReady(url: string, child: ChildHandle, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.hasExited()) {
      const { code, signal } = await child.exited;
      throw new Error(`node/main.ts exited before it was ready (code ${code}, signal ${signal}); output:\n${child.output()}`);
    }
    try {
      const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      if (res.status === 200) return;
      last = `GET /ready answered ${res.status}: ${body.slice(0, 200)}`;
    } catch (err) {
      last = `GET /ready failed: ${(err as Error).message}`;
    }
    await sleep(100);
  }
  throw new Error(`node/main.ts was not ready within ${timeoutMs} ms at ${url} (${last}); output:\n${child.output()}`);
}

// ---------------------------------------------------------------- HTTP clients

export interface HttpResult {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
}

/** Remote-write 1.0 headers (the body is snappy block + protobuf). */
export const REMOTE_WRITE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
  'User-Agent': 'frankenstein-e2e/1',
};

/** POSTs raw bytes with remote-write headers (plus `headers`). */
export async function postRaw(url: string, path: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<HttpResult> {
  const res = await fetch(url + path, { method: 'POST', body: body as Uint8Array<ArrayBuffer>, headers: { ...REMOTE_WRITE_HEADERS, ...headers } });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/**
 * Announces a POST body of `contentLength` bytes, sends only `prefix`, and
 * returns the answer. For the body-size limit: a server must answer 413 from
 * Content-Length alone. Sending the whole body instead is racy for any client:
 * the server closes with unread data, the kernel sends RST, and the 413 can be
 * lost (fetch then reports EPIPE). A negative contentLength sends `prefix` as
 * one chunk of a chunked body instead (the server must count bytes as it reads).
 */
export async function postAnnouncingLength(
  url: string,
  path: string,
  contentLength: number,
  prefix: Uint8Array,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const { connect } = await import('node:net');
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`No answer to POST ${path} (Content-Length ${contentLength}) within 20 s; got so far: ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 300))}`));
    }, 20_000);
    const finish = (): void => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
      if (!m) return reject(new Error(`Not an HTTP answer to POST ${path}: ${JSON.stringify(raw.slice(0, 300))}`));
      const sep = raw.indexOf('\r\n\r\n');
      resolve({ status: Number(m[1]), text: sep >= 0 ? raw.slice(sep + 4) : '' });
    };
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      const raw = Buffer.concat(chunks).toString('latin1');
      const sep = raw.indexOf('\r\n\r\n');
      if (sep < 0) return;
      const len = /\r\ncontent-length: *(\d+)/i.exec(raw.slice(0, sep));
      if (len && raw.length - sep - 4 >= Number(len[1])) {
        sock.destroy();
        finish();
      }
    });
    sock.on('end', finish);
    sock.on('error', () => {
      /* a reset after the answer is expected; 'close' follows */
    });
    sock.on('close', () => {
      if (chunks.length > 0) finish();
    });
    const all: Record<string, string> = { ...REMOTE_WRITE_HEADERS, ...headers, Host: `${hostname}:${port}`, Connection: 'close' };
    // contentLength < 0: chunked transfer (no length announced), prefix sent as one chunk, never terminated.
    if (contentLength >= 0) all['Content-Length'] = String(contentLength);
    else all['Transfer-Encoding'] = 'chunked';
    const head = `POST ${path} HTTP/1.1\r\n` + Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
    sock.write(head);
    if (contentLength >= 0) sock.write(prefix);
    else {
      sock.write(`${prefix.length.toString(16)}\r\n`);
      sock.write(prefix);
      sock.write('\r\n');
    }
  });
}

/** Encodes, compresses and sends a WriteRequest. */
export async function remoteWrite(
  url: string,
  series: readonly SeriesInput[],
  opts: { headers?: Record<string, string>; path?: string } = {},
): Promise<HttpResult> {
  const body = compressSnappy(encodeWriteRequest({ series }));
  return postRaw(url, opts.path ?? '/api/v1/push', body, opts.headers);
}

export interface ReadQuerySpec {
  readonly startMs: number;
  readonly endMs: number;
  readonly matchers: readonly RawMatcher[];
}

/** Remote read (SAMPLES). Throws with status and body on a non-200 answer. */
export async function remoteRead(url: string, queries: readonly ReadQuerySpec[], headers: Record<string, string> = {}): Promise<DecodedQueryResult[]> {
  const r = await remoteReadRaw(url, queries, headers);
  if (r.status !== 200) throw new Error(`Remote read expected 200, got ${r.status}: ${new TextDecoder().decode(r.body)}`);
  return decodeReadResponse(uncompressSnappy(r.body));
}

/** Remote read returning the raw (still compressed) answer. */
export async function remoteReadRaw(
  url: string,
  queries: readonly ReadQuerySpec[],
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Uint8Array; headers: Headers }> {
  const body = compressSnappy(encodeReadRequest({ queries, acceptedResponseTypes: [0] }));
  const res = await fetch(`${url}/api/v1/read`, {
    method: 'POST',
    body: body as Uint8Array<ArrayBuffer>,
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Read-Version': '0.1.0',
      ...headers,
    },
  });
  return { status: res.status, body: new Uint8Array(await res.arrayBuffer()), headers: res.headers };
}

/** GET (or POST form) a JSON API; returns status and the parsed body (null when not JSON). */
export async function getJson(
  url: string,
  path: string,
  params: Record<string, string | string[]> = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; text: string }> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) qs.append(k, x);
  const q = qs.toString();
  const res = await fetch(`${url}${path}${q ? `?${q}` : ''}`, { headers });
  const text = await res.text();
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, body, text };
}

/** GET a JSON API and require 200 + status "success"; returns `data`. */
export async function apiData(url: string, path: string, params: Record<string, string | string[]> = {}, headers: Record<string, string> = {}): Promise<any> {
  const r = await getJson(url, path, params, headers);
  if (r.status !== 200 || r.body?.status !== 'success') throw new Error(`GET ${path} ${JSON.stringify(params)} expected 200 success, got ${r.status}: ${r.text.slice(0, 500)}`);
  return r.body.data;
}

/** Polls `check` every `intervalMs` until it returns a truthy value; throws `describe()` on timeout. */
export async function waitFor<T>(check: () => Promise<T | null | undefined | false>, timeoutMs: number, describe: () => string, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr = '';
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      lastErr = (err as Error).message;
    }
    await sleep(intervalMs);
  }
  throw new Error(`Timed out after ${timeoutMs} ms: ${describe()}${lastErr ? ` (last error: ${lastErr})` : ''}`);
}

// ------------------------------------------------------------- metrics parsing

export interface MetricSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Parses the Prometheus text exposition format (enough for prom-client and Prometheus output). */
export function parseMetrics(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const ls: Record<string, string> = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      for (let lm = re.exec(m[3]); lm; lm = re.exec(m[3])) ls[lm[1]!] = JSON.parse(`"${lm[2]!}"`);
    }
    out.push({ name: m[1]!, labels: ls, value: Number(m[4]) });
  }
  return out;
}

/** Sum of all samples of `name` whose labels include `match`. */
export function sumMetric(samples: readonly MetricSample[], name: string, match: Record<string, string> = {}): number {
  let s = 0;
  for (const x of samples) {
    if (x.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => x.labels[k] === v)) s += x.value;
  }
  return s;
}

export async function scrapeMetrics(url: string): Promise<MetricSample[]> {
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics expected 200, got ${res.status}: ${text.slice(0, 300)}`);
  return parseMetrics(text);
}

// ------------------------------------------------------- remote-read helpers

/** Flattens remote-read results into "labels@ts" → 64-bit value pattern. */
export function sampleMap(results: readonly DecodedQueryResult[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of results) {
    for (const s of r.series) {
      const bits = bitPatterns(s.values);
      const key = labelsText(s.labels);
      for (let i = 0; i < s.timestamps.length; i++) out.set(`${key}@${s.timestamps[i]}`, bits[i]!);
    }
  }
  return out;
}
