/**
 * buildServer(): the fastify instance with every API surface registered as a plugin.
 * It never listens, so tests can inject() and main can listen().
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { apiErrorHandler } from './error-handler.ts';

export interface ServerOptions {
  /** Largest accepted request body in bytes (remote write is snappy-compressed). @default 10485760 */
  bodyLimitBytes: number;
  logger: boolean;
}

export function buildServer(opts: ServerOptions): FastifyInstance {
  const app: FastifyInstance = Fastify({
    logger: opts.logger ? { level: 'info' } : false,
    bodyLimit: opts.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true },
  });

  // Remote write / read bodies are raw bytes (snappy + protobuf); never parse them as text.
  app.addContentTypeParser(['application/x-protobuf', 'application/octet-stream'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // Anything else unknown is also taken as bytes, so a wrong content type reaches the handler and gets a precise 400.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(body as string)) {
      const cur = out[k];
      if (cur === undefined) out[k] = v;
      else if (Array.isArray(cur)) cur.push(v);
      else out[k] = [cur, v];
    }
    done(null, out);
  });
  app.setErrorHandler(apiErrorHandler);
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ status: 'error', errorType: 'not_found', error: `no route for ${req.method} ${req.url.split('?')[0]}` });
  });
  return app;
}
