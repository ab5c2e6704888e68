/**
 * IngesterClient for another node's ingester over the internal HTTP API. All clients of a node share one
 * keep-alive node:http Agent, so a write costs no TCP handshake. Every call has a timeout; failures
 * become ClusterError (503) so the distributor counts them against the quorum instead of crashing.
 */
import http from 'node:http';
import type { Labels } from '../../query/model/labels.ts';
import type { Matcher } from '../../query/model/matchers.ts';
import type { SeriesSamples } from '../../query/model/samples.ts';
import type { Querier, SelectHints } from '../../query/querier/queryable.ts';
import { StoreError } from '../core/errors.ts';
import type { IngesterClient } from '../distributor/ingester-client.ts';
import type { PushResult, PushSeries } from '../ingester/ingester.ts';
import type { TenantLimits } from '../ingester/config.ts';
import { compressSnappy } from '../remote/snappy.ts';
import { encodeWriteRequest } from '../remote/write-request-encoder.ts';
import { ClusterError } from './errors.ts';
import { INTERNAL_PATHS } from './internal-routes.ts';
import { decodeSelectResponse, encodeLimits, encodeQuery, LIMITS_HEADER, unflattenLabels } from './wire.ts';

/**
 * The encoded body of the last push. The distributor calls push() on every replica of a batch in one
 * tick, usually with the same series (with 3 nodes and RF 3, every remote replica gets the whole batch):
 * the second replica reuses the first one's body instead of encoding and compressing it again.
 */
export class PushBodyCache {
  #series: readonly PushSeries[] | null = null;
  #body: Uint8Array | null = null;

  body(series: readonly PushSeries[]): Uint8Array {
    const last = this.#series;
    if (last !== null && this.#body !== null && sameSeries(last, series)) return this.#body;
    const body = compressSnappy(encodeWriteRequest({ series }));
    this.#series = series;
    this.#body = body;
    return body;
  }
}

function sameSeries(a: readonly PushSeries[], b: readonly PushSeries[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface HttpIngesterClientOptions {
  /** Shared keep-alive agent. */
  agent: http.Agent;
  /** @default 2000 */
  pushTimeoutMs: number;
  /** @default 30000 */
  queryTimeoutMs: number;
  /** Shared by the clients of one node so replicas of one batch share one encoded body. */
  bodyCache?: PushBodyCache;
  /** Told about every failed call (connection refused, timeout, 5xx), e.g. to stop routing to the instance for a moment. */
  onFailure?: (id: string, err: Error) => void;
}

/** A keep-alive agent sized for one node talking to its peers. */
export function newClusterAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, keepAliveMsecs: 10_000, maxSockets: 64, maxFreeSockets: 16, timeout: 60_000 });
}

interface RawResponse {
  status: number;
  body: Buffer;
}

export class HttpIngesterClient implements IngesterClient {
  readonly id: string;
  /** "host:port" of the instance's HTTP server. */
  readonly addr: string;
  readonly #opts: HttpIngesterClientOptions;
  readonly #host: string;
  readonly #port: number;

  constructor(id: string, addr: string, opts: HttpIngesterClientOptions) {
    this.id = id;
    this.addr = addr;
    this.#opts = opts;
    const i = addr.lastIndexOf(':');
    this.#host = addr.slice(0, i).replace(/^\[|\]$/g, '');
    this.#port = Number(addr.slice(i + 1));
  }

  async push(tenant: string, series: readonly PushSeries[], limits: TenantLimits): Promise<PushResult> {
    const body = this.#opts.bodyCache ? this.#opts.bodyCache.body(series) : compressSnappy(encodeWriteRequest({ series }));
    return this.#pushBody(tenant, body, limits);
  }

  /** Sends a remote-write body as received (the distributor checked that every series and sample of it was accepted). */
  pushRaw(tenant: string, body: Uint8Array, limits: TenantLimits): Promise<PushResult> {
    return this.#pushBody(tenant, body, limits);
  }

