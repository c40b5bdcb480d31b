import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Engine } from '../../core/engine.ts';
import { requireAccount, type AuthContext } from '../../core/auth/account-service.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { requireObjectBody, rejectUnknownKeys } from '../json-body.ts';
import { parseQuery, rejectQuery } from '../parse-query.ts';
import { authOf, setSessionCookie } from '../session.ts';

const ACCOUNT_ID = /^[A-Za-z0-9_-]{20}$/;
interface IdParams { id: string }

/** Admin-only: GET /api/admin/accounts, PATCH /api/admin/accounts/:id, unlock, reset-password. */
export function registerAdminAccountRoutes(app: FastifyInstance, engine: Engine): void {
  const { accounts, config } = engine;

  async function requireAdmin(req: FastifyRequest): Promise<AuthContext> {
    const ctx = await authOf(req, accounts);
    requireAccount(ctx);
    if (ctx!.caller.role !== 'admin') throw new StrongboxError('ERR_FORBIDDEN');
    return ctx!;
  }
  function idOf(req: FastifyRequest<{ Params: IdParams }>): string {
    if (!ACCOUNT_ID.test(req.params.id)) throw new StrongboxError('ERR_NOT_FOUND', 'The account was not found.');
    return req.params.id;
  }

  app.get('/api/admin/accounts', async (req) => {
    await requireAdmin(req);
    const q = parseQuery(req.query, ['page', 'perPage', 'email', 'role', 'disabled']);
    const int = (name: string, fallback: number, max: number) => {
      const raw = q[name];
      if (raw === undefined) return fallback;
      if (!/^[1-9][0-9]{0,8}$/.test(raw) || Number(raw) > max) {
        throw new StrongboxError('ERR_BAD_QUERY', `The query parameter "${name}" must be a whole number from 1 to ${max}.`, { param: name });
      }
      return Number(raw);
    };
    const perPage = int('perPage', config.limits.perPageDefault, config.limits.perPageMax);
    const page = int('page', 1, Math.floor(Number.MAX_SAFE_INTEGER / perPage));
    if (q.email !== undefined && q.email.length > 254) throw new StrongboxError('ERR_BAD_QUERY', 'The email filter is too long.', { param: 'email' });
    if (q.disabled !== undefined && q.disabled !== 'true' && q.disabled !== 'false') {
      throw new StrongboxError('ERR_BAD_QUERY', 'The query parameter "disabled" must be true or false.', { param: 'disabled' });
    }
    return accounts.admin.list({
      page, perPage, email: q.email, role: q.role, disabled: q.disabled === undefined ? undefined : q.disabled === 'true',
    });
  });

  app.patch<{ Params: IdParams }>('/api/admin/accounts/:id', async (req, reply) => {
    rejectQuery(req.query);
    const ctx = await requireAdmin(req);
    const body = requireObjectBody(req.body);
    rejectUnknownKeys(body, ['role', 'disabled']);
    const fields: Record<string, string> = {};
    if (body.role !== undefined && typeof body.role !== 'string') fields.role = 'must be a string';
    if (body.disabled !== undefined && typeof body.disabled !== 'boolean') fields.disabled = 'must be true or false';
    if (Object.keys(fields).length > 0) throw new StrongboxError('ERR_VALIDATION', undefined, { fields });
    const id = idOf(req);
    const account = await accounts.admin.change(id, body as { role?: string; disabled?: boolean }, { id: ctx.caller.id, keepSessionHash: ctx.sessionHash });
    if (id === ctx.caller.id && ctx.sessionHash !== null && account.role !== ctx.caller.role) {
      // An admin who changed their own role: a new token for the changed privilege.
      const rotated = await accounts.sessions.rotate(ctx.sessionHash);
      if (rotated) setSessionCookie(reply, rotated.token, config.auth.sessionTtl);
      return { account, token: rotated?.token, csrfToken: rotated ? accounts.csrfToken(rotated.tokenHash) : undefined };
    }
    return { account };
  });

  app.post<{ Params: IdParams }>('/api/admin/accounts/:id/unlock', async (req, reply) => {
    rejectQuery(req.query);
    const ctx = await requireAdmin(req);
    await accounts.admin.unlock(idOf(req), ctx.caller.id);
    return reply.code(204).send();
  });

  app.post<{ Params: IdParams }>('/api/admin/accounts/:id/reset-password', async (req, reply) => {
    rejectQuery(req.query);
    const ctx = await requireAdmin(req);
    const out = await accounts.passwords.issueReset(idOf(req), ctx.caller.id);
    return reply.code(201).send(out);
  });
}
