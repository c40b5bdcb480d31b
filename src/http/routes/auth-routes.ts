import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../core/engine.ts';
import { requireAccount } from '../../core/auth/account-service.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { requireObjectBody, rejectUnknownKeys } from '../json-body.ts';
import { rejectQuery } from '../parse-query.ts';
import { ANONYMOUS } from '../../core/caller.ts';
import { authOf, setSessionCookie, clearSessionCookie, tokenFromRequest, deviceCookieOf } from '../session.ts';

const SESSION_ID = /^[A-Za-z0-9_-]{20}$/;

/** POST /api/auth/register|login|logout, GET /api/auth/me, the session list. */
export function registerAuthRoutes(app: FastifyInstance, engine: Engine): void {
  const { accounts, config } = engine;

  app.post('/api/auth/register', async (req, reply) => {
    rejectQuery(req.query);
    if (!config.auth.register) throw new StrongboxError('ERR_REGISTRATION_DISABLED');
    const body = requireObjectBody(req.body);
    // `role` is not accepted here: a client can never choose its own role.
    rejectUnknownKeys(body, ['email', 'password']);
    const account = await accounts.register(body.email, body.password, { ip: req.ip, requestId: String(req.id) });
    return reply.code(201).send({ account });
  });

  app.post('/api/auth/login', async (req, reply) => {
    rejectQuery(req.query);
    const body = requireObjectBody(req.body);
    rejectUnknownKeys(body, ['email', 'password']);
    const r = await accounts.login(body.email, body.password, {
      ip: req.ip, requestId: String(req.id), userAgent: req.headers['user-agent'] ?? null, deviceCookie: deviceCookieOf(req),
    });
    setSessionCookie(reply, r.token, config.auth.sessionTtl, r.deviceCookie);
    return reply.code(200).send({ token: r.token, account: r.account, csrfToken: r.csrfToken, mfaRequired: r.mfaRequired });
  });

  app.post('/api/auth/logout', async (req, reply) => {
    rejectQuery(req.query);
    // Idempotent: a stale or unknown token still gets its cookie cleared.
    const token = tokenFromRequest(req);
    if (token !== null) await accounts.logout(token, { ip: req.ip, requestId: String(req.id) });
    clearSessionCookie(reply);
    return reply.code(204).send();
  });

  app.get('/api/auth/me', async (req) => {
    rejectQuery(req.query);
    const ctx = await authOf(req, accounts);
    const account = await accounts.me(ctx === null || ctx.mfaPending ? ANONYMOUS : ctx.caller);
    // A page loaded with the cookie learns its CSRF token here.
    return ctx?.sessionHash ? { account, csrfToken: accounts.csrfToken(ctx.sessionHash) } : { account };
  });

  app.get('/api/auth/sessions', async (req) => {
    rejectQuery(req.query);
    const ctx = await authOf(req, accounts);
    return { items: await accounts.listSessions(requireCtx(ctx)) };
  });

  app.delete<{ Params: { id: string } }>('/api/auth/sessions/:id', async (req, reply) => {
    rejectQuery(req.query);
    const ctx = requireCtx(await authOf(req, accounts));
    const accountId = requireAccount(ctx);
    if (!SESSION_ID.test(req.params.id) || !(await accounts.sessions.revoke(accountId, req.params.id))) {
      throw new StrongboxError('ERR_NOT_FOUND', 'The session was not found.');
    }
    await accounts.audit({ type: 'auth.session.revoked', accountId, ip: req.ip, requestId: String(req.id), detail: { which: 'one' } });
    return reply.code(204).send();
  });

  app.post('/api/auth/sessions/revoke-others', async (req) => {
    rejectQuery(req.query);
    const ctx = requireCtx(await authOf(req, accounts));
    const accountId = requireAccount(ctx);
    const revoked = await accounts.sessions.revokeOthers(accountId, ctx.sessionHash);
    await accounts.audit({ type: 'auth.session.revoked', accountId, ip: req.ip, requestId: String(req.id), detail: { which: 'others', count: revoked } });
    return { revoked };
  });
}

function requireCtx<T>(ctx: T | null): T {
  if (ctx === null) throw new StrongboxError('ERR_UNAUTHENTICATED');
  return ctx;
}
