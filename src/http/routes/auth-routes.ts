import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../core/engine.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { requireObjectBody, rejectUnknownKeys } from '../json-body.ts';
import { rejectQuery } from '../parse-query.ts';
import { callerOf, requestContext, setSessionCookie, clearSessionCookie, tokenFromRequest } from '../session.ts';

/** POST /api/auth/register|login|logout, GET /api/auth/me. */
export function registerAuthRoutes(app: FastifyInstance, engine: Engine): void {
  const { accounts, config } = engine;

  app.post('/api/auth/register', async (req, reply) => {
    rejectQuery(req.query);
    if (!config.auth.register) throw new StrongboxError('ERR_REGISTRATION_DISABLED');
    const body = requireObjectBody(req.body);
    // `role` is not accepted here: a client can never choose its own role.
    rejectUnknownKeys(body, ['email', 'password']);
    const account = await accounts.register(body.email as string, body.password as string, 'user', requestContext(req));
    return reply.code(201).send({ account });
  });

  app.post('/api/auth/login', async (req, reply) => {
    rejectQuery(req.query);
    const body = requireObjectBody(req.body);
    rejectUnknownKeys(body, ['email', 'password']);
    const { token, account } = await accounts.login(body.email, body.password, requestContext(req));
    setSessionCookie(reply, token, config.auth.sessionTtl);
    return reply.code(200).send({ token, account });
  });

  app.post('/api/auth/logout', async (req, reply) => {
    rejectQuery(req.query);
    // Idempotent: a stale or unknown token still gets its cookie cleared.
    const token = tokenFromRequest(req);
    if (token !== null) await accounts.logout(token, requestContext(req));
    clearSessionCookie(reply);
    return reply.code(204).send();
  });

  app.get('/api/auth/me', async (req) => {
    rejectQuery(req.query);
    const caller = await callerOf(req, accounts);
    return { account: await accounts.me(caller) };
  });
}
