import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Engine } from '../core/engine.ts';
import { StrongboxError } from '../errors/strongbox-error.ts';
import { toErrorResponse, publicError, type ErrorResponse } from './error-response.ts';
import { registerJsonOnly } from './json-body.ts';
import type { SecureContextOptions } from 'node:tls';
import { applySecurityHeaders, securityHeaders } from './security-headers.ts';
import { RateLimiter } from '../core/limits/rate-limiter.ts';
import { cidrMatcher } from '../util/cidr.ts';
import { EdgeListeners } from './edge/edge-listeners.ts';
import { EdgeRejection } from './edge/edge-rejection.ts';
import { registerEdgeHook } from './edge/edge-hook.ts';
import { LoadShedder } from './edge/load-shedder.ts';
import { clientErrorReply } from './edge/client-error.ts';
import { loggerOptions } from './logger-options.ts';
import { serverLog } from './server-log.ts';
import { RouteTable } from './route-table.ts';
import { registerAuthRoutes } from './routes/auth-routes.ts';
import { registerRecordRoutes } from './routes/record-routes.ts';
import { registerHealthRoutes } from './routes/health-routes.ts';
import { registerOpenApiRoutes } from './routes/openapi-routes.ts';
import { crossSiteCheck } from './cross-site-check.ts';
import { registerAccountRoutes } from './routes/account-routes.ts';
import { auditDenied } from './audit-denied.ts';
import { registerAdminAuditRoutes } from './routes/admin-audit-routes.ts';
import { registerAdminAccountRoutes } from './routes/admin-account-routes.ts';
import { registerMfaRoutes } from './routes/mfa-routes.ts';
import { ClientCertAuth } from './edge/client-cert.ts';
import { registerSessionGuard } from './session-guard-hooks.ts';

export interface BuildServerOptions {
  /** false (default) is silent; true or pino options turn logging on, always with redaction. */
  readonly logger?: boolean | Record<string, unknown>;
  /** Serve HTTPS with these options (listen.tls or the dev certificate); default plain HTTP. */
  readonly tls?: SecureContextOptions | null;
  /** Plain HTTP behind listen.trustedProxies: only the proxies may connect. */
  readonly proxyOnly?: boolean;
  /** Load shedding's lag source (tests); default: a timer sampling the event loop. */
  readonly shedder?: LoadShedder;
  /** More routes, registered with the built-in ones before the app is ready (tests mount admin routes this way). */
  readonly routes?: (app: FastifyInstance) => void;
}

function send(req: FastifyRequest, reply: FastifyReply, res: ErrorResponse, cause?: unknown): FastifyReply {
  if (cause !== undefined && res.status >= 500) req.server.strongboxLog.error({ reqId: req.id, err: cause }, 'request failed');
  else if (cause !== undefined && res.internal) req.server.strongboxLog.info({ reqId: req.id, err: cause }, 'request rejected');
  applySecurityHeaders(reply, req.server.strongboxHeaders);
  if (cause instanceof EdgeRejection) reply.headers(cause.replyHeaders);
  if (res.headers) for (const [name, value] of Object.entries(res.headers)) reply.header(name, value);
  return reply.code(res.status).type('application/json; charset=utf-8').send(res.body);
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The security headers every response carries (security-headers.ts). */
    strongboxHeaders: Readonly<Record<string, string>>;
    /** Where Strongbox's own lines go (server-log.ts): app.log, or a logger of its own when Fastify has none. */
    strongboxLog: FastifyBaseLogger;
  }
}

/** The HTTP edge: parses input, calls the engine, renders JSON. The only Fastify user. */
export async function buildServer(engine: Engine, opts: BuildServerOptions = {}): Promise<FastifyInstance> {
  const { config } = engine;
  const headers = securityHeaders(config.hsts);
  // The same headers on replies written straight to the socket, before Fastify sees a request.
  const rawHeaders = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const trusted = cidrMatcher(config.listen.trustedProxies);
  const listeners = new EdgeListeners(config, {
    tls: opts.tls ?? null, limits: config.limits, trusted, proxyOnly: opts.proxyOnly === true,
  });
  const log = serverLog(loggerOptions(opts.logger));
  const logger = log.fastify;
  const app = Fastify({
    serverFactory: listeners.factory,
    // X-Forwarded-For/-Proto/-Host are believed only from listen.trustedProxies.
    trustProxy: config.listen.trustedProxies.length > 0 ? (address: string) => trusted(address) : false,
    // Only at info and below (server-log.ts): a logger costs every request, even one that logs nothing.
    logger,
    logController: new LogController({ disableRequestLogging: logger === false }),
    bodyLimit: engine.config.limits.bodyLimit,
    // Fastify's own 503 body while closing is not in our error shape; in-flight requests finish
    // either way, and idle keep-alive connections are closed.
    return503OnClosing: false,
    // No child logger per request (an allocation on every call): the few lines we log carry reqId.
    // Without a logger, Fastify's default factory is what lets it skip the child altogether.
    ...(logger === false ? {} : { childLoggerFactory: (l: FastifyBaseLogger) => l }),
    // Bad request lines never reach routing; answer them in our shape, not Node's.
    clientErrorHandler(err, socket) {
      if (!socket.writable) return;
      socket.end(clientErrorReply(err, rawHeaders));
    },
    // Router failures (malformed percent-encoding and the like).
    frameworkErrors(err, req, reply) {
      send(req, reply, toErrorResponse(err), err);
    },
  });

  const routes = new RouteTable();
  routes.attach(app);
  // PostgreSQL: cached sessions are vouched for by each request's first statement (session-guard-hooks.ts).
  if (engine.db.dialect === 'postgres') registerSessionGuard(app);
  registerJsonOnly(app, { maxDepth: config.limits.jsonDepth });
  app.decorate('strongboxHeaders', headers);
  app.decorate('strongboxLog', log.own ?? app.log);
  app.decorate('strongboxEdge', listeners);
  // mTLS: client certificates as service accounts (null, and no work per request, unless listen.tls.clientCa is set).
  const clientCerts = await ClientCertAuth.create(engine, (opts.tls as { ca?: unknown } | null | undefined)?.ca);
  app.decorate('strongboxClientCerts', clientCerts);
  if (clientCerts !== null) listeners.onReload.push((tls) => clientCerts.reloaded(tls));
  const limiter = config.rateLimit.enabled ? new RateLimiter(config.rateLimit, engine.counters) : null;
  app.decorate('strongboxLimiter', limiter);
  const shedder = opts.shedder ?? new LoadShedder(config.limits.maxEventLoopDelay);
  // CSRF runs last in it: browsers' cross-site state changes are refused before any route runs.
  registerEdgeHook(app, config, limiter, shedder, { headers, after: crossSiteCheck(config.listen.publicOrigins) });
  app.addHook('onClose', async () => {
    shedder.close();
    await listeners.close();
  });

  app.setErrorHandler(async (err, req, reply) => {
    // A denial is answered either way; a lost denied event is logged, never silent.
    await auditDenied(engine, req, err).catch((cause) => req.server.strongboxLog.error({ reqId: req.id, err: cause }, 'audit: denied event not written'));
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
  opts.routes?.(app);
  await app.ready();
  return app;
}
