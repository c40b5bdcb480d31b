import type { StrongboxConfig } from './config.ts';
import type { IssueSink, KeyPath } from './config-error.ts';
import { parseDuration, parseSize } from './parse-units.ts';
import { own, readBool, readInt, section, type RawMap } from './read-value.ts';
import { LIMITS_EDGE_KEYS, LISTEN_EDGE_KEYS, parseEdgeLimits, parseListenEdge } from './parse-edge.ts';
import { parseSignIn, SIGN_IN_KEYS } from './parse-sign-in.ts';
import { parsePublicOrigins } from './parse-public-origins.ts';

/** Defaults are the safe choice; each carries its unit. */
export const SETTINGS_DEFAULTS = {
  host: '127.0.0.1', // loopback only until told otherwise
  port: 8443,
  sessionTtl: 12 * 3600, // seconds (12h)
  sessionTtlMin: 5 * 60, // seconds (5m)
  sessionTtlMax: 30 * 86_400, // seconds (30d)
  bodyLimit: 1024 * 1024, // bytes (1 MiB)
  bodyLimitMin: 1024, // bytes (1 KiB)
  bodyLimitMax: 16 * 1024 * 1024, // bytes (16 MiB)
  perPageDefault: 30, // records
  perPageMax: 500, // records
  perPageCeiling: 1000, // records: the largest perPageMax a config may set
  cacheMemory: 64 * 1024 * 1024, // bytes (64 MiB): every in-process cache together
  cacheMemoryMin: 4 * 1024 * 1024, // bytes (4 MiB)
  cacheMemoryMax: 1024 * 1024 * 1024, // bytes (1 GiB)
  readTimeout: 2, // seconds: the time budget of one read
  readTimeoutMin: 1, // seconds
  readTimeoutMax: 60, // seconds
} as const;

/** Host names and IP literals only (`::1`, not `[::1]`); nothing that could smuggle options. */
const HOST_PATTERN = /^[A-Za-z0-9.:%-]{1,253}$/;

/** Absent keys take their default, so `map` may be undefined. */
interface UnitRule {
  readonly parse: (raw: unknown) => number | null;
  readonly expected: string;
  readonly min: number;
  readonly max: number;
  readonly range: string;
}

/** A value with a unit ('12h', '1mb'), in range; the fallback when absent or wrong. */
function readUnit(map: RawMap, key: string, path: KeyPath, sink: IssueSink, rule: UnitRule, fallback: number): number {
  const raw = own(map, key);
  if (raw === undefined) return fallback;
  const value = rule.parse(raw);
  if (value === null) sink.add([...path, key], rule.expected);
  else if (value < rule.min || value > rule.max) sink.add([...path, key], rule.range);
  else return value;
  return fallback;
}

/** listen: { host (default 127.0.0.1), port (default 8443; 0 = any free port), publicOrigins ([] = the request's own address), edge keys } */
export function parseListen(raw: unknown, sink: IssueSink, baseDir: string, env: NodeJS.ProcessEnv): StrongboxConfig['listen'] {
  const path = ['listen'];
  const map = section(raw, path, sink, ['host', 'port', 'publicOrigins', ...LISTEN_EDGE_KEYS]);
  let host: string = SETTINGS_DEFAULTS.host;
  const rawHost = own(map, 'host');
  if (rawHost !== undefined) {
    if (typeof rawHost === 'string' && HOST_PATTERN.test(rawHost)) host = rawHost;
    else sink.add([...path, 'host'], 'expected a host name or IP address such as 127.0.0.1');
  }
  const port = readInt(map, 'port', path, sink, { min: 0, max: 65_535 }, SETTINGS_DEFAULTS.port);
  return { host, port, ...parseListenEdge(map, baseDir, env, sink), publicOrigins: parsePublicOrigins(map, path, sink) };
}

/** auth: { register (default true in dev, false otherwise), sessionTtl (absolute session lifetime, default 12h, 5m..30d), sign-in settings (parse-sign-in.ts) } */
export function parseAuth(raw: unknown, dev: boolean, sink: IssueSink): StrongboxConfig['auth'] {
  const path = ['auth'];
  const map = section(raw, path, sink, ['register', 'sessionTtl', ...SIGN_IN_KEYS]);
  const register = readBool(map, 'register', path, sink, dev);
  const sessionTtl = readUnit(map, 'sessionTtl', path, sink, {
    parse: parseDuration, expected: "expected a duration such as '30m', '12h' or '7d'",
    min: SETTINGS_DEFAULTS.sessionTtlMin, max: SETTINGS_DEFAULTS.sessionTtlMax, range: 'must be between 5m and 30d',
  }, SETTINGS_DEFAULTS.sessionTtl);
  return { register, sessionTtl, ...parseSignIn(map, path, sink) };
}

/** limits: { bodyLimit (size, default 1mb, 1kb..16mb), perPageDefault (30), perPageMax (500, ≤ 1000) } */
export function parseLimits(raw: unknown, sink: IssueSink): StrongboxConfig['limits'] {
  const path = ['limits'];
  const map = section(raw, path, sink, ['bodyLimit', 'perPageDefault', 'perPageMax', 'cacheMemory', 'readTimeout', ...LIMITS_EDGE_KEYS]);
  const bodyLimit = readUnit(map, 'bodyLimit', path, sink, {
    parse: parseSize, expected: "expected a size such as '512kb' or '1mb'",
    min: SETTINGS_DEFAULTS.bodyLimitMin, max: SETTINGS_DEFAULTS.bodyLimitMax, range: 'must be between 1kb and 16mb',
  }, SETTINGS_DEFAULTS.bodyLimit);
  const ceiling = { min: 1, max: SETTINGS_DEFAULTS.perPageCeiling };
  const perPageMax = readInt(map, 'perPageMax', path, sink, ceiling, SETTINGS_DEFAULTS.perPageMax);
  const perPageDefault = readInt(map, 'perPageDefault', path, sink, ceiling, Math.min(SETTINGS_DEFAULTS.perPageDefault, perPageMax));
  if (perPageDefault > perPageMax) sink.add([...path, 'perPageDefault'], 'must not exceed limits.perPageMax');
  const cacheMemory = readUnit(map, 'cacheMemory', path, sink, {
    parse: parseSize, expected: "expected a size such as '64mb'",
    min: SETTINGS_DEFAULTS.cacheMemoryMin, max: SETTINGS_DEFAULTS.cacheMemoryMax, range: 'must be between 4mb and 1024mb',
  }, SETTINGS_DEFAULTS.cacheMemory);
  const readTimeout = readUnit(map, 'readTimeout', path, sink, {
    parse: parseDuration, expected: "expected a duration such as '2s'",
    min: SETTINGS_DEFAULTS.readTimeoutMin, max: SETTINGS_DEFAULTS.readTimeoutMax, range: 'must be between 1s and 60s',
  }, SETTINGS_DEFAULTS.readTimeout);
  return { bodyLimit, perPageMax, perPageDefault, cacheMemory, readTimeout, ...parseEdgeLimits(map, sink) };
}
