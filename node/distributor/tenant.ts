/**
 * Tenant resolution for every HTTP request. Three modes:
 *
 * - `none`: single-tenant. Every request belongs to `anonymousTenant`
 *   ("anonymous"); X-Scope-OrgID and Authorization are ignored.
 * - `header`: trust X-Scope-OrgID as Cortex and Mimir do (put an auth proxy in
 *   front). Missing header → 401, invalid tenant ID → 400.
 * - `tokens`: API tokens map to tenants. The token is sent as
 *   `Authorization: Bearer <token>` or as the basic-auth password (the
 *   basic-auth username is ignored, so any client that can only do basic auth
 *   works). The config stores only sha256 hex digests of tokens. Unknown or
 *   missing token → 401. If the request also carries X-Scope-OrgID it must
 *   name the token's tenant (401 otherwise), which catches misconfigured
 *   clients instead of silently writing to another tenant.
 *
 * Make a token and its digest:
 *   node -e "const c=require('node:crypto');const t=c.randomBytes(32).toString('base64url');console.log(t, c.createHash('sha256').update(t).digest('hex'))"
 * or the digest of an existing token:
 *   node -e "console.log(require('node:crypto').createHash('sha256').update(process.argv[1]).digest('hex'))" 'my-token'
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { DistributorError } from './errors.ts';

/** Cortex/Mimir limit on tenant ID length. */
export const MAX_TENANT_ID_LENGTH = 150;

/** Names that collide with object-store layout (Cortex) and are never valid tenants. */
export const RESERVED_TENANT_IDS: ReadonlySet<string> = new Set(['__markers__', 'user-index.json.gz']);

