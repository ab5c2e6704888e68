/**
 * Metadata read API: /api/v1/series, /api/v1/labels, /api/v1/label/<name>/values,
 * answered from the tenant's Querier in Prometheus's JSON format.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Matcher } from '../../query/model/matchers.ts';
import { labelsToObject } from '../../query/model/labels.ts';
import type { Querier, SelectHints } from '../../query/querier/queryable.ts';
import { parseMetricSelector } from '../../query/parser/index.ts';
import { MAX_TIME_MS, MIN_TIME_MS, badData, param, paramList, parseTime } from './params.ts';

export interface ReadRoutesDeps {
  tenantOf(req: FastifyRequest): string;
  querierFor(tenant: string): Querier;
  /** Upper bound on returned series/values (0 = none), as Prometheus's limit= param. */
}

function hints(req: FastifyRequest): SelectHints {
  const startRaw = param(req.query, req.body, 'start');
  const endRaw = param(req.query, req.body, 'end');
  const start = startRaw !== undefined ? parseTime(startRaw, 'start') : MIN_TIME_MS;
  const end = endRaw !== undefined ? parseTime(endRaw, 'end') : MAX_TIME_MS;
  if (end < start) throw badData('invalid parameter "end": end timestamp must not be before start time');
  return { start, end };
}

function matcherSets(req: FastifyRequest): Matcher[][] {
  return paramList(req.query, req.body, 'match[]').map((m) => {
    try {
      return parseMetricSelector(m);
    } catch (err) {
      throw badData(`invalid parameter "match[]": ${(err as Error).message}`);
    }
  });
}

function limitOf(req: FastifyRequest): number {
  const raw = param(req.query, req.body, 'limit');
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw badData(`invalid parameter "limit": cannot parse "${raw}" to a valid limit`);
  return n;
}

function limited<T>(items: T[], limit: number): { data: T[]; warnings?: string[] } {
  if (limit > 0 && items.length > limit) return { data: items.slice(0, limit), warnings: ['results truncated due to limit'] };
  return { data: items };
}

async function unionOver<T>(sets: Matcher[][], fn: (ms: Matcher[]) => Promise<T[]>, key: (t: T) => string): Promise<T[]> {
  if (sets.length === 0) return fn([]);
  const seen = new Map<string, T>();
  for (const ms of sets) for (const t of await fn(ms)) seen.set(key(t), t);
  return [...seen.values()];
}

export function registerReadRoutes(app: FastifyInstance, deps: ReadRoutesDeps): void {
  const series = async (req: FastifyRequest) => {
    const tenant = deps.tenantOf(req);
    const sets = matcherSets(req);
    if (sets.length === 0) throw badData('no match[] parameter provided');
    const h = hints(req);
    const q = deps.querierFor(tenant);
    const all = await unionOver(sets, (ms) => q.series(ms, h), (ls) => JSON.stringify(ls));
    const { data, warnings } = limited(all.map(labelsToObject), limitOf(req));
    return { status: 'success', data, ...(warnings ? { warnings } : {}) };
  };
  app.get('/api/v1/series', series);
  app.post('/api/v1/series', series);

  const labels = async (req: FastifyRequest) => {
    const tenant = deps.tenantOf(req);
    const h = hints(req);
    const q = deps.querierFor(tenant);
    const names = await unionOver(matcherSets(req), (ms) => q.labelNames(ms, h), (s) => s);
    const { data, warnings } = limited(names.sort(), limitOf(req));
    return { status: 'success', data, ...(warnings ? { warnings } : {}) };
  };
  app.get('/api/v1/labels', labels);
  app.post('/api/v1/labels', labels);

  app.get<{ Params: { name: string } }>('/api/v1/label/:name/values', async (req) => {
    const tenant = deps.tenantOf(req);
    let name = req.params.name;
    // Prometheus 3 accepts U__-escaped UTF-8 label names in the path.
    if (name.startsWith('U__')) name = unescapeLabelName(name);
    const h = hints(req);
    const q = deps.querierFor(tenant);
    const values = await unionOver(matcherSets(req), (ms) => q.labelValues(name, ms, h), (s) => s);
    const { data, warnings } = limited(values.sort(), limitOf(req));
    return { status: 'success', data, ...(warnings ? { warnings } : {}) };
  });
}

function unescapeLabelName(s: string): string {
  return s.slice(3).replace(/_([0-9a-fA-F]+)_|__/g, (m, hex: string | undefined) => (hex ? String.fromCodePoint(parseInt(hex, 16)) : '_'));
}
