import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { AccountService, AuthContext } from '../core/auth/account-service.ts';
import { sessionIdOf, sessionIdOfHash } from '../core/auth/account-service.ts';
import type { ClientCertAuth } from './edge/client-cert.ts';
import { enforceAccountLimit } from './edge/rate-limit.ts';
import { ANONYMOUS, type Caller, type RequestContext } from '../core/caller.ts';
import { StrongboxError } from '../errors/strongbox-error.ts';

/** `__Host-` makes browsers insist on Secure, Path=/ and no Domain, so no subdomain can plant it. */
export const SESSION_COOKIE = '__Host-strongbox_session';
/** OWASP device cookie: proves this browser signed in before (see src/crypto/device-cookie.ts). */
export const DEVICE_COOKIE = '__Host-strongbox_device';
export const DEVICE_COOKIE_MAX_AGE = 180 * 86_400; // seconds (180 days)
/** Header a cookie-session client echoes on every state-changing request. */
export const CSRF_HEADER = 'x-csrf-token';

const BASE_COOKIE = { name: SESSION_COOKIE, path: '/', httpOnly: true, secure: true, sameSite: 'lax' } as const;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// Set-Cookie is written here rather than by a cookie plugin: that would run an onSend hook on
// every reply for the few routes that set one.
export function setSessionCookie(reply: FastifyReply, token: string, maxAgeSeconds: number, device?: string | null): void {
  const cookies = [stringifySetCookie({ ...BASE_COOKIE, value: token, maxAge: maxAgeSeconds })];
  if (device) cookies.push(stringifySetCookie({ ...BASE_COOKIE, name: DEVICE_COOKIE, value: device, maxAge: DEVICE_COOKIE_MAX_AGE, sameSite: 'strict' }));
  reply.header('set-cookie', cookies);
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.header('set-cookie', stringifySetCookie({ ...BASE_COOKIE, value: '', maxAge: 0, expires: new Date(0) }));
}