const TENANT_ID_RE = /^[a-zA-Z0-9!\-_.*'()]+$/;

export type AuthConfig =
  | {
      readonly mode: 'none';
      /**
       * Tenant every request belongs to.
       * @default "anonymous"
       */
      readonly anonymousTenant?: string;
    }
  | {
      readonly mode: 'header';
      /**
       * Header carrying the tenant ID (matched case-insensitively).
       * @default "X-Scope-OrgID"
       */
      readonly header?: string;
    }
  | {
      readonly mode: 'tokens';
      /** One entry per token; a tenant may have several tokens (rotation). */
      readonly tokens: readonly { readonly tenant: string; readonly sha256: string }[];
    };

export type RequestHeaders = Record<string, string | string[] | undefined>;

/** Returns null when valid, else the reason (for messages and tests). */
export function tenantIdProblem(id: string): string | null {
  if (id.length === 0) return 'tenant ID is empty';
  if (id.length > MAX_TENANT_ID_LENGTH) return `tenant ID is longer than ${MAX_TENANT_ID_LENGTH} characters`;
  if (id === '.' || id === '..') return 'tenant ID must not be "." or ".."';
  if (!TENANT_ID_RE.test(id)) return "tenant ID may only contain letters, digits and ! - _ . * ' ( )";
  if (RESERVED_TENANT_IDS.has(id)) return 'tenant ID is reserved';
  return null;
}

/** Throws DistributorError TENANT_ID_INVALID (400) for an invalid tenant ID. */
export function validateTenantId(id: string): string {
  const problem = tenantIdProblem(id);
  if (problem !== null) throw new DistributorError('TENANT_ID_INVALID', `Invalid tenant ID ${JSON.stringify(truncate(id))}: ${problem}`);
  return id;
}

/** sha256 hex digest of a token, as stored in AuthConfig tokens. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}

/** Case-insensitive single header value; repeated headers must agree. */
function header(headers: RequestHeaders, name: string): string | undefined {
  let v = headers[name];
  if (v === undefined) {
    for (const k of Object.keys(headers)) {
      if (k.toLowerCase() === name) {
        v = headers[k];
        break;
      }
    }
  }
  if (Array.isArray(v)) {
    const distinct = [...new Set(v)];
    if (distinct.length > 1) throw new DistributorError('TENANT_ID_INVALID', `Header ${name} given ${distinct.length} different values`);
    return distinct[0];
  }
  return v;
}

export class TenantResolver {
  readonly #cfg: AuthConfig;
  readonly #anonymous: string;
  readonly #header: string;
  readonly #tokens: { tenant: string; digest: Buffer }[];

  /** Throws TypeError for an invalid configuration (bad mode, invalid tenant, malformed digest). */
  constructor(cfg: AuthConfig) {
    this.#cfg = cfg;
    this.#anonymous = 'anonymous';
    this.#header = 'x-scope-orgid';
    this.#tokens = [];
    switch (cfg.mode) {
      case 'none':
        this.#anonymous = cfg.anonymousTenant ?? 'anonymous';
        if (tenantIdProblem(this.#anonymous) !== null) throw new TypeError(`Invalid anonymousTenant ${JSON.stringify(this.#anonymous)}: ${tenantIdProblem(this.#anonymous)}`);
        break;
      case 'header':
        this.#header = (cfg.header ?? 'X-Scope-OrgID').toLowerCase();
        break;
      case 'tokens':
        if (!Array.isArray(cfg.tokens)) throw new TypeError('Auth mode "tokens" needs a tokens list');
        for (const [i, t] of cfg.tokens.entries()) {
          const problem = tenantIdProblem(t.tenant ?? '');
          if (problem !== null) throw new TypeError(`Invalid tenant in auth token ${i}: ${problem}`);
          if (typeof t.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(t.sha256)) {
            throw new TypeError(`Auth token ${i} of tenant ${JSON.stringify(t.tenant)} must give sha256 as 64 hex digits`);
          }
          this.#tokens.push({ tenant: t.tenant, digest: Buffer.from(t.sha256, 'hex') });
        }
        break;
      default:
        throw new TypeError(`Unknown auth mode: ${JSON.stringify((cfg as { mode: unknown }).mode)}`);
    }
  }

  get mode(): AuthConfig['mode'] {
    return this.#cfg.mode;
  }

  /**
   * Returns the tenant of a request. Throws DistributorError: TENANT_MISSING
   * (401), TENANT_UNAUTHORIZED (401) or TENANT_ID_INVALID (400).
   */
  resolve(headers: RequestHeaders): string {
    switch (this.#cfg.mode) {
      case 'none':
        return this.#anonymous;
      case 'header': {
        const id = header(headers, this.#header);
        if (id === undefined || id === '') throw new DistributorError('TENANT_MISSING', `No tenant ID: the ${this.#cfg.header ?? 'X-Scope-OrgID'} header is missing`);
        return validateTenantId(id);
      }
      case 'tokens':
        return this.#fromToken(headers);
    }
  }

  #fromToken(headers: RequestHeaders): string {
    const token = bearerOrBasicPassword(header(headers, 'authorization'));
    if (token === null) throw new DistributorError('TENANT_MISSING', 'No API token: send Authorization: Bearer <token> or basic auth with the token as password');
    const digest = createHash('sha256').update(token, 'utf8').digest();
    // Compare against every entry without stopping early, so timing does not reveal which entry matched.
    let tenant: string | null = null;
    for (const t of this.#tokens) {
      if (timingSafeEqual(t.digest, digest) && tenant === null) tenant = t.tenant;
    }
    if (tenant === null) throw new DistributorError('TENANT_UNAUTHORIZED', 'Invalid API token');
    const claimed = header(headers, 'x-scope-orgid');
    if (claimed !== undefined && claimed !== '' && claimed !== tenant) {
      throw new DistributorError('TENANT_UNAUTHORIZED', `X-Scope-OrgID ${JSON.stringify(truncate(claimed))} does not match the tenant of the API token`);
    }
    return tenant;
  }
}

/** Extracts the token from "Bearer <t>" or "Basic base64(user:t)"; null when absent or unusable. */
function bearerOrBasicPassword(auth: string | undefined): string | null {
  if (auth === undefined) return null;
  const sp = auth.indexOf(' ');
  if (sp < 0) return null;
  const scheme = auth.slice(0, sp).toLowerCase();
  const rest = auth.slice(sp + 1).trim();
  if (scheme === 'bearer') return rest === '' ? null : rest;
  if (scheme === 'basic') {
    const decoded = Buffer.from(rest, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const password = decoded.slice(colon + 1);
    return password === '' ? null : password;
  }
  return null;
}
