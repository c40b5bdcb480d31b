import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../core/engine.ts';
import { queryAudit } from '../../core/audit/audit-query.ts';
import { parseListQuery } from '../parse-query.ts';
import { callerOf } from '../session.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';

/** GET /api/admin/audit?filter=…&sort=seq|-seq&page=&perPage= (admins only; docs/audit.md). */
export function registerAdminAuditRoutes(app: FastifyInstance, engine: Engine): void {
  app.get('/api/admin/audit', async (req) => {
    const caller = await callerOf(req, engine.accounts);
    const q = parseListQuery(req.query, engine.config.limits);
    if (q.fields !== undefined || q.skipTotal) {
      throw new StrongboxError('ERR_BAD_QUERY', 'The audit API takes filter, sort, page and perPage only.');
    }
    return queryAudit(engine.db, engine.audit, caller, { filter: q.filter, sort: q.sort, page: q.page ?? 1, perPage: q.perPage ?? 30 });
  });
}
