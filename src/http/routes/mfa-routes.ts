import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Engine } from '../../core/engine.ts';
import type { AuthContext } from '../../core/auth/account-service.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { requireObjectBody, rejectUnknownKeys } from '../json-body.ts';
import { rejectQuery } from '../parse-query.ts';
import { authOf, setSessionCookie } from '../session.ts';

/** TOTP: POST /api/auth/mfa/enrol, /confirm, /verify. A pending sign-in may use these routes only. */
export function registerMfaRoutes(app: FastifyInstance, engine: Engine): void {
  const { accounts, config } = engine;

  /** A session, complete or still owing its second factor; never an API token. */
  async function sessionOf(req: FastifyRequest): Promise<AuthContext & { sessionHash: string }> {
    const ctx = await authOf(req, accounts);
    if (ctx === null || ctx.caller.id === null) throw new StrongboxError('ERR_UNAUTHENTICATED');
    if (ctx.kind !== 'session' || ctx.sessionHash === null) throw new StrongboxError('ERR_FORBIDDEN', 'API tokens cannot manage the account.');
    return ctx as AuthContext & { sessionHash: string };
  }

  /** Completing the second factor is a privilege change: the session continues under a new token. */
  async function complete(req: FastifyRequest, reply: import('fastify').FastifyReply, ctx: AuthContext & { sessionHash: string }) {
    const rotated = await accounts.sessions.rotate(ctx.sessionHash, { mfaDone: true });
    if (rotated === null) throw new StrongboxError('ERR_UNAUTHENTICATED');
    setSessionCookie(reply, rotated.token, config.auth.sessionTtl);
    return { token: rotated.token, csrfToken: accounts.csrfToken(rotated.tokenHash) };
  }

  app.post('/api/auth/mfa/enrol', async (req) => {
    rejectQuery(req.query);
    rejectUnknownKeys(requireObjectBody(req.body ?? {}), []);
    const ctx = await sessionOf(req);
    const uri = await accounts.mfa.enrol(ctx.caller.id!, ctx.caller.email!);
    return { uri };
  });

  app.post('/api/auth/mfa/confirm', async (req, reply) => {
    rejectQuery(req.query);
    const body = requireObjectBody(req.body);
    rejectUnknownKeys(body, ['code']);
    const ctx = await sessionOf(req);
    const recoveryCodes = await accounts.mfa.confirm(ctx.caller.id!, body.code, req.ip);
    await accounts.audit({ type: 'auth.mfa.enrolled', accountId: ctx.caller.id, ip: req.ip, requestId: String(req.id) });
    // A sign-in that was waiting for an enrolment (role requires MFA) is complete now.
    const session = ctx.mfaPending ? await complete(req, reply, ctx) : {};
    return { recoveryCodes, ...session };
  });

  app.post('/api/auth/mfa/verify', async (req, reply) => {
    rejectQuery(req.query);
    const body = requireObjectBody(req.body);
    rejectUnknownKeys(body, ['code', 'recoveryCode']);
    const ctx = await sessionOf(req);
    if (!ctx.mfaPending) throw new StrongboxError('ERR_CONFLICT', 'This session has no second factor pending.');
    let how: 'totp' | 'recovery';
    try {
      how = await accounts.mfa.verify(ctx.caller.id!, body, req.ip);
    } catch (err) {
      await accounts.audit({ type: 'auth.mfa.failed', accountId: ctx.caller.id, ip: req.ip, requestId: String(req.id) });
      throw err;
    }
    await accounts.audit({ type: how === 'recovery' ? 'auth.mfa.recovery_used' : 'auth.mfa.succeeded', accountId: ctx.caller.id, ip: req.ip, requestId: String(req.id) });
    return complete(req, reply, ctx);
  });
}
