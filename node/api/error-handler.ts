/**
 * Turns any error into Prometheus's API error body
 * {"status":"error","errorType":"...","error":"..."} with a matching status.
 * Our own faults (anything that is not a StoreError or a client error) are 500s.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isStoreError } from '../core/errors.ts';

export interface ErrorLike {
  httpStatus?: number;
  errorType?: string;
  statusCode?: number;
  message: string;
  code?: string;
}

export function errorStatus(err: ErrorLike): { status: number; errorType: string } {
  if (isStoreError(err)) return { status: err.httpStatus, errorType: err.errorType };
  if (typeof err.httpStatus === 'number') return { status: err.httpStatus, errorType: err.errorType ?? 'internal' };
  const sc = err.statusCode;
  if (typeof sc === 'number' && sc >= 400 && sc < 500) {
    // fastify's own client errors: body too large (413), bad content type (415), bad JSON (400).
    return { status: sc, errorType: 'bad_data' };
  }
  return { status: 500, errorType: 'internal' };
}

export function apiErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const { status, errorType } = errorStatus(err as unknown as ErrorLike);
  if (status >= 500) req.log.error({ err }, 'request failed');
  let message = err.message;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `request body too large: limit is ${req.routeOptions.bodyLimit ?? 'configured'} bytes`;
  // Remote write clients read plain text; the query API reads Prometheus JSON.
  if (req.url.startsWith('/api/v1/push') || req.url.startsWith('/api/v1/write')) {
    void reply.code(status).type('text/plain; charset=utf-8').send(message + '\n');
    return;
  }
  void reply.code(status).send({ status: 'error', errorType, error: message });
}
