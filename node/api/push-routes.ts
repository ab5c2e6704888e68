/**
 * Remote write: POST /api/v1/push (Cortex's path) and /api/v1/write (Prometheus's).
 * Body: snappy block around a protobuf WriteRequest (remote write 1.0).
 * 204 when everything was stored; 400 naming what was rejected (the rest of the
 * batch is stored); 429 over the rate limit; 413 too large; 5xx only for our faults.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StoreError } from '../core/errors.ts';
import { uncompressSnappy } from '../remote/snappy.ts';
import { decodeWriteRequest } from '../remote/write-request-decoder.ts';
import { StringInterner } from '../remote/proto-reader.ts';
import { SeriesLabelsCache } from '../remote/series-labels-cache.ts';
import type { Distributor } from '../distributor/distributor.ts';

export interface PushRoutesDeps {
  tenantOf(req: FastifyRequest): string;
  distributor: Distributor;
  /** Largest uncompressed WriteRequest accepted. @default 67108864 */
  maxUncompressedBytes: number;
  onReceived?: (tenant: string, samples: number, metadata: number) => void;
}

/** Long-lived decoding state for WriteRequests received by one node. */
export interface WriteDecodeCaches {
  readonly interner: StringInterner;
  readonly labelsCache: SeriesLabelsCache;
}

const CACHES_DECORATOR = 'frankWriteDecodeCaches';

/**
 * The one set of WriteRequest decoding caches of a server, created on first use. The public push route and
 * the cluster's internal push route must share it: the ingester remembers series by SeriesLabelsCache entry
 * id (confirmed by array identity), so two caches handing out the same ids for different series would make
 * it miss and re-hash labels on every push.
 */
export function writeDecodeCaches(app: FastifyInstance): WriteDecodeCaches {
  if (app.hasDecorator(CACHES_DECORATOR)) return (app as unknown as Record<string, WriteDecodeCaches>)[CACHES_DECORATOR]!;
  const caches: WriteDecodeCaches = {
    // 2^17 slots (1 MiB of pointers): enough for the label values of ~100k active series.
    interner: new StringInterner(17),
    // Known series (same Label bytes as before) skip label decoding and come back as the same arrays.
    labelsCache: new SeriesLabelsCache(),
  };
  app.decorate(CACHES_DECORATOR, caches);
  return caches;
}

export function registerPushRoutes(app: FastifyInstance, deps: PushRoutesDeps): void {
  const { interner, labelsCache } = writeDecodeCaches(app);
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const tenant = deps.tenantOf(req);
    const body = req.body;
    if (!(body instanceof Uint8Array)) {
      throw new StoreError('BAD_DATA', 400, 'remote write body must be a snappy-compressed protobuf WriteRequest (Content-Type: application/x-protobuf)');
    }
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'snappy') {
      throw new StoreError('BAD_DATA', 400, `unsupported Content-Encoding ${JSON.stringify(encoding)}: remote write requires "snappy"`);
    }
    const ctype = req.headers['content-type'] ?? '';
    if (ctype.includes('proto=io.prometheus.write.v2.Request')) {
      throw new StoreError('UNSUPPORTED_MEDIA_TYPE', 415, 'remote write 2.0 (io.prometheus.write.v2.Request) is not supported: send remote write 1.0 (prometheus.WriteRequest)');
    }
    const raw = uncompressSnappy(body, deps.maxUncompressedBytes);
    const decoded = decodeWriteRequest(raw, { interner, labelsCache });
    deps.onReceived?.(tenant, decoded.sampleCount, decoded.metadata.length);
    const outcome = await deps.distributor.push(tenant, decoded, body);
    if (outcome.error) throw outcome.error;
    void reply.code(204).send();
  };
  app.post('/api/v1/push', handler);
  app.post('/api/v1/write', handler);
}
