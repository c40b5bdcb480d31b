import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../core/engine.ts';
import { rejectQuery } from '../parse-query.ts';

/** GET /api/health: 200 only when the database answers a trivial query. */
export function registerHealthRoutes(app: FastifyInstance, engine: Engine): void {
  app.get('/api/health', async (req) => {
    rejectQuery(req.query);
    await engine.health();
    return { status: 'ok' };
  });
}