function cookie(req: FastifyRequest, name: string): string | null {
  const cookies = req.headers.cookie;
  const value = cookies === undefined ? undefined : parseCookie(cookies)[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

export function deviceCookieOf(req: FastifyRequest): string | null {
  return cookie(req, DEVICE_COOKIE);
}

/** `Authorization: Bearer <token>` first (explicit), else the session cookie. */
export function tokenFromRequest(req: FastifyRequest): string | null {
  return credentialOf(req)?.token ?? null;
}

interface Credential { readonly token: string; readonly viaCookie: boolean }

function credentialOf(req: FastifyRequest): Credential | null {
  const authorization = req.headers.authorization;
  if (typeof authorization === 'string') {
    const m = /^Bearer +([^\s]+) *$/i.exec(authorization);
    return m ? { token: m[1], viaCookie: false } : null;
  }
  const token = cookie(req, SESSION_COOKIE);
  return token === null ? null : { token, viaCookie: true };
}

/**
 * How this request authenticated, or null. A cookie is an ambient credential: on a
 * state-changing method it counts only with the session's CSRF token in X-CSRF-Token
 * (ERR_CSRF otherwise). Bearer tokens are sent deliberately and need none.
 */
export async function authOf(req: FastifyRequest, accounts: AccountService): Promise<AuthContext | null> {
  return authOfCredential(req, accounts, credentialOf(req));
}

function authOfCredential(req: FastifyRequest, accounts: AccountService, cred: Credential | null): AuthContext | null | Promise<AuthContext | null> {
  // mTLS (src/http/edge/client-cert.ts): null unless listen.tls.clientCa is set.
  const certs = req.server.strongboxClientCerts;
  if (certs !== null) return certAuthOf(req, accounts, certs, cred);
  if (cred === null) return null;
  return tokenAuthOf(req, accounts, cred);
}

async function certAuthOf(req: FastifyRequest, accounts: AccountService, certs: ClientCertAuth, cred: Credential | null): Promise<AuthContext | null> {
  const viaCert = await certs.authenticate(req);
  if (viaCert !== null) {
    return certs.combine(req, viaCert, cred !== null || req.headers.authorization !== undefined, cred === null ? null : await tokenAuthOf(req, accounts, cred));
  }
  return cred === null ? null : tokenAuthOf(req, accounts, cred);
}

function tokenAuthOf(req: FastifyRequest, accounts: AccountService, cred: Credential): AuthContext | null | Promise<AuthContext | null> {
  const ctx = accounts.authenticate(cred.token, req.raw.socket);
  if (!cred.viaCookie || SAFE_METHODS.has(req.method)) return ctx;
  return ctx instanceof Promise ? ctx.then((c) => csrfChecked(req, accounts, c)) : csrfChecked(req, accounts, ctx);
}

function csrfChecked(req: FastifyRequest, accounts: AccountService, ctx: AuthContext | null): AuthContext | null {
  if (ctx !== null && (ctx.sessionHash === null || !accounts.verifyCsrf(ctx.sessionHash, req.headers[CSRF_HEADER]))) {
    throw new StrongboxError('ERR_CSRF', 'A cookie-authenticated change needs the session\'s X-CSRF-Token header.');
  }
  return ctx;
}

/** The collection action a request asks for, which an API token must grant. */
type Scope = { readonly collection: string; readonly action: string };

/**
 * The caller of this request, anonymous when there is no valid, complete session. A bad or
 * expired token is simply anonymous; routes that need a session then answer ERR_UNAUTHENTICATED.
 * Synchronous unless something really is asynchronous (a session or counter the database must be
 * asked for): a cached session costs no promise. A refusal is thrown, or rejects the promise.
 */
export function callerOf(req: FastifyRequest, accounts: AccountService, scope?: Scope): Caller | Promise<Caller> {
  const found = authOfCredential(req, accounts, credentialOf(req));
  return found instanceof Promise ? found.then((ctx) => callerOfContext(req, ctx, scope)) : callerOfContext(req, found, scope);
}

function callerOfContext(req: FastifyRequest, ctx: AuthContext | null, scope: Scope | undefined): Caller | Promise<Caller> {
  if (ctx === null || ctx.mfaPending) return { ...ANONYMOUS, request: requestContext(req) };
  // A signed-in caller counts against its account's rate limit here, where the account becomes known.
  const limited = ctx.caller.id === null ? null : enforceAccountLimit(req, ctx.caller.id);
  return limited === null ? callerWithin(req, ctx, scope) : limited.then(() => callerWithin(req, ctx, scope));
}

function callerWithin(req: FastifyRequest, ctx: AuthContext, scope: Scope | undefined): Caller {
  // An API token reaches only the collection actions it was given.
  if (ctx.scopes !== null && (scope === undefined || !ctx.scopes.has(`${scope.collection}:${scope.action}`))) {
    throw new StrongboxError('ERR_FORBIDDEN', 'The API token does not grant this action.');
  }
  const { id, role, email } = ctx.caller;
  return { id, role, email, request: { ip: req.ip, id: String(req.id), tokenId: auditTokenId(ctx) } };
}

/** The audit trail's non-secret id of the credential: the certificate's, `t-` and the API token's id, or the session's. */
function auditTokenId(ctx: AuthContext): string | null {
  if (ctx.kind === 'client-cert') return ctx.tokenId;
  if (ctx.tokenId !== null) return `t-${ctx.tokenId}`;
  return ctx.sessionHash === null ? null : sessionIdOfHash(ctx.sessionHash);
}

/** Who made a request, for the audit trail of a refusal: never refuses itself (no scope, no CSRF check). */
export async function auditCallerOf(req: FastifyRequest, accounts: AccountService): Promise<Caller> {
  const token = tokenFromRequest(req);
  const ctx = token === null ? null : await Promise.resolve().then(() => accounts.authenticate(token)).catch(() => null);
  const viaCert = ctx === null && req.server.strongboxClientCerts !== null ? await req.server.strongboxClientCerts.authenticate(req).catch(() => null) : null;
  const found = viaCert ?? ctx;
  if (found === null) return { ...ANONYMOUS, request: requestContext(req) };
  return { ...found.caller, request: { ...requestContext(req), tokenId: auditTokenId(found) } };
}

/** The client IP and request id for the audit trail; the session id when a token is given. */
export function requestContext(req: FastifyRequest, token: string | null = null): RequestContext {
  return { ip: req.ip, id: String(req.id), tokenId: token === null ? null : sessionIdOf(token) };
}
