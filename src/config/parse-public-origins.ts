import type { IssueSink, KeyPath } from './config-error.ts';
import { normalizeOrigin } from './parse-edge.ts';
import { describe, own, type RawMap } from './read-value.ts';

export const PUBLIC_ORIGINS_MAX = 32;

/** Hosts whose pages only this machine can serve: the one place plain `http:` is accepted. */
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3})$/i;

/**
 * listen.publicOrigins: the origins browsers reach this server at (`https://vault.example.com`),
 * which a cookie-session state change's Origin must be one of (src/http/cross-site-check.ts).
 * Exact origins only; `https:` except on loopback hosts (cookies are Secure, and a listed
 * `http:` origin would accept changes from a page anyone on the network can forge).
 * Absent or empty: the address the request arrived on (see the check).
 */
export function parsePublicOrigins(map: RawMap, path: KeyPath, sink: IssueSink): string[] {
  const list = own(map, 'publicOrigins');
  const at = [...path, 'publicOrigins'];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    sink.add(at, `expected a list of origins such as 'https://vault.example.com', got ${describe(list)}`);
    return [];
  }
  if (list.length > PUBLIC_ORIGINS_MAX) sink.add(at, `at most ${PUBLIC_ORIGINS_MAX} origins`);
  const origins: string[] = [];
  list.slice(0, PUBLIC_ORIGINS_MAX).forEach((item, i) => {
    const o = normalizeOrigin(item);
    if (item === '*' || item === 'null') sink.add([...at, i], `'${item}' is never allowed: list exact origins such as 'https://vault.example.com'`);
    else if (o === null) sink.add([...at, i], "expected an origin such as 'https://vault.example.com' (scheme, host, optional port; no path)");
    else if (o.startsWith('http:') && !LOOPBACK_HOST.test(new URL(o).hostname)) {
      sink.add([...at, i], 'must be https: (plain http: only for localhost or 127.x.x.x)');
    } else if (!origins.includes(o)) origins.push(o);
  });
  return origins;
}
