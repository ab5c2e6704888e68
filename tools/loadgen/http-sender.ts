/**
 * Sends pre-encoded remote-write bodies over keep-alive connections. node:http rather than
 * fetch because it is cheaper per request, and the bench client must not be the bottleneck.
 */
import http from 'node:http';
import https from 'node:https';

/** Outcome of one POST: `status` is 0 when no HTTP response arrived (connection error, timeout). */
export interface SendResult {
  status: number;
  latencyMs: number;
  /** Response body (truncated) or connection error text, only for failures. */
  error?: string;
}

export interface HttpSenderConfig {
  /** Full URL requests are POSTed to. */
  url: string;
  /** Maximum open connections; match the number of requests in flight. */
  maxSockets: number;
  /** Per-request timeout in ms. */
  timeoutMs: number;
  /** Headers added to every request (Content-Length is set per request). */
  headers: Record<string, string>;
}

const MAX_ERROR_BODY = 512;

export class HttpSender {
  #url: URL;
  #agent: http.Agent;
  #request: typeof http.request;
  #config: HttpSenderConfig;

  constructor(config: HttpSenderConfig) {
    this.#config = config;
    this.#url = new URL(config.url);
    const secure = this.#url.protocol === 'https:';
    if (!secure && this.#url.protocol !== 'http:') {
      throw new TypeError(`Unsupported URL protocol: "${this.#url.protocol}" in "${config.url}"`);
    }
    const agentOptions = { keepAlive: true, maxSockets: config.maxSockets };
    this.#agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.#request = secure ? https.request : http.request;
  }

  /** POSTs `body` with `extraHeaders` (e.g. the tenant) on top of the configured ones. */
  send(body: Uint8Array, extraHeaders?: Record<string, string>): Promise<SendResult> {
    const started = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const finish = (status: number, error?: string): void => {
        if (settled) return;
        settled = true;
        const result: SendResult = { status, latencyMs: performance.now() - started };
        if (error !== undefined) result.error = error;
        resolve(result);
      };
      const req = this.#request(this.#url, {
        method: 'POST',
        agent: this.#agent,
        headers: { ...this.#config.headers, ...extraHeaders, 'Content-Length': String(body.byteLength) },
        timeout: this.#config.timeoutMs,
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          res.resume();
          res.on('end', () => finish(status));
          res.on('error', (err) => finish(status, `Response aborted: ${err.message}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_ERROR_BODY) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY).trim();
          finish(status, `${status} ${res.statusMessage ?? ''}: ${text}`);
        });
        res.on('error', (err) => finish(status, `${status}: response aborted: ${err.message}`));
      });
      req.on('timeout', () => req.destroy(new Error(`no response within ${this.#config.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => finish(0, `POST ${this.#url.href}: ${err.code ?? err.message}${err.code ? ` (${err.message})` : ''}`));
      req.end(body);
    });
  }

  /** Closes the idle keep-alive sockets so the process can exit. */
  close(): void {
    this.#agent.destroy();
  }
}
