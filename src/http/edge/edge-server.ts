import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { EdgeLimits } from '../../config/edge-config.ts';
import { clientKey } from '../../core/limits/rate-limiter.ts';

export type EdgeHttpServer = HttpServer | HttpsServer;
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface EdgeServerOptions {
  /** HTTPS with these options; null = plain HTTP (dev loopback, or behind a trusted proxy). */
  readonly tls: SecureContextOptions | null;
  readonly limits: EdgeLimits;
  /** Peers exempt from the per-address connection cap (trusted proxies multiplex many clients). */
  readonly trusted: (address: string) => boolean;
  /** Plain HTTP behind a proxy: connections from anyone but a trusted proxy are dropped. */
  readonly proxyOnly: boolean;
}

/**
 * An http or https server with the edge's socket-level limits: header size, header/request/
 * keep-alive timeouts (slowloris), TLS handshake timeout and a cap on open connections per
 * client address. Requests go to `handler` (Fastify's).
 */
export function createEdgeServer(handler: Handler, o: EdgeServerOptions): EdgeHttpServer {
  const { limits } = o;
  const httpOptions = {
    maxHeaderSize: limits.headerSize,
    headersTimeout: limits.headersTimeout,
    requestTimeout: limits.requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeout,
    // Node checks the two timeouts above only this often (default 30 s).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeout / 4))),
  };
  const server: EdgeHttpServer = o.tls === null
    ? createHttpServer(httpOptions, handler)
    : createHttpsServer({ ...httpOptions, ...o.tls, handshakeTimeout: limits.headersTimeout }, handler);
  server.keepAliveTimeout = limits.keepAliveTimeout;
  server.headersTimeout = limits.headersTimeout;
  server.requestTimeout = limits.requestTimeout;

  const open = new Map<string, number>();
  // 'connection' is the raw TCP socket, before any TLS handshake: a flood costs no crypto.
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const trusted = o.trusted(address);
    if (o.proxyOnly && !trusted) {
      socket.destroy();
      return;
    }
    if (trusted) return;
    const key = clientKey(address);
    const n = (open.get(key) ?? 0) + 1;
    if (n > limits.connectionsPerIp) {
      socket.destroy();
      return;
    }
    open.set(key, n);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left <= 0) open.delete(key);
      else open.set(key, left);
    });
  });
  return server;
}

/** Swaps the certificate and key of a running HTTPS server; open connections keep their session. */
export function reloadTls(server: EdgeHttpServer, tls: SecureContextOptions): void {
  if (!('setSecureContext' in server)) throw new TypeError('reloadTls: not an HTTPS server');
  server.setSecureContext(tls);
}
