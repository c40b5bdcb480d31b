import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CorsConfig } from '../../config/edge-config.ts';
import { EdgeRejection } from './edge-rejection.ts';

const ALLOW_METHODS = 'GET, POST, PATCH, DELETE';
const ALLOW_HEADERS = 'authorization, content-type';

export type CorsOutcome = 'continue' | 'preflight';

/**
 * CORS with an exact allowlist: the Origin header must equal a configured origin byte for byte
 * (no reflection, no suffix or prefix match, no `null`, scheme and port included). An allowed
 * preflight is answered 204 here; a refused one is ERR_CORS_ORIGIN. Off when the list is empty.
 */
export function corsHandler(cfg: CorsConfig): ((req: FastifyRequest, reply: FastifyReply) => CorsOutcome) | null {
  if (cfg.origins.length === 0) return null;
  const allowed = new Set(cfg.origins);
  const preflightHeaders: Record<string, string> = {
    'access-control-allow-methods': ALLOW_METHODS,
    'access-control-allow-headers': ALLOW_HEADERS,
    'access-control-max-age': String(cfg.maxAge),
  };
  return (req, reply) => {
    const origin = req.headers.origin;
    // Caches must key on Origin, or one origin's answer would be served to another.
    reply.header('vary', 'Origin');
    const ok = typeof origin === 'string' && allowed.has(origin);
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (ok) {
      reply.header('access-control-allow-origin', origin);
      if (cfg.credentials) reply.header('access-control-allow-credentials', 'true');
      if (!preflight) return 'continue';
      reply.headers(preflightHeaders);
      return 'preflight';
    }
    if (preflight) throw new EdgeRejection('ERR_CORS_ORIGIN');
    return 'continue';
  };
}
