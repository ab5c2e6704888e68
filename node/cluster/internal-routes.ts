/**
 * The internal API other nodes call on this node's ingester (FORMAT.md): push a shard of a write, and
 * query the ingester's head for one tenant. The tenant comes from X-Scope-OrgID as set by the calling
 * node, never from end-user auth: keep these routes on a private network.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Querier } from '../../query/querier/queryable.ts';
import type { PushResult, PushSeries } from '../ingester/ingester.ts';
import type { TenantLimits } from '../ingester/config.ts';
import { uncompressSnappy } from '../remote/snappy.ts';
import { decodeWriteRequest } from '../remote/write-request-decoder.ts';
import { writeDecodeCaches } from '../api/push-routes.ts';
import { ClusterError } from './errors.ts';
import { decodeLimits, decodeQuery, encodeSelectResponse, flattenLabels, LIMITS_HEADER } from './wire.ts';

export interface InternalRoutesDeps {
  /** The local ingester's push (resolves once the WAL has the samples). */
  push(tenant: string, series: readonly PushSeries[], limits: TenantLimits): Promise<PushResult>;
  /** The local ingester's head for a tenant. */
  querier(tenant: string): Querier;
  /** Largest uncompressed internal push. */
  maxUncompressedBytes: number;
}

export const INTERNAL_PATHS = {
  push: '/internal/push',
  select: '/internal/select',
  series: '/internal/series',
  labelNames: '/internal/label-names',
  labelValues: '/internal/label-values',
} as const;

function tenantOf(req: FastifyRequest): string {
  const t = req.headers['x-scope-orgid'];
  if (typeof t !== 'string' || t === '') throw new ClusterError('CLUSTER_BAD_REQUEST', 'internal request without X-Scope-OrgID');
  return t;
}

export function registerInternalRoutes(app: FastifyInstance, deps: InternalRoutesDeps): void {
  // The public push route's caches (see writeDecodeCaches): replicas get the same series in every request, so
  // known series skip label decoding and come back as the same arrays, found again by the ingester by id.
  const { interner, labelsCache } = writeDecodeCaches(app);
  app.post(INTERNAL_PATHS.push, async (req, reply) => {
    const tenant = tenantOf(req);
    if (!(req.body instanceof Uint8Array)) throw new ClusterError('CLUSTER_BAD_REQUEST', 'internal push body must be a snappy-compressed WriteRequest');
    const decoded = decodeWriteRequest(uncompressSnappy(req.body, deps.maxUncompressedBytes), { interner, labelsCache });
    const result = await deps.push(tenant, decoded.series, decodeLimits(req.headers[LIMITS_HEADER]));
    return reply.type('application/json').send(JSON.stringify(result));
  });

  app.post(INTERNAL_PATHS.select, async (req, reply) => {
    const q = decodeQuery(req.body);
    const series = await deps.querier(tenantOf(req)).select(q.matchers, { start: q.start, end: q.end });
    return reply.type('application/octet-stream').send(encodeSelectResponse(series));
  });

  app.post(INTERNAL_PATHS.series, async (req) => {
    const q = decodeQuery(req.body);
    const ls = await deps.querier(tenantOf(req)).series(q.matchers, { start: q.start, end: q.end });
    return { series: ls.map(flattenLabels) };
  });

  app.post(INTERNAL_PATHS.labelNames, async (req) => {
    const q = decodeQuery(req.body);
    return { values: await deps.querier(tenantOf(req)).labelNames(q.matchers, { start: q.start, end: q.end }) };
  });

  app.post(INTERNAL_PATHS.labelValues, async (req) => {
    const q = decodeQuery(req.body);
    if (q.name === undefined) throw new ClusterError('CLUSTER_BAD_REQUEST', 'internal label-values query without "name"');
    return { values: await deps.querier(tenantOf(req)).labelValues(q.name, q.matchers, { start: q.start, end: q.end }) };
  });
}
