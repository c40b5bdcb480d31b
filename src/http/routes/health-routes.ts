import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../core/engine.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { rejectQuery } from '../parse-query.ts';

/** GET /api/health: 200 only when the database answers a trivial query. */
export function registerHealthRoutes(app: FastifyInstance, engine: Engine): void {
  app.get('/api/health', async (req) => {
    rejectQuery(req.query);
    try {
      await engine.db.kysely.selectFrom('_sb_accounts').select('id').limit(1).execute();
    } catch (err) {
      throw new StrongboxError('ERR_UNAVAILABLE', undefined, undefined, { cause: err });
    }
    return { status: 'ok' };
  });
}
