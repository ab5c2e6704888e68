/**
 * PromQL query API: /api/v1/query, /api/v1/query_range, /api/v1/format_query,
 * /api/v1/parse_query. Every query runs against the request tenant's Querier only.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Querier } from '../../query/querier/queryable.ts';
import { formatExpr, parseExpr } from '../../query/parser/index.ts';
import { Engine, toPrometheusJson } from '../../query/engine/index.ts';
import { badData, param, parseDuration, parseTime } from './params.ts';

export interface QueryRoutesDeps {
  tenantOf(req: FastifyRequest): string;
  querierFor(tenant: string): Querier;
  engine: Engine;
  /** Largest number of points per series a range query may ask for. @default 11000 */
  maxPointsPerSeries: number;
}

/** Aborts the query when the client goes away before the answer is sent. */
function disconnectSignal(req: FastifyRequest, timeoutMs?: number): AbortSignal {
  const ac = new AbortController();
  const onClose = () => {
    if (!req.raw.complete || !req.raw.socket || req.raw.socket.destroyed) ac.abort(new Error('client disconnected'));
  };
  const socket = req.raw.socket;
  socket?.once('close', onClose);
  // Keep-alive sockets serve many requests: drop the listener once this one is answered.
  req.raw.once('close', () => socket?.removeListener('close', onClose));
  const signals = [ac.signal];
  if (timeoutMs !== undefined) signals.push(AbortSignal.timeout(timeoutMs));
  return signals.length === 1 ? ac.signal : AbortSignal.any(signals);
}

function requireQuery(req: FastifyRequest): string {
  const q = param(req.query, req.body, 'query');
  if (q === undefined || q === '') throw badData('invalid parameter "query": unknown position: parse error: no expression found in input');
  return q;
}

function timeoutOf(req: FastifyRequest): number | undefined {
  const t = param(req.query, req.body, 'timeout');
  return t === undefined ? undefined : parseDuration(t, 'timeout');
}

export function registerQueryRoutes(app: FastifyInstance, deps: QueryRoutesDeps): void {
  const instant = async (req: FastifyRequest) => {
    const tenant = deps.tenantOf(req);
    const query = requireQuery(req);
    const timeRaw = param(req.query, req.body, 'time');
    const time = timeRaw !== undefined && timeRaw !== '' ? parseTime(timeRaw, 'time') : Date.now();
    const res = await deps.engine.instantQuery(deps.querierFor(tenant), query, time, { signal: disconnectSignal(req, timeoutOf(req)) });
    return { status: 'success', data: toPrometheusJson(res), ...extras(res) };
  };
  app.get('/api/v1/query', instant);
  app.post('/api/v1/query', instant);

  const range = async (req: FastifyRequest) => {
    const tenant = deps.tenantOf(req);
    const query = requireQuery(req);
    const startRaw = param(req.query, req.body, 'start');
    const endRaw = param(req.query, req.body, 'end');
    const stepRaw = param(req.query, req.body, 'step');
    if (startRaw === undefined) throw badData('invalid parameter "start": cannot parse "" to a valid timestamp');
    if (endRaw === undefined) throw badData('invalid parameter "end": cannot parse "" to a valid timestamp');
    if (stepRaw === undefined) throw badData('invalid parameter "step": cannot parse "" to a valid duration');
    const start = parseTime(startRaw, 'start');
    const end = parseTime(endRaw, 'end');
    const step = parseDuration(stepRaw, 'step');
    if (end < start) throw badData('invalid parameter "end": end timestamp must not be before start time');
    if (step <= 0) throw badData('invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer');
    if ((end - start) / step > deps.maxPointsPerSeries) {
      throw badData(`exceeded maximum resolution of ${deps.maxPointsPerSeries.toLocaleString('en-US')} points per timeseries. Try decreasing the query resolution (?step=XX)`);
    }
    const res = await deps.engine.rangeQuery(deps.querierFor(tenant), query, start, end, step, { signal: disconnectSignal(req, timeoutOf(req)) });
    return { status: 'success', data: toPrometheusJson(res), ...extras(res) };
  };
  app.get('/api/v1/query_range', range);
  app.post('/api/v1/query_range', range);

  const format = async (req: FastifyRequest) => ({ status: 'success', data: formatExpr(parseExpr(requireQuery(req))) });
  app.get('/api/v1/format_query', format);
  app.post('/api/v1/format_query', format);

  const parse = async (req: FastifyRequest) => ({ status: 'success', data: parseExpr(requireQuery(req)) });
  app.get('/api/v1/parse_query', parse);
  app.post('/api/v1/parse_query', parse);
}

function extras(res: { warnings?: string[]; infos?: string[] }): { warnings?: string[]; infos?: string[] } {
  const out: { warnings?: string[]; infos?: string[] } = {};
  if (res.warnings?.length) out.warnings = res.warnings;
  if (res.infos?.length) out.infos = res.infos;
  return out;
}
