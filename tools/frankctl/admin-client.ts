/**
 * Talks to one node's HTTP API for frankctl. Every failure becomes a CliError whose
 * message names the method, URL and cause (status line and body, or the socket error).
 */
import { CliError, EXIT_USAGE, HttpStatusError } from './errors.ts';

export interface AdminClientConfig {
  /** Base URL of the node. @default 'http://127.0.0.1:9009' */
  url: string;
  /** Tenant sent as X-Scope-OrgID. @default undefined (no header) */
  tenant?: string;
  /** Bearer token sent as Authorization. @default undefined */
  token?: string;
  /** Request timeout in ms. @default 10000 */
  timeoutMs: number;
}

/** Longest part of an error body quoted in a message. */
const MAX_BODY_IN_MESSAGE = 500;

export class AdminClient {
  #config: AdminClientConfig;
  #base: URL;

  constructor(config: AdminClientConfig) {
    this.#config = config;
    try {
      this.#base = new URL(config.url);
    } catch {
      throw new CliError(`Invalid --url: "${config.url}"`, EXIT_USAGE);
    }
    if (this.#base.protocol !== 'http:' && this.#base.protocol !== 'https:') {
      throw new CliError(`Invalid --url: "${config.url}" must start with http:// or https://`, EXIT_USAGE);
    }
  }

  /** Absolute URL of `path` (which starts with "/") under the base URL, keeping any base path prefix. */
  urlOf(path: string): string {
    const base = this.#base.href.endsWith('/') ? this.#base.href.slice(0, -1) : this.#base.href;
    return `${base}${path}`;
  }

  /** GETs `path` and parses the JSON body. */
  async getJson(path: string): Promise<unknown> {
    const url = this.urlOf(path);
    const res = await this.#fetch('GET', url, { headers: { Accept: 'application/json' } });
    const text = await res.text();
    if (!res.ok) throw new HttpStatusError('GET', url, res.status, res.statusText, clip(text));
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new CliError(`GET ${url}: response is not JSON: ${clip(text) || '(empty body)'}`, EXIT_USAGE);
    }
  }

  /** POSTs an application/x-www-form-urlencoded body; resolves with status and body text for any status. */
  async postForm(path: string, form: Record<string, string>): Promise<{ status: number; statusText: string; body: string; url: string }> {
    const url = this.urlOf(path);
    const res = await this.#fetch('POST', url, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json, text/plain' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: res.status, statusText: res.statusText, body: clip(await res.text()), url };
  }

  async #fetch(method: string, url: string, init: { headers: Record<string, string>; body?: string }): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers, 'User-Agent': 'frankctl/0.1' };
    if (this.#config.tenant !== undefined) headers['X-Scope-OrgID'] = this.#config.tenant;
    if (this.#config.token !== undefined) headers['Authorization'] = `Bearer ${this.#config.token}`;
    try {
      const req: RequestInit = { method, headers, signal: AbortSignal.timeout(this.#config.timeoutMs) };
      if (init.body !== undefined) req.body = init.body;
      return await fetch(url, req);
    } catch (err) {
      throw new CliError(`${method} ${url}: ${describeFetchError(err, this.#config.timeoutMs)}`, EXIT_USAGE, { cause: err });
    }
  }
}

function clip(text: string): string {
  const t = text.trim();
  return t.length > MAX_BODY_IN_MESSAGE ? `${t.slice(0, MAX_BODY_IN_MESSAGE)}…` : t;
}

/** Turns fetch's generic "fetch failed" into the socket-level reason. */
function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no response within ${timeoutMs} ms`;
  }
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  const code = cause?.code;
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ETIMEDOUT: 'connection timed out',
  };
  if (code !== undefined) return `${reasons[code] ?? cause?.message ?? 'request failed'} (${code})`;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
