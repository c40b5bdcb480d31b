import { isAbsolute, resolve } from 'node:path';
import type { IssueSink, KeyPath } from './config-error.ts';
import type {
  AdminConfig, CorsConfig, EdgeLimits, HstsConfig, ListenEdgeConfig, RateLimitConfig, RateLimitRule, TlsConfig,
} from './edge-config.ts';
import { parseDuration, parseSize } from './parse-units.ts';
import { describe, own, readBool, readInt, section, type RawMap } from './read-value.ts';
import { parseCidr, type Cidr } from '../util/cidr.ts';
import { MTLS_KEYS, parseMtls } from './parse-mtls.ts';

/** Safe defaults of the edge, each with its unit (docs/edge.md lists them). */
export const EDGE_DEFAULTS = {
  hstsMaxAge: 2 * 365 * 86_400, // seconds (2 years)
  hstsMinAge: 365 * 86_400, // seconds (1 year): less is refused
  corsMaxAge: 600, // seconds
  window: 60, // seconds
  auth: { ip: 30, account: 0 }, // per window; sign-in throttling per account is its own feature
  write: { ip: 600, account: 300 },
  read: { ip: 3000, account: 1200 },
  headerSize: 16 * 1024, // bytes
  urlLength: 8 * 1024, // bytes
  queryParams: 32,
  jsonDepth: 32, // levels
  headersTimeout: 10_000, // ms
  requestTimeout: 30_000, // ms
  keepAliveTimeout: 5_000, // ms
  connectionsPerIp: 64,
  maxEventLoopDelay: 1000, // ms
} as const;

/** The listen keys this file owns. */
export const LISTEN_EDGE_KEYS = ['tls', 'redirectHttp', 'trustedProxies'] as const;
export const LIMITS_EDGE_KEYS = ['headerSize', 'urlLength', 'queryParams', 'jsonDepth', 'headersTimeout',
  'requestTimeout', 'keepAliveTimeout', 'connectionsPerIp', 'maxEventLoopDelay'] as const;

/** Everything there is, which a trusted-proxy or admin list must never be. */
const EVERYWHERE = /^(0\.0\.0\.0|::|0:0:0:0:0:0:0:0)\/0$/;

function readPath(map: RawMap, key: string, path: KeyPath, sink: IssueSink, baseDir: string): string | null {
  const value = own(map, key);
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value === '' || value.length > 4096 || value.includes('\0')) {
    sink.add([...path, key], 'expected a file path');
    return null;
  }
  return isAbsolute(value) ? value : resolve(baseDir, value);
}

/** A list of CIDRs (or single addresses); `everything` refuses 0.0.0.0/0 and ::/0. */
export function readCidrs(map: RawMap, key: string, path: KeyPath, sink: IssueSink, what: string): Cidr[] {
  const value = own(map, key);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    sink.add([...path, key], `expected a list of addresses or CIDR ranges, got ${describe(value)}`);
    return [];
  }
  const out: Cidr[] = [];
  value.forEach((item, i) => {
    const cidr = typeof item === 'string' ? parseCidr(item) : null;
    if (cidr === null) sink.add([...path, key, i], "expected an address or CIDR range such as '10.0.0.0/8' (host bits clear)");
    else if (EVERYWHERE.test(cidr.text) || cidr.prefix === 0) sink.add([...path, key, i], `${what} must not include every address`);
    else out.push(cidr);
  });
  return out;
}

function readMs(map: RawMap, key: string, path: KeyPath, sink: IssueSink, min: number, max: number, fallback: number): number {
  const value = own(map, key);
  if (value === undefined) return fallback;
  const m = typeof value === 'string' ? /^(\d{1,9})(ms|s|m)$/.exec(value.trim()) : null;
  const ms = m === null ? null : Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
  if (ms === null) sink.add([...path, key], "expected a duration such as '500ms', '10s' or '1m'");
  else if (ms < min || ms > max) sink.add([...path, key], `must be between ${min} ms and ${max} ms`);
  else return ms;
  return fallback;
}

function readSizeIn(map: RawMap, key: string, path: KeyPath, sink: IssueSink, min: number, max: number, fallback: number): number {
  const value = own(map, key);
  if (value === undefined) return fallback;
  const n = parseSize(value);
  if (n === null) sink.add([...path, key], "expected a size such as '8kb'");
  else if (n < min || n > max) sink.add([...path, key], `must be between ${min} and ${max} bytes`);
  else return n;
  return fallback;
}

