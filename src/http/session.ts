import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { AccountService } from '../core/auth/account-service.ts';
import { ANONYMOUS, type Caller, type RequestContext } from '../core/caller.ts';
import { sessionIdOf } from '../core/auth/account-service.ts';
import { enforceAccountLimit } from './edge/rate-limit.ts';

/** `__Host-` makes browsers insist on Secure, Path=/ and no Domain, so no subdomain can plant it. */
export const SESSION_COOKIE = '__Host-strongbox_session';

const BASE_COOKIE = { name: SESSION_COOKIE, path: '/', httpOnly: true, secure: true, sameSite: 'lax' } as const;

// Set-Cookie is written here rather than by a cookie plugin: that would run an onSend hook on
// every reply for the two routes that set one.
export function setSessionCookie(reply: FastifyReply, token: string, maxAgeSeconds: number): void {
  reply.header('set-cookie', stringifySetCookie({ ...BASE_COOKIE, value: token, maxAge: maxAgeSeconds }));
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.header('set-cookie', stringifySetCookie({ ...BASE_COOKIE, value: '', maxAge: 0, expires: new Date(0) }));
}

/** `Authorization: Bearer <token>` first (explicit), else the session cookie. */
export function tokenFromRequest(req: FastifyRequest): string | null {
  const authorization = req.headers.authorization;
  if (typeof authorization === 'string') {
    const m = /^Bearer +([^\s]+) *$/i.exec(authorization);
    return m ? m[1] : null;
  }
  const cookies = req.headers.cookie;
  const cookie = cookies === undefined ? undefined : parseCookie(cookies)[SESSION_COOKIE];
  return typeof cookie === 'string' && cookie !== '' ? cookie : null;
}

/**
 * The caller of this request, anonymous when there is no valid session. A bad or expired
 * token is simply anonymous; routes that need a session then answer ERR_UNAUTHENTICATED.
 * Each route asks once per request, so nothing is memoized here. A signed-in caller is also
 * counted against its account's rate limit here, where the account first becomes known.
 */
export async function callerOf(req: FastifyRequest, accounts: AccountService): Promise<Caller> {
  const token = tokenFromRequest(req);
  const caller = (token === null ? null : await accounts.authenticate(token)) ?? ANONYMOUS;
  if (caller.id !== null) await enforceAccountLimit(req, caller.id);
  // The audit trail records where each request came from and with which session.
  return { ...caller, request: requestContext(req, caller.id === null ? null : token) };
}

/** The client IP and request id for the audit trail; the session id when a token is given. */
export function requestContext(req: FastifyRequest, token: string | null = null): RequestContext {
  return { ip: req.ip, id: String(req.id), tokenId: token === null ? null : sessionIdOf(token) };
}
