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

/**
 * Fastify/pino logger options with redaction always on. `true` gives the defaults; an object
 * is merged over them, but its own `redact` cannot switch redaction off.
 */
export function loggerOptions(logger: boolean | Record<string, unknown> | undefined): false | Record<string, unknown> {
  if (logger === undefined || logger === false) return false;
  const base: Record<string, unknown> = { level: 'info' };
  const extra = logger === true ? {} : logger;
  return { ...base, ...extra, redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } };
}
