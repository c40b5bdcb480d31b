import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GuardScope, inGuardScope } from '../core/auth/session-guard.ts';
import { toErrorResponse } from './error-response.ts';

const SCOPE = Symbol('strongbox.guardScope');
type Scoped = FastifyRequest & { [SCOPE]?: GuardScope };

/**
 * PostgreSQL only (on SQLite the session cache is exact and these hooks are not registered):
 * every route handler runs in a guard scope, so a session taken from the cache is re-read by the
 * request's first statement (core/auth/session-store.ts), and no answer goes out before that
 * re-read has vouched for it. A request that ran no statement runs the re-read on its own here;
 * one whose session ended meanwhile is answered ERR_UNAUTHENTICATED, whatever its handler produced.
 */
export function registerSessionGuard(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function guarded(this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
      const scope = new GuardScope();
      (req as Scoped)[SCOPE] = scope;
      return inGuardScope(scope, () => handler.call(this, req, reply));
    };
  });
  app.addHook('onSend', (req, reply, payload, done) => {
    const scope = (req as Scoped)[SCOPE];
    const wait = scope?.settle() ?? null;
    if (wait === null) {
      scope?.close();
      return done(null, payload);
    }
    wait.then(() => {
      scope!.close();
      done(null, payload);
    }, (err: unknown) => {
      scope!.close();
      const res = toErrorResponse(err);
      (payload as { destroy?: () => void } | null)?.destroy?.(); // a stream the answer no longer sends
      reply.removeHeader('set-cookie');
      reply.code(res.status).type('application/json; charset=utf-8');
      done(null, JSON.stringify(res.body));
    });
  });
}
