import type { DatabaseConfig } from '../../config/config.ts';
import { poolConfig } from '../postgres/connection-options.ts';

/**
 * Where a verify worker (src/core/audit/audit-verify-worker.mjs) reads chain links from, in a
 * form a worker thread can receive (structured clone: no functions). audit-link-pages.mjs opens it.
 */
export type LinkSourceSpec =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'postgres'; readonly client: Record<string, unknown> };

/**
 * The spec for the configured database, or null where a second connection cannot see the same
 * data (an in-memory SQLite database). PostgreSQL: the pool's own settings (TLS as the URL says),
 * one connection, without the pool-only options and the type parsers (links are text and numbers).
 */
export function linkSourceFor(cfg: DatabaseConfig): LinkSourceSpec | null {
  if (cfg.kind === 'sqlite') return cfg.path === ':memory:' || cfg.path === '' ? null : { dialect: 'sqlite', path: cfg.path };
  const { types: _types, max: _max, idleTimeoutMillis: _idle, allowExitOnIdle: _exit, ...client } = poolConfig(cfg.url, cfg.password, { poolSize: 1 });
  let ssl = client.ssl;
  let skipHostCheck = false;
  if (ssl !== undefined && typeof ssl === 'object') {
    const { checkServerIdentity, ...rest } = ssl as Record<string, unknown>;
    skipHostCheck = typeof checkServerIdentity === 'function';
    ssl = rest;
  }
  return { dialect: 'postgres', client: { ...client, ssl, skipHostCheck, application_name: `${client.application_name ?? 'strongbox'}-verify` } };
}
