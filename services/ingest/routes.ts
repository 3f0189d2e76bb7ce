import type { FastifyInstance } from 'fastify';
import { ShutdownError, requireBearer } from '../common/index.js';
import type { IngestService } from './service.js';

/**
 * HTTP API of the ingest service on the shared server:
 *   GET  /ingest/status   counters and per-partition lag
 *   POST /ingest/pause    hold consumption (admin: Bearer DRIFTLOOP_ADMIN_TOKEN)
 *   POST /ingest/resume   (admin)
 * `ingest` resolves the running service at request time: routes are added
 * before the server listens, the service starts after.
 */
export async function registerIngestRoutes(app: FastifyInstance, options: { ingest: () => IngestService | undefined; adminToken: string }): Promise<void> {
  const running = (): IngestService => {
    const service = options.ingest();
    if (!service) throw new ShutdownError('the ingest service is not running');
    return service;
  };
  const admin = { preHandler: requireBearer(options.adminToken) };

  app.get('/ingest/status', async () => {
    const service = running();
    return { ...service.stats(), partitions: service.lag() };
  });
  app.post('/ingest/pause', admin, async () => {
    running().pause();
    return { paused: true };
  });
  app.post('/ingest/resume', admin, async () => {
    running().resume();
    return { paused: running().stats().paused };
  });
}
