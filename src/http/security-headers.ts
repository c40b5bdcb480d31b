import type { FastifyInstance, FastifyReply } from 'fastify';

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

// Neither Node nor Fastify sends X-Powered-By; test/http/api.test.ts checks it stays absent.
export function applySecurityHeaders(reply: FastifyReply): void {
  reply.headers(SECURITY_HEADERS);
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  // onSend runs for every routed reply, including errors and 404s; router failures
  // (frameworkErrors) skip hooks, so the error path applies the headers itself too.
  app.addHook('onSend', (_req, reply, payload, done) => {
    applySecurityHeaders(reply);
    done(null, payload);
  });
}
