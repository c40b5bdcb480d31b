import type { FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import { StrongboxError } from '../errors/strongbox-error.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1)$/;

/**
 * The origins of the address this request arrived on: what a browser shows when it reached the
 * server by IP (`https://192.0.2.7:8443`), plus `localhost` on a loopback address. Read from the
 * socket, never from a header the client wrote.
 */
function socketOrigins(req: FastifyRequest): string[] {
  const socket = req.raw.socket;
  let address = socket.localAddress;
  const port = socket.localPort;
  if (address === undefined || port === undefined) return [];
  if (address.startsWith('::ffff:') && address.includes('.')) address = address.slice(7);
  const scheme = (socket as TLSSocket).encrypted === true ? 'https:' : 'http:';
  const host = address.includes(':') ? `[${address.replace(/%.*$/, '')}]` : address;
  const origins = [new URL(`${scheme}//${host}:${port}`).origin];
  if (LOOPBACK.test(address)) origins.push(new URL(`${scheme}//localhost:${port}`).origin);
  return origins;
}

/**
 * The edge's last check (EdgeHookOptions.after): Fetch Metadata and Origin for state-changing
 * requests without an Authorization header (a browser's ambient credentials).
 * `Sec-Fetch-Site: cross-site` is refused; an `Origin` must be one of `publicOrigins`
 * (listen.publicOrigins), or, when none are configured, the origin of the address the request
 * arrived on. The Host header is never the reference: whoever sends the request writes it
 * (a DNS-rebinding page, a proxy that forwards it), so comparing Origin with Host proves nothing.
 * Non-browser clients send neither header and pass; Bearer requests carry no ambient credential.
 */
export function crossSiteCheck(publicOrigins: readonly string[]): (req: FastifyRequest) => void {
  const listed = publicOrigins.length > 0 ? new Set(publicOrigins) : null;
  return (req) => {
    if (SAFE_METHODS.has(req.method) || req.headers.authorization !== undefined) return;
    if (req.headers['sec-fetch-site'] === 'cross-site') throw new StrongboxError('ERR_CSRF');
    const origin = req.headers.origin;
    if (origin === undefined) return;
    let o: string;
    try {
      o = new URL(origin).origin;
    } catch {
      throw new StrongboxError('ERR_CSRF');
    }
    // `Origin: null` (sandboxed or privacy-redirected pages) parses to the origin 'null': never listed.
    const ok = o !== 'null' && (listed !== null ? listed.has(o) : socketOrigins(req).includes(o));
    if (!ok) throw new StrongboxError('ERR_CSRF');
  };
}
