import { createServer, type Server } from 'node:http';
import type { EdgeLimits } from '../../config/edge-config.ts';

/** A host name or IP literal, optionally with a port: nothing that could turn into another URL. */
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$/;

/**
 * listen.redirectHttp: plain HTTP that serves nothing. Every request gets a 301 to the same
 * host and path over HTTPS on the main port; a missing or malformed Host is a bare 400.
 */
export function createRedirectServer(httpsPort: number, limits: EdgeLimits): Server {
  const server = createServer({ maxHeaderSize: limits.headerSize, headersTimeout: limits.headersTimeout, requestTimeout: limits.requestTimeout }, (req, res) => {
    const m = HOST.exec(req.headers.host ?? '');
    const path = req.url ?? '/';
    if (m === null || !path.startsWith('/')) {
      res.writeHead(400, { 'content-length': '0', connection: 'close' }).end();
      return;
    }
    const port = httpsPort === 443 ? '' : `:${httpsPort}`;
    res.writeHead(301, { location: `https://${m[1]}${port}${path}`, 'content-length': '0', 'cache-control': 'no-store', connection: 'close' }).end();
  });
  server.keepAliveTimeout = limits.keepAliveTimeout;
  return server;
}
