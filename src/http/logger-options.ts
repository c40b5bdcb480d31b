/** Paths pino blanks out: credentials and anything named like a password or token. */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'body.password',
  'body.token',
  '*.password',
  '*.password_hash',
  '*.token',
];

/** A request URL as logged: the path only. Query strings carry filters, and a filter may hold a sensitive value (`ssn = "…"`). */
export function loggedUrl(url: string | undefined): string {
  if (typeof url !== 'string') return '';
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?[query redacted]`;
}

interface LoggedRequest { method?: string; url?: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }

/**
 * Fastify/pino logger options with redaction always on. `true` gives the defaults; an object
 * is merged over them, but its own `redact` cannot switch redaction off.
 */
export function loggerOptions(logger: boolean | Record<string, unknown> | undefined): false | Record<string, unknown> {
  if (logger === undefined || logger === false) return false;
  const base: Record<string, unknown> = { level: 'info' };
  const extra = logger === true ? {} : logger;
  const serializers = {
    ...(extra.serializers as Record<string, unknown> | undefined),
    req: (req: LoggedRequest) => ({ method: req.method, url: loggedUrl(req.url), hostname: req.hostname, remoteAddress: req.ip, remotePort: req.socket?.remotePort }),
  };
  return { ...base, ...extra, serializers, redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } };
}
