/**
 * Operational endpoints: /ready, /metrics, build info, metadata, per-tenant
 * stats, WAL and store inspection for frankctl.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { MetadataStore } from '../distributor/metadata-store.ts';
import { badData, param, parseTime } from './params.ts';

export interface AdminRoutesDeps {
  tenantOf(req: FastifyRequest): string;
  isReady(): { ready: boolean; reason?: string };
  registry: Registry;
  metadata: MetadataStore;
  version: string;
  /** Per-tenant series counts of the local ingester. */
  seriesPerTenant(): Record<string, number>;
  /** Samples ingested per tenant since start. */
  samplesPerTenant(): Record<string, number>;
  walStats(): Promise<unknown>;
  /** Long-term store status: backends, flusher and compactor counters, cache use (frankctl store). */
  storeStats(): unknown;
  /** The tenant's block objects with data in [start, end] (frankctl blocks); [] without a long-term store. */
  storeBlocks(tenant: string, start: number, end: number): Promise<unknown[]>;
  config(): unknown;
}

export function registerAdminRoutes(app: FastifyInstance, deps: AdminRoutesDeps): void {
  app.get('/ready', async (_req, reply) => {
    const r = deps.isReady();
    if (r.ready) return reply.code(200).type('text/plain').send('ready\n');
    return reply.code(503).type('text/plain').send(`not ready: ${r.reason ?? 'starting'}\n`);
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await deps.registry.metrics();
    return reply.type(deps.registry.contentType).send(body);
  });

  app.get('/api/v1/status/buildinfo', async () => ({
    status: 'success',
    data: { version: deps.version, revision: '', branch: '', buildUser: '', buildDate: '', goVersion: `node ${process.version}` },
  }));

  app.get('/api/v1/metadata', async (req) => {
    const tenant = deps.tenantOf(req);
    const num = (name: string) => {
      const raw = param(req.query, undefined, name);
      if (raw === undefined) return undefined;
      const n = Number(raw);
      if (!Number.isInteger(n)) throw badData(`invalid parameter "${name}": cannot parse "${raw}" to a valid number`);
      return n;
    };
    const metric = param(req.query, undefined, 'metric');
    return { status: 'success', data: deps.metadata.query(tenant, { metric, limit: num('limit'), limitPerMetric: num('limit_per_metric') }) };
  });

  // Cortex's /api/v1/user_stats answers for the request's tenant only: tenancy is never crossed.
  app.get('/api/v1/user_stats', async (req) => {
    const tenant = deps.tenantOf(req);
    return { status: 'success', data: [{ tenant, series: deps.seriesPerTenant()[tenant] ?? 0, samplesIngested: deps.samplesPerTenant()[tenant] ?? 0 }] };
  });

  app.get('/admin/wal', async () => deps.walStats());
  app.get('/admin/store', async () => deps.storeStats());
  // The request's tenant's blocks only: like user_stats, never another tenant's.
  app.get('/admin/store/blocks', async (req) => {
    const tenant = deps.tenantOf(req);
    const rawStart = param(req.query, undefined, 'start');
    const rawEnd = param(req.query, undefined, 'end');
    const end = rawEnd === undefined ? Date.now() : parseTime(rawEnd, 'end');
    const start = rawStart === undefined ? end - 7 * 86_400_000 : parseTime(rawStart, 'start');
    if (end < start) throw badData('invalid parameter "end": end timestamp must not be before start time');
    return { tenant, start, end, blocks: await deps.storeBlocks(tenant, start, end) };
  });
  app.get('/config', async (_req, reply) => reply.type('application/json').send(JSON.stringify(deps.config(), redactSecrets, 2)));
}

function redactSecrets(key: string, value: unknown): unknown {
  return key === 'sha256' || key === 'secretAccessKey' ? '<redacted>' : value;
}
