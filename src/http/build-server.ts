import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Engine } from '../core/engine.ts';
import { StrongboxError } from '../errors/strongbox-error.ts';
import { toErrorResponse, publicError, type ErrorResponse } from './error-response.ts';
import { registerJsonOnly } from './json-body.ts';
import { registerSecurityHeaders, applySecurityHeaders, SECURITY_HEADERS } from './security-headers.ts';
import { loggerOptions } from './logger-options.ts';
import { RouteTable } from './route-table.ts';
import { registerAuthRoutes } from './routes/auth-routes.ts';
import { registerRecordRoutes } from './routes/record-routes.ts';
import { registerHealthRoutes } from './routes/health-routes.ts';
import { registerOpenApiRoutes } from './routes/openapi-routes.ts';
import { checkCrossSite } from './session.ts';
import { registerAccountRoutes } from './routes/account-routes.ts';
import { auditDenied } from './audit-denied.ts';
import { registerAdminAuditRoutes } from './routes/admin-audit-routes.ts';
import { registerAdminAccountRoutes } from './routes/admin-account-routes.ts';
import { registerMfaRoutes } from './routes/mfa-routes.ts';

export interface BuildServerOptions {
  /** false (default) is silent; true or pino options turn logging on, always with redaction. */
  readonly logger?: boolean | Record<string, unknown>;
}

// The same headers on replies written straight to the socket, before Fastify sees a request.
const RAW_SECURITY_HEADERS = Object.entries(SECURITY_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`).join('');

function send(req: FastifyRequest, reply: FastifyReply, res: ErrorResponse, cause?: unknown): FastifyReply {
  if (cause !== undefined && res.status >= 500) req.log.error({ reqId: req.id, err: cause }, 'request failed');
  else if (cause !== undefined && res.internal) req.log.info({ reqId: req.id, err: cause }, 'request rejected');
  applySecurityHeaders(reply);
  if (res.headers) for (const [name, value] of Object.entries(res.headers)) reply.header(name, value);
  return reply.code(res.status).type('application/json; charset=utf-8').send(res.body);
}

/** The HTTP edge: parses input, calls the engine, renders JSON. The only Fastify user. */
export async function buildServer(engine: Engine, opts: BuildServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(opts.logger),
    bodyLimit: engine.config.limits.bodyLimit,
    // Fastify's own 503 body while closing is not in our error shape; in-flight requests finish
    // either way, and idle keep-alive connections are closed.
    return503OnClosing: false,
    // No child logger per request (an allocation on every call): the few lines we log carry reqId.
    childLoggerFactory: (logger) => logger,
    // Bad request lines never reach routing; answer them in our shape, not Node's.
    clientErrorHandler(_err, socket) {
      if (!socket.writable) return;
      const body = JSON.stringify(publicError('ERR_BAD_REQUEST').body);
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\n${RAW_SECURITY_HEADERS}` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
    // Router failures (malformed percent-encoding and the like).
    frameworkErrors(err, req, reply) {
      send(req, reply, toErrorResponse(err), err);
    },
  });

  const routes = new RouteTable();
  routes.attach(app);
  registerJsonOnly(app);
  registerSecurityHeaders(app);
  // CSRF, first line: browsers' cross-site state changes are refused before any route runs.
  app.addHook('onRequest', (req, _reply, done) => {
    try {
      checkCrossSite(req);
      done();
    } catch (err) {
      done(err as Error);
    }
  });

  app.setErrorHandler(async (err, req, reply) => {
    // A denial is answered either way; a lost denied event is logged, never silent.
    await auditDenied(engine, req, err).catch((cause) => req.log.error({ reqId: req.id, err: cause }, 'audit: denied event not written'));
    return send(req, reply, toErrorResponse(err), err);
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const allowed = routes.allowedMethods(path);
    if (allowed === null) return send(req, reply, publicError('ERR_ROUTE_NOT_FOUND'));
    reply.header('allow', allowed.join(', '));
    return send(req, reply, toErrorResponse(new StrongboxError('ERR_METHOD_NOT_ALLOWED')));
  });

  registerHealthRoutes(app, engine);
  registerAuthRoutes(app, engine);
  registerAccountRoutes(app, engine);
  registerAdminAccountRoutes(app, engine);
  registerMfaRoutes(app, engine);
  registerRecordRoutes(app, engine);
  registerAdminAuditRoutes(app, engine);
  registerOpenApiRoutes(app, engine);
  await app.ready();
  return app;
}
