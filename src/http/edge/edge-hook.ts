import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { StrongboxConfig } from '../../config/config.ts';
import type { RateLimiter } from '../../core/limits/rate-limiter.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { cidrMatcher } from '../../util/cidr.ts';
import { isAdminPath, onAdminListener } from './admin-surface.ts';
import { corsHandler } from './cors.ts';
import { EdgeRejection } from './edge-rejection.ts';
import type { LoadShedder } from './load-shedder.ts';
import { checkAddress, routePath } from './rate-limit.ts';

const AMP = 38;

/** Query parameters in a raw URL, counted without parsing (`&`-separated, as the parser splits). */
function queryParamCount(url: string): number {
  const q = url.indexOf('?');
  if (q === -1 || q === url.length - 1) return 0;
  let n = 1;
  for (let i = q + 1; i < url.length; i++) if (url.charCodeAt(i) === AMP) n++;
  return n;
}

export interface EdgeHookOptions {
  /** set on every reply first, so refusals carry them too (an onSend hook per reply costs more than the rest of the edge) */
  readonly headers: Readonly<Record<string, string>>;
  /** runs last, once the request passed the edge (the cross-site check) */
  readonly after: (req: FastifyRequest) => void;
}

/**
 * One synchronous onRequest hook for the whole edge, in order: the security headers, CORS (so
 * even refusals carry its headers), load shedding, URL limits, the per-address rate limit, the
 * admin surface, then `after`. One hook, because each hook Fastify runs costs per request.
 */
export function registerEdgeHook(app: FastifyInstance, config: StrongboxConfig, limiter: RateLimiter | null, shedder: LoadShedder, opts: EdgeHookOptions): void {
  const cors = corsHandler(config.cors);
  const { urlLength, queryParams } = config.limits;
  const adminSeparate = config.admin.listen !== null;
  const adminAllowed = config.admin.allow.length > 0 ? cidrMatcher(config.admin.allow) : null;

  const { headers, after } = opts;
  app.addHook('onRequest', (req, reply, done) => {
    try {
      reply.headers(headers);
      if (cors !== null && cors(req, reply) === 'preflight') {
        void reply.code(204).send();
        return;
      }
      const lag = shedder.overloaded();
      if (lag > 0) throw new EdgeRejection('ERR_OVERLOADED', { 'retry-after': String(Math.max(1, Math.ceil(lag / 1000))) });
      const url = req.url;
      if (url.length > urlLength) throw new StrongboxError('ERR_URL_TOO_LONG');
      if (queryParamCount(url) > queryParams) throw new StrongboxError('ERR_TOO_MANY_PARAMS');
      // Exactly what an unknown route answers (after the same rate limit): the admin surface is not there for this client.
      const hidden = (adminSeparate || adminAllowed !== null) && isAdminPath(routePath(req))
        && ((adminSeparate && !onAdminListener(req.raw)) || (adminAllowed !== null && !adminAllowed(req.ip)));
      const r = limiter === null ? null : checkAddress(limiter, req);
      if (r === null) pass(req, done, after, hidden ? new StrongboxError('ERR_ROUTE_NOT_FOUND') : undefined);
      else if (r instanceof Promise) {
        r.then((x) => pass(req, done, after, x ?? (hidden ? new StrongboxError('ERR_ROUTE_NOT_FOUND') : undefined)), (err: Error) => done(err));
      } else done(r);
    } catch (err) {
      done(err as Error);
    }
  });
}

/** The edge let the request through unless `err`; `after` has the last word. */
function pass(req: FastifyRequest, done: (err?: Error) => void, after: (req: FastifyRequest) => void, err: Error | null | undefined): void {
  if (err) return done(err);
  try {
    after(req);
  } catch (e) {
    return done(e as Error);
  }
  done();
}
