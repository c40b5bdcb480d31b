import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';

/** Levels at which Fastify's own per-request lines ("incoming request", "request completed") are wanted. */
const REQUEST_LOGGING_LEVELS = new Set(['trace', 'debug', 'info']);

/**
 * How a server logs, from loggerOptions(): which logger Fastify gets, and the one Strongbox's
 * own lines (5xx causes, rejected requests, lost denied events) go to.
 *
 * Fastify is given a logger only when its per-request lines are wanted (level info or below).
 * With any logger at all, Fastify adds to every request a child logger, two clock reads, and
 * 'finish' and 'error' listeners on the response, even when it logs nothing: about 5% of a read
 * by id. At warn and above (`serve`'s level) Fastify runs without one, and Strongbox's lines go
 * to a pino logger of their own with the same options (level, redaction, serializers, stream).
 * What that leaves out is Fastify's own warnings about misuse of its API ("reply already sent"),
 * which the tests, run at info and trace, still show.
 */
export interface ServerLog {
  /** the `logger` option for Fastify */
  readonly fastify: false | Record<string, unknown>;
  /** Strongbox's own logger when Fastify has none; null to use Fastify's (app.log) */
  readonly own: FastifyBaseLogger | null;
}

export function serverLog(options: false | Record<string, unknown>): ServerLog {
  if (options === false) return { fastify: false, own: null };
  if (REQUEST_LOGGING_LEVELS.has(String(options.level))) return { fastify: options, own: null };
  const { stream, ...rest } = options as Record<string, unknown> & { stream?: pino.DestinationStream };
  return { fastify: false, own: (stream === undefined ? pino(rest) : pino(rest, stream)) as unknown as FastifyBaseLogger };
}