  async #pushBody(tenant: string, body: Uint8Array, limits: TenantLimits): Promise<PushResult> {
    const res = await this.#call(INTERNAL_PATHS.push, body, 'application/x-protobuf', tenant, this.#opts.pushTimeoutMs, undefined, {
      [LIMITS_HEADER]: encodeLimits(limits),
      'content-encoding': 'snappy',
    });
    return JSON.parse(res.body.toString('utf8')) as PushResult;
  }

  querier(tenant: string): Querier {
    return new RemoteQuerier(this, tenant);
  }

  /** @internal used by RemoteQuerier */
  async query(path: string, tenant: string, json: string, signal: AbortSignal | undefined): Promise<Buffer> {
    return (await this.#call(path, Buffer.from(json), 'application/json', tenant, this.#opts.queryTimeoutMs, signal)).body;
  }

  #call(path: string, body: Uint8Array, contentType: string, tenant: string, timeoutMs: number, signal?: AbortSignal, extra: Record<string, string> = {}): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      let done = false;
      const fail = (err: Error): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        req.destroy();
        this.#opts.onFailure?.(this.id, err);
        reject(err);
      };
      const unavailable = (why: string, cause?: unknown): ClusterError =>
        new ClusterError('CLUSTER_INGESTER_UNAVAILABLE', `ingester "${this.id}" at "${this.addr}" failed on ${path} for tenant "${tenant}": ${why}`, { cause });
      const req = http.request(
        {
          host: this.#host,
          port: this.#port,
          path,
          method: 'POST',
          agent: this.#opts.agent,
          headers: { 'content-type': contentType, 'content-length': body.length, 'x-scope-orgid': tenant, ...extra },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => fail(unavailable(err.message, err)));
          res.on('end', () => {
            if (done) return;
            const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              done = true;
              clearTimeout(timer);
              signal?.removeEventListener('abort', onAbort);
              resolve({ status, body: buf });
              return;
            }
            let msg = buf.toString('utf8').slice(0, 1000);
            try {
              msg = (JSON.parse(msg) as { error?: string }).error ?? msg;
            } catch {
              // plain text answer
            }
            // Keep the peer's status: a 4xx is the caller's fault and must not be retried elsewhere as a 5xx
            fail(status >= 500 ? unavailable(`status ${status}: ${msg}`) : new StoreError('INGESTER_REJECTED', status, `ingester "${this.id}" rejected ${path} for tenant "${tenant}": ${msg}`));
          });
        },
      );
      const timer = setTimeout(() => fail(unavailable(`timed out after ${timeoutMs} ms`)), timeoutMs);
      const onAbort = (): void => fail(new StoreError('CANCELED', 503, `internal call ${path} to ingester "${this.id}" was canceled`, { errorType: 'canceled' }));
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => fail(unavailable(err.message, err)));
      req.end(body);
    });
  }
}

/** A Querier over one remote ingester's head for one tenant. */
class RemoteQuerier implements Querier {
  readonly #c: HttpIngesterClient;
  readonly #tenant: string;

  constructor(client: HttpIngesterClient, tenant: string) {
    this.#c = client;
    this.#tenant = tenant;
  }

  async select(matchers: readonly Matcher[], hints: SelectHints): Promise<SeriesSamples[]> {
    const body = await this.#c.query(INTERNAL_PATHS.select, this.#tenant, encodeQuery(matchers, hints.start, hints.end), hints.signal);
    return decodeSelectResponse(body);
  }

  async series(matchers: readonly Matcher[], hints: SelectHints): Promise<Labels[]> {
    const body = await this.#c.query(INTERNAL_PATHS.series, this.#tenant, encodeQuery(matchers, hints.start, hints.end), hints.signal);
    return (JSON.parse(body.toString('utf8')) as { series: string[][] }).series.map(unflattenLabels);
  }

  async labelNames(matchers: readonly Matcher[], hints: SelectHints): Promise<string[]> {
    const body = await this.#c.query(INTERNAL_PATHS.labelNames, this.#tenant, encodeQuery(matchers, hints.start, hints.end), hints.signal);
    return (JSON.parse(body.toString('utf8')) as { values: string[] }).values;
  }

  async labelValues(name: string, matchers: readonly Matcher[], hints: SelectHints): Promise<string[]> {
    const body = await this.#c.query(INTERNAL_PATHS.labelValues, this.#tenant, encodeQuery(matchers, hints.start, hints.end, name), hints.signal);
    return (JSON.parse(body.toString('utf8')) as { values: string[] }).values;
  }
}
