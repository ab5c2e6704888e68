/** HTTP API of the flusher: `POST /ingester/flush` (Cortex's /flush, synchronous here). */
import type { FastifyInstance } from 'fastify';

export function registerFlushRoutes(app: FastifyInstance, deps: { flushAll: () => Promise<unknown> }): void {
  // 204 only once the store acknowledged every chunk; a failed write is a 503 (retry the call).
  app.post('/ingester/flush', async (_req, reply) => {
    await deps.flushAll();
    return reply.code(204).send();
  });
}