/** listen.tls, listen.redirectHttp, listen.trustedProxies (the rest of listen is parse-settings.ts). */
export function parseListenEdge(map: RawMap, baseDir: string, env: NodeJS.ProcessEnv, sink: IssueSink): Omit<ListenEdgeConfig, 'publicOrigins'> {
  const path = ['listen'];
  let tls: TlsConfig | null = null;
  const rawTls = own(map, 'tls');
  const envKey = env.STRONGBOX_TLS_KEY_FILE;
  if (rawTls !== undefined && rawTls !== null) {
    const tpath = [...path, 'tls'];
    const t = section(rawTls, tpath, sink, ['cert', 'key', 'minVersion', ...MTLS_KEYS]);
    const cert = readPath(t, 'cert', tpath, sink, baseDir);
    const fromEnv = typeof envKey === 'string' && envKey !== '';
    const key = fromEnv ? resolve(envKey) : readPath(t, 'key', tpath, sink, baseDir);
    if (cert === null) sink.add(tpath, 'needs cert (a PEM certificate chain file)');
    if (key === null) sink.add(tpath, 'needs key (a PEM private key file), or STRONGBOX_TLS_KEY_FILE');
    const v = own(t, 'minVersion');
    let minVersion: TlsConfig['minVersion'] = 'TLSv1.3';
    if (v === '1.2' || v === 1.2) minVersion = 'TLSv1.2';
    else if (v !== undefined && v !== '1.3' && v !== 1.3) sink.add([...tpath, 'minVersion'], "expected '1.3' (default) or '1.2'");
    const mtls = parseMtls(t, tpath, sink, (k) => readPath(t, k, tpath, sink, baseDir));
    if (cert !== null && key !== null) tls = { cert, key, keySource: fromEnv ? 'STRONGBOX_TLS_KEY_FILE' : 'listen.tls.key', minVersion, ...mtls };
  }
  const rawRedirect = own(map, 'redirectHttp');
  const redirectHttp = rawRedirect === undefined || rawRedirect === null
    ? null : readInt(map, 'redirectHttp', path, sink, { min: 0, max: 65_535 }, 0);
  const trustedProxies = readCidrs(map, 'trustedProxies', path, sink, 'listen.trustedProxies');
  return { tls, redirectHttp, trustedProxies };
}

/** hsts: { maxAge (duration ≥ 365d, default 730d), includeSubDomains (true), preload (false) } */
export function parseHsts(raw: unknown, sink: IssueSink): HstsConfig {
  const path = ['hsts'];
  const map = section(raw, path, sink, ['maxAge', 'includeSubDomains', 'preload']);
  let maxAge: number = EDGE_DEFAULTS.hstsMaxAge;
  const rawAge = own(map, 'maxAge');
  if (rawAge !== undefined) {
    const s = parseDuration(rawAge);
    if (s === null) sink.add([...path, 'maxAge'], "expected a duration such as '365d'");
    else if (s < EDGE_DEFAULTS.hstsMinAge || s > 10 * 365 * 86_400) sink.add([...path, 'maxAge'], 'must be between 365d and 3650d');
    else maxAge = s;
  }
  return {
    maxAge,
    includeSubDomains: readBool(map, 'includeSubDomains', path, sink, true),
    preload: readBool(map, 'preload', path, sink, false),
  };
}

/** An origin exactly as a browser sends it: scheme, host, optional port; nothing else. */
export function normalizeOrigin(text: unknown): string | null {
  if (typeof text !== 'string' || text.length > 300) return null;
  if (!/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(text)) return null;
  let url: URL;
  try { url = new URL(text); } catch { return null; }
  if (url.hostname === '' || url.hostname.startsWith('.') || url.hostname.endsWith('.')) return null;
  return url.origin;
}

/** cors: { origins ([] = off), credentials (false), maxAge (duration, 10m) } */
export function parseCors(raw: unknown, sink: IssueSink): CorsConfig {
  const path = ['cors'];
  const map = section(raw, path, sink, ['origins', 'credentials', 'maxAge']);
  const origins: string[] = [];
  const list = own(map, 'origins');
  if (list !== undefined && list !== null && !Array.isArray(list)) sink.add([...path, 'origins'], `expected a list of origins, got ${describe(list)}`);
  if (Array.isArray(list)) {
    list.forEach((item, i) => {
      const o = normalizeOrigin(item);
      if (item === '*' || item === 'null') sink.add([...path, 'origins', i], `'${item}' is never allowed: list exact origins such as 'https://app.example.com'`);
      else if (o === null) sink.add([...path, 'origins', i], "expected an origin such as 'https://app.example.com' (scheme, host, optional port; no path)");
      else origins.push(o);
    });
  }
  let maxAge: number = EDGE_DEFAULTS.corsMaxAge;
  if (own(map, 'maxAge') !== undefined) {
    const s = parseDuration(own(map, 'maxAge'));
    if (s === null || s > 86_400) sink.add([...path, 'maxAge'], "expected a duration up to '1d'");
    else maxAge = s;
  }
  return { origins, credentials: readBool(map, 'credentials', path, sink, false), maxAge };
}

function parseRule(raw: unknown, path: KeyPath, sink: IssueSink, fallback: RateLimitRule): RateLimitRule {
  const map = section(raw, path, sink, ['ip', 'account']);
  const range = { min: 0, max: 100_000_000 };
  return { ip: readInt(map, 'ip', path, sink, range, fallback.ip), account: readInt(map, 'account', path, sink, range, fallback.account) };
}

