/**
 * Remote read: POST /api/v1/read with a snappy protobuf ReadRequest; answered
 * with a SAMPLES ReadResponse (Prometheus accepts it whatever it prefers).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StoreError } from '../core/errors.ts';
import type { Querier } from '../../query/querier/queryable.ts';
import { compileMatchers, decodeReadRequest } from '../remote/read-request.ts';
import { READ_RESPONSE_HEADERS, encodeReadResponse, type QueryResultInput } from '../remote/read-response.ts';
import { compressSnappy, uncompressSnappy } from '../remote/snappy.ts';

export interface RemoteReadDeps {
  tenantOf(req: FastifyRequest): string;
  querierFor(tenant: string): Querier;
  maxUncompressedBytes: number;
}

export function registerRemoteReadRoutes(app: FastifyInstance, deps: RemoteReadDeps): void {
  app.post('/api/v1/read', async (req: FastifyRequest, reply: FastifyReply) => {
    const tenant = deps.tenantOf(req);
    if (!(req.body instanceof Uint8Array)) throw new StoreError('BAD_DATA', 400, 'remote read body must be a snappy-compressed protobuf ReadRequest');
    const rr = decodeReadRequest(uncompressSnappy(req.body, deps.maxUncompressedBytes));
    const q = deps.querierFor(tenant);
    const results: QueryResultInput[] = [];
    for (const query of rr.queries) {
      let matchers;
      try {
        matchers = compileMatchers(query);
      } catch (err) {
        throw new StoreError('BAD_DATA', 400, `invalid matcher in remote read query: ${(err as Error).message}`);
      }
      const series = await q.select(matchers, { start: query.startMs, end: query.endMs });
      results.push({ series });
    }
    const body = compressSnappy(encodeReadResponse(results));
    void reply.code(200).headers(READ_RESPONSE_HEADERS).send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
}
