import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../core/engine.ts';
import { requireAccount } from '../../core/auth/account-service.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { requireObjectBody, rejectUnknownKeys } from '../json-body.ts';
import { rejectQuery } from '../parse-query.ts';
import { authOf, setSessionCookie } from '../session.ts';

const TOKEN_ID = /^[A-Za-z0-9_-]{20}$/;

/** Password change and reset, API tokens: /api/auth/password, /api/auth/reset-password, /api/auth/tokens. */
export function registerAccountRoutes(app: FastifyInstance, engine: Engine): void {
  const { accounts, config } = engine;

  app.post('/api/auth/password', async (req, reply) => {
    rejectQuery(req.query);
    const body = requireObjectBody(req.body);
    rejectUnknownKeys(body, ['currentPassword', 'newPassword']);
    const ctx = await authOf(req, accounts);
    if (ctx === null) throw new StrongboxError('ERR_UNAUTHENTICATED');
    const session = await accounts.passwords.change(ctx, body.currentPassword, body.newPassword, { ip: req.ip, requestId: String(req.id) });
    // A privilege change: this session continues under a new token, every other one ended.
    setSessionCookie(reply, session.token, config.auth.sessionTtl);
    return { token: session.token, csrfToken: accounts.csrfToken(session.tokenHash) };
  });

  app.post('/api/auth/reset-password', async (req, reply) => {
    rejectQuery(req.query);
    const body = requireObjectBody(req.body);
    rejectUnknownKeys(body, ['token', 'password']);
    await accounts.passwords.reset(body.token, body.password, { ip: req.ip, requestId: String(req.id) });
    return reply.code(204).send();
  });

  app.post('/api/auth/tokens', async (req, reply) => {
    rejectQuery(req.query);
    const body = requireObjectBody(req.body);
    rejectUnknownKeys(body, ['name', 'scopes', 'expires']);
    const accountId = requireAccount(await authOf(req, accounts));
    const created = await accounts.tokens.create(accountId, body);
    await accounts.audit({ type: 'auth.token.created', accountId, ip: req.ip, requestId: String(req.id), detail: { tokenId: created.id, scopes: created.scopes.length } });
    return reply.code(201).send(created);
  });

  app.get('/api/auth/tokens', async (req) => {
    rejectQuery(req.query);
    const accountId = requireAccount(await authOf(req, accounts));
    return { items: await accounts.tokens.list(accountId) };
  });

  app.delete<{ Params: { id: string } }>('/api/auth/tokens/:id', async (req, reply) => {
    rejectQuery(req.query);
    const accountId = requireAccount(await authOf(req, accounts));
    if (!TOKEN_ID.test(req.params.id) || !(await accounts.tokens.revoke(accountId, req.params.id))) {
      throw new StrongboxError('ERR_NOT_FOUND', 'The token was not found.');
    }
    await accounts.audit({ type: 'auth.token.revoked', accountId, ip: req.ip, requestId: String(req.id), detail: { tokenId: req.params.id } });
    return reply.code(204).send();
  });
}
