import type { StrongboxConfig } from './config.ts';
import type { IssueSink, KeyPath } from './config-error.ts';
import { parseDuration, parseSize } from './parse-units.ts';
import { checkKeys, expectMap, own, readBool, readInt, type RawMap } from './read-value.ts';

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
} as const;

/** Host names and IP literals only (`::1`, not `[::1]`); nothing that could smuggle options. */
const HOST_PATTERN = /^[A-Za-z0-9.:%-]{1,253}$/;

/** Absent keys take their default, so `map` may be undefined. */
function section(raw: unknown, path: KeyPath, sink: IssueSink, allowed: readonly string[]): RawMap {
  if (raw === undefined || raw === null) return {};
  const map = expectMap(raw, path, sink);
  if (!map) return {};
  checkKeys(map, allowed, path, sink, path.join('.'));
  return map;
}

/** listen: { host (default 127.0.0.1), port (default 8443; 0 = any free port) } */
export function parseListen(raw: unknown, sink: IssueSink): StrongboxConfig['listen'] {
  const path = ['listen'];
  const map = section(raw, path, sink, ['host', 'port']);
  let host: string = SETTINGS_DEFAULTS.host;
  const rawHost = own(map, 'host');
  if (rawHost !== undefined) {
    if (typeof rawHost === 'string' && HOST_PATTERN.test(rawHost)) host = rawHost;
    else sink.add([...path, 'host'], 'expected a host name or IP address such as 127.0.0.1');
  }
  const port = readInt(map, 'port', path, sink, { min: 0, max: 65_535 }, SETTINGS_DEFAULTS.port);
  return { host, port };
}

/** auth: { register (default true in dev, false otherwise), sessionTtl (duration, default 12h, 5m..30d) } */
export function parseAuth(raw: unknown, dev: boolean, sink: IssueSink): StrongboxConfig['auth'] {
  const path = ['auth'];
  const map = section(raw, path, sink, ['register', 'sessionTtl']);
  const register = readBool(map, 'register', path, sink, dev);
  let sessionTtl: number = SETTINGS_DEFAULTS.sessionTtl;
  const rawTtl = own(map, 'sessionTtl');
  if (rawTtl !== undefined) {
    const seconds = parseDuration(rawTtl);
    if (seconds === null) sink.add([...path, 'sessionTtl'], "expected a duration such as '30m', '12h' or '7d'");
    else if (seconds < SETTINGS_DEFAULTS.sessionTtlMin || seconds > SETTINGS_DEFAULTS.sessionTtlMax) {
      sink.add([...path, 'sessionTtl'], 'must be between 5m and 30d');
    } else sessionTtl = seconds;
  }
  return { register, sessionTtl };
}

/** limits: { bodyLimit (size, default 1mb, 1kb..16mb), perPageDefault (30), perPageMax (500, ≤ 1000) } */
export function parseLimits(raw: unknown, sink: IssueSink): StrongboxConfig['limits'] {
  const path = ['limits'];
  const map = section(raw, path, sink, ['bodyLimit', 'perPageDefault', 'perPageMax']);
  let bodyLimit: number = SETTINGS_DEFAULTS.bodyLimit;
  const rawBody = own(map, 'bodyLimit');
  if (rawBody !== undefined) {
    const bytes = parseSize(rawBody);
    if (bytes === null) sink.add([...path, 'bodyLimit'], "expected a size such as '512kb' or '1mb'");
    else if (bytes < SETTINGS_DEFAULTS.bodyLimitMin || bytes > SETTINGS_DEFAULTS.bodyLimitMax) {
      sink.add([...path, 'bodyLimit'], 'must be between 1kb and 16mb');
    } else bodyLimit = bytes;
  }
  const ceiling = { min: 1, max: SETTINGS_DEFAULTS.perPageCeiling };
  const perPageMax = readInt(map, 'perPageMax', path, sink, ceiling, SETTINGS_DEFAULTS.perPageMax);
  const perPageDefault = readInt(map, 'perPageDefault', path, sink, ceiling, Math.min(SETTINGS_DEFAULTS.perPageDefault, perPageMax));
  if (perPageDefault > perPageMax) sink.add([...path, 'perPageDefault'], 'must not exceed limits.perPageMax');
  return { bodyLimit, perPageMax, perPageDefault };
}
