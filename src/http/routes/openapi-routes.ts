import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../core/engine.ts';
import { buildOpenApi } from '../openapi/build-openapi.ts';
import { rejectQuery } from '../parse-query.ts';

/** GET /api/openapi.json, built once: the config (and so the collections) is frozen for the server's life. */
export function registerOpenApiRoutes(app: FastifyInstance, engine: Engine): void {
  const doc = JSON.stringify(buildOpenApi(engine.config));
  app.get('/api/openapi.json', async (req, reply) => {
    rejectQuery(req.query);
    return reply.type('application/json; charset=utf-8').send(doc);
  });
}
