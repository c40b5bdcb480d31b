import type { FastifyRequest } from 'fastify';
import { clientKey, type Denial, type RateLimiter, type RouteClass } from '../../core/limits/rate-limiter.ts';
import { EdgeRejection } from './edge-rejection.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The edge's rate limiter (null when rateLimit.enabled is false). */
    strongboxLimiter: RateLimiter | null;
  }
}

/**
 * The matched route's pattern (the router decoded the path), else the raw URL as the 404 handler
 * sees it. Fastify builds a new routeOptions object on each access: ask only when the path matters.
 */
export function routePath(req: FastifyRequest): string {
  return req.routeOptions.url ?? req.url;
}

/** GET/HEAD/OPTIONS read; POST under /api/auth/ is sign-in work; every other method writes. */
export function routeClass(req: FastifyRequest): RouteClass {
  const method = req.method;
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return 'read';
  return routePath(req).startsWith('/api/auth/') ? 'auth' : 'write';
}

/** The 429 for a denial: Retry-After, the IETF draft RateLimit fields, and the older RateLimit-* trio. */
export function rateLimited(d: Denial): EdgeRejection {
  const policy = `${d.routeClass}-${d.scope}`;
  return new EdgeRejection('ERR_RATE_LIMITED', {
    'retry-after': String(d.retryAfter),
    'ratelimit-policy': `"${policy}";q=${d.limit};w=${d.windowSeconds}`,
    ratelimit: `"${policy}";r=0;t=${d.retryAfter}`,
    'ratelimit-limit': String(d.limit),
    'ratelimit-remaining': '0',
    'ratelimit-reset': String(d.retryAfter),
  });
}

/** Per-address check for the onRequest hook: null to go on, or a promise for a shared store. */
export function checkAddress(limiter: RateLimiter, req: FastifyRequest): EdgeRejection | null | Promise<EdgeRejection | null> {
  const d = limiter.check('ip', routeClass(req), clientKey(req.ip));
  if (d === null) return null;
  if (d instanceof Promise) return d.then((x) => (x === null ? null : rateLimited(x)));
  return rateLimited(d);
}

/**
 * Per-account check, made where the caller becomes known (src/http/session.ts callerOf).
 * Throws the 429 when the account's budget for this route class is spent; null when that is
 * known at once (the in-process store), else a promise that rejects with the 429.
 */
export function enforceAccountLimit(req: FastifyRequest, accountId: string): Promise<void> | null {
  const limiter = req.server.strongboxLimiter;
  if (limiter === null || limiter === undefined) return null;
  const d = limiter.check('account', routeClass(req), accountId);
  if (d === null) return null;
  if (d instanceof Promise) {
    return d.then((denial) => {
      if (denial !== null) throw rateLimited(denial);
    });
  }
  throw rateLimited(d);
}