/** rateLimit: { enabled (true), window (60s), store (auto), auth|write|read: { ip, account } } */
export function parseRateLimit(raw: unknown, sink: IssueSink): RateLimitConfig {
  const path = ['rateLimit'];
  const map = section(raw, path, sink, ['enabled', 'window', 'store', 'auth', 'write', 'read']);
  let window: number = EDGE_DEFAULTS.window;
  if (own(map, 'window') !== undefined) {
    const s = parseDuration(own(map, 'window'));
    if (s === null || s < 1 || s > 3600) sink.add([...path, 'window'], "expected a duration between '1s' and '1h'");
    else window = s;
  }
  const rawStore = own(map, 'store');
  let store: RateLimitConfig['store'] = 'auto';
  if (rawStore === 'memory' || rawStore === 'database' || rawStore === 'auto') store = rawStore;
  else if (rawStore !== undefined) sink.add([...path, 'store'], "expected 'auto', 'memory' or 'database'");
  return {
    enabled: readBool(map, 'enabled', path, sink, true),
    window,
    store,
    auth: parseRule(own(map, 'auth'), [...path, 'auth'], sink, EDGE_DEFAULTS.auth),
    write: parseRule(own(map, 'write'), [...path, 'write'], sink, EDGE_DEFAULTS.write),
    read: parseRule(own(map, 'read'), [...path, 'read'], sink, EDGE_DEFAULTS.read),
  };
}

const HOST_PATTERN = /^[A-Za-z0-9.:%-]{1,253}$/;

/** admin: { listen: { host, port } (separate listener), allow: [CIDR…] } */
export function parseAdmin(raw: unknown, sink: IssueSink): AdminConfig {
  const path = ['admin'];
  const map = section(raw, path, sink, ['listen', 'allow']);
  let listen: AdminConfig['listen'] = null;
  const rawListen = own(map, 'listen');
  if (rawListen !== undefined && rawListen !== null) {
    const lpath = [...path, 'listen'];
    const l = section(rawListen, lpath, sink, ['host', 'port']);
    const host = own(l, 'host');
    if (typeof host !== 'string' || !HOST_PATTERN.test(host)) sink.add([...lpath, 'host'], 'expected a host name or IP address such as 127.0.0.1');
    if (own(l, 'port') === undefined) sink.add(lpath, 'needs port');
    const port = readInt(l, 'port', lpath, sink, { min: 0, max: 65_535 }, 0);
    if (typeof host === 'string') listen = { host, port };
  }
  return { listen, allow: readCidrs(map, 'allow', path, sink, 'admin.allow') };
}

/** The edge's keys of `limits` (see EDGE_DEFAULTS for units and defaults). */
export function parseEdgeLimits(map: RawMap, sink: IssueSink): EdgeLimits {
  const path = ['limits'];
  const d = EDGE_DEFAULTS;
  return {
    headerSize: readSizeIn(map, 'headerSize', path, sink, 1024, 64 * 1024, d.headerSize),
    urlLength: readSizeIn(map, 'urlLength', path, sink, 256, 64 * 1024, d.urlLength),
    queryParams: readInt(map, 'queryParams', path, sink, { min: 1, max: 1000 }, d.queryParams),
    jsonDepth: readInt(map, 'jsonDepth', path, sink, { min: 2, max: 1000 }, d.jsonDepth),
    headersTimeout: readMs(map, 'headersTimeout', path, sink, 100, 120_000, d.headersTimeout),
    requestTimeout: readMs(map, 'requestTimeout', path, sink, 100, 600_000, d.requestTimeout),
    keepAliveTimeout: readMs(map, 'keepAliveTimeout', path, sink, 100, 600_000, d.keepAliveTimeout),
    connectionsPerIp: readInt(map, 'connectionsPerIp', path, sink, { min: 1, max: 100_000 }, d.connectionsPerIp),
    maxEventLoopDelay: readMs(map, 'maxEventLoopDelay', path, sink, 0, 60_000, d.maxEventLoopDelay),
  };
}

/** The edge defaults as one value, for configs built in code (tests, bench). */
export function defaultEdge(): { listen: ListenEdgeConfig; limits: EdgeLimits; hsts: HstsConfig; cors: CorsConfig; rateLimit: RateLimitConfig; admin: AdminConfig } {
  const sink = { add: () => undefined } as unknown as IssueSink;
  return {
    listen: { tls: null, redirectHttp: null, trustedProxies: [], publicOrigins: [] },
    limits: parseEdgeLimits({}, sink),
    hsts: parseHsts(undefined, sink),
    cors: parseCors(undefined, sink),
    rateLimit: parseRateLimit(undefined, sink),
    admin: parseAdmin(undefined, sink),
  };
}
