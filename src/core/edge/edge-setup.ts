import { resolve } from 'node:path';
import type { StrongboxConfig } from '../../config/config.ts';
import { ensureDevCertificates, type DevCertificates } from '../../crypto/dev-certificates.ts';
import type { TlsServerOptions } from '../../crypto/tls-options.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { cidrContains, parseCidr } from '../../util/cidr.ts';
import { loadTls } from './tls-material.ts';

/** How a server will speak: HTTPS with options, or plain HTTP (and why that is allowed). */
export type Transport =
  | { readonly kind: 'https'; readonly tls: TlsServerOptions; readonly dev: DevCertificates | null }
  | { readonly kind: 'plain'; readonly reason: 'dev-loopback' | 'trusted-proxy' };

export interface TransportOptions {
  /** `serve --dev --unsafe-plain-http`: plain HTTP on loopback, for tests and benchmarks only. */
  readonly unsafePlainHttp?: boolean;
  readonly isLoopback: (host: string) => boolean;
}

/**
 * Decides the transport, refusing what production must not do: listen.tls is served as
 * configured; `--dev` without it gets a local CA and a localhost certificate in data/tls/
 * (loopback hosts only); production without TLS needs listen.trustedProxies.
 */
export function chooseTransport(config: StrongboxConfig, opts: TransportOptions): Transport {
  const { host, tls, trustedProxies } = config.listen;
  if (tls !== null) return { kind: 'https', tls: loadTls(tls, host), dev: null };
  if (config.dev) {
    if (!opts.isLoopback(host)) {
      throw new StrongboxError('ERR_TLS_REQUIRED',
        `listen.tls is not configured; in dev mode the generated certificate covers only loopback hosts, not ${host}`);
    }
    if (opts.unsafePlainHttp === true) return { kind: 'plain', reason: 'dev-loopback' };
    const dev = ensureDevCertificates(resolve(config.baseDir, 'data'), host);
    return { kind: 'https', tls: loadTls({ cert: dev.cert, key: dev.key, keySource: 'data/tls/key.pem', minVersion: 'TLSv1.3' }, host), dev };
  }
  if (opts.unsafePlainHttp === true) throw new StrongboxError('ERR_USAGE', '--unsafe-plain-http is only for --dev on a loopback host');
  if (trustedProxies.length > 0) return { kind: 'plain', reason: 'trusted-proxy' };
  throw new StrongboxError('ERR_TLS_REQUIRED',
    'listen.tls is not configured; production serves HTTPS only (set listen.tls, or listen.trustedProxies when a proxy terminates TLS)');
}

const EVERYWHERE = ['0.0.0.0', '::', '0:0:0:0:0:0:0:0'];

/** True when /api/admin/ and /_/ answer any address: no admin.allow, and listening beyond loopback and private ranges. */
export function adminReachableFromEverywhere(config: StrongboxConfig, isLoopback: (host: string) => boolean): boolean {
  if (config.admin.allow.length > 0) return false;
  const host = config.admin.listen?.host ?? config.listen.host;
  if (isLoopback(host)) return false;
  const priv = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'].map((c) => parseCidr(c)!);
  if (!EVERYWHERE.includes(host) && priv.some((c) => cidrContains(c, host))) return false;
  return true;
}
