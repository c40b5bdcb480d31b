import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountService } from '../core/auth/account-service.ts';
import { ANONYMOUS, type Caller } from '../core/caller.ts';

/** `__Host-` makes browsers insist on Secure, Path=/ and no Domain, so no subdomain can plant it. */
export const SESSION_COOKIE = '__Host-strongbox_session';

const BASE_COOKIE = { path: '/', httpOnly: true, secure: true, sameSite: 'lax' } as const;

export function setSessionCookie(reply: FastifyReply, token: string, maxAgeSeconds: number): void {
  reply.setCookie(SESSION_COOKIE, token, { ...BASE_COOKIE, maxAge: maxAgeSeconds });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { ...BASE_COOKIE });
}

/** `Authorization: Bearer <token>` first (explicit), else the session cookie. */
export function tokenFromRequest(req: FastifyRequest): string | null {
  const authorization = req.headers.authorization;
  if (typeof authorization === 'string') {
    const m = /^Bearer +([^\s]+) *$/i.exec(authorization);
    return m ? m[1] : null;
  }
  const cookies = req.headers.cookie;
  const cookie = cookies === undefined ? undefined : req.server.parseCookie(cookies)[SESSION_COOKIE];
  return typeof cookie === 'string' && cookie !== '' ? cookie : null;
}

const callers = new WeakMap<FastifyRequest, Caller>();

/**
 * The caller of this request, anonymous when there is no valid session. A bad or expired
 * token is simply anonymous; routes that need a session then answer ERR_UNAUTHENTICATED.
 */
export async function callerOf(req: FastifyRequest, accounts: AccountService): Promise<Caller> {
  const known = callers.get(req);
  if (known) return known;
  const token = tokenFromRequest(req);
  const caller = (token === null ? null : await accounts.authenticate(token)) ?? ANONYMOUS;
  callers.set(req, caller);
  return caller;
}
