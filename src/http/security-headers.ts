import type { FastifyReply } from 'fastify';
import type { HstsConfig } from '../config/edge-config.ts';

/**
 * Headers for a JSON-only API: nothing may render, frame, sniff or leak a referrer.
 * The admin UI (a later issue) will need its own, looser CSP under /_/.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-permitted-cross-domain-policies': 'none',
  // Responses may carry personal data: never cache them anywhere (every route is under /api today).
  'cache-control': 'no-store',
});

/** Strict-Transport-Security from the hsts section (browsers ignore it over plain HTTP). */
export function hstsValue(hsts: HstsConfig): string {
  return `max-age=${hsts.maxAge}${hsts.includeSubDomains ? '; includeSubDomains' : ''}${hsts.preload ? '; preload' : ''}`;
}

/** The frozen set sent on every response: SECURITY_HEADERS plus HSTS. */
export function securityHeaders(hsts: HstsConfig): Readonly<Record<string, string>> {
  return Object.freeze({ ...SECURITY_HEADERS, 'strict-transport-security': hstsValue(hsts) });
}

// Neither Node nor Fastify sends X-Powered-By or Server; test/http/api.test.ts checks it stays absent.
// Routed replies get them from the edge hook (src/http/edge/edge-hook.ts), first thing in onRequest;
// replies that skip the hooks (router failures, the error path) apply them here.
export function applySecurityHeaders(reply: FastifyReply, headers: Readonly<Record<string, string>> = SECURITY_HEADERS): void {
  reply.headers(headers);
}
