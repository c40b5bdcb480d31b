import type { ErrorCode } from '../../errors/registry.ts';

const ALWAYS: readonly ErrorCode[] = ['ERR_BAD_QUERY', 'ERR_INTERNAL'];
const BODY: readonly ErrorCode[] = [
  'ERR_BAD_REQUEST', 'ERR_INVALID_JSON', 'ERR_FORBIDDEN_KEY', 'ERR_BODY_TOO_LARGE', 'ERR_UNSUPPORTED_MEDIA_TYPE',
];
const FILTER: readonly ErrorCode[] = [
  'ERR_FILTER_SYNTAX', 'ERR_FILTER_LIMIT', 'ERR_FILTER_UNKNOWN_FIELD', 'ERR_FILTER_TYPE', 'ERR_FILTER_FORBIDDEN_FIELD',
  'ERR_FILTER_TOO_MANY_TERMS', 'ERR_FILTER_TOO_MANY_PARAMETERS', 'ERR_FILTER_NEEDLE_TOO_LONG',
];
// A read past its time budget (docs/bounded-cost.md); a full scan queue is ERR_UNAVAILABLE.
const READ: readonly ErrorCode[] = ['ERR_QUERY_TIMEOUT', 'ERR_UNAVAILABLE'];
const ACCESS: readonly ErrorCode[] = ['ERR_UNAUTHENTICATED', 'ERR_FORBIDDEN', 'ERR_NOT_FOUND'];

/**
 * The codes each route can answer with, keyed "METHOD path". The OpenAPI document is built from
 * this table and test/http/openapi.test.ts checks that the codes the tests provoke are listed.
 */
export const ROUTE_ERRORS: Readonly<Record<string, readonly ErrorCode[]>> = {
  'GET /api/health': [...ALWAYS, 'ERR_UNAVAILABLE'],
  'GET /api/openapi.json': [...ALWAYS],
  // ERR_UNAVAILABLE: the password-hashing queue is full (src/crypto/work-queue.ts)
  'POST /api/auth/register': [...ALWAYS, ...BODY, 'ERR_VALIDATION', 'ERR_CONFLICT', 'ERR_REGISTRATION_DISABLED', 'ERR_UNAVAILABLE'],
  'POST /api/auth/login': [...ALWAYS, ...BODY, 'ERR_VALIDATION', 'ERR_INVALID_CREDENTIALS', 'ERR_UNAVAILABLE'],
  'POST /api/auth/logout': [...ALWAYS, ...BODY],
  'GET /api/auth/me': [...ALWAYS, 'ERR_UNAUTHENTICATED'],
  'GET /api/collections/{name}/records': [...ALWAYS, ...FILTER, ...ACCESS, ...READ],
  'POST /api/collections/{name}/records': [...ALWAYS, ...BODY, ...ACCESS, 'ERR_VALIDATION', 'ERR_CONFLICT'],
  'GET /api/collections/{name}/records/{id}': [...ALWAYS, ...FILTER, ...ACCESS, ...READ, 'ERR_INVALID_ID'],
  'PATCH /api/collections/{name}/records/{id}': [
    ...ALWAYS, ...BODY, ...ACCESS, 'ERR_INVALID_ID', 'ERR_VALIDATION', 'ERR_CONFLICT',
  ],
  'DELETE /api/collections/{name}/records/{id}': [...ALWAYS, ...BODY, ...ACCESS, 'ERR_INVALID_ID'],
};

/** Every route can also answer these, from the router itself. */
export const ROUTER_ERRORS: readonly ErrorCode[] = ['ERR_BAD_REQUEST', 'ERR_ROUTE_NOT_FOUND', 'ERR_METHOD_NOT_ALLOWED'];
