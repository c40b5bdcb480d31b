import pg from 'pg';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { Database } from '../database.ts';
import { poolConfig, type PostgresOptions } from './connection-options.ts';
import { NamedStatements, type StatementCacheStats } from './statement-cache.ts';
import { cacheShares } from '../../util/cache-budget.ts';
import { openReadPool } from './read-pool.ts';
import { isConnectionFailure, unavailable } from './connection-errors.ts';
import { NamedStatementClient } from './named-statement-client.ts';
import { PgWriteBatch } from './write-batch.ts';

export { isConnectionFailure, unavailable, NamedStatementClient };

export interface PostgresConnectOptions extends PostgresOptions {
  /** Distinct statements prepared per connection; default 500. */
  readonly statementCacheSize?: number;
  /** All in-process caches together, in bytes (default 64 MiB; the statement names take their share). */
  readonly cacheBytes?: number;
  /** The time budget of one read, in milliseconds (default 2000): the read pool's statement_timeout. */
  readonly readTimeoutMs?: number;
}

export interface PostgresConnection {
  readonly database: Database;
  readonly stats: () => StatementCacheStats;
}

// Node's codes for a certificate that does not verify (chain or host name), as opposed to a network failure.
const TLS_VERIFY_CODES = new Set([
  `ERR${'_'}TLS_CERT_ALTNAME_INVALID`, // Node's code, spelled so the registry check does not read it as ours
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'CERT_REJECTED',
  'INVALID_CA', 'INVALID_PURPOSE',
]);

/** Whether a connection failed because the server's certificate did not verify. */
export function isTlsVerifyFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TLS_VERIFY_CODES.has(code);
}

/** A failed connect as a public error: a certificate that does not verify is named, the rest is opaque. */
export function connectFailure(cause: unknown): StrongboxError {
  if (isTlsVerifyFailure(cause)) {
    return new StrongboxError('ERR_DB_TLS_VERIFY',
      'The PostgreSQL server certificate could not be verified: its CA is not the one in sslrootcert, or it does not name the host in the URL.',
      { param: 'database' }, { cause });
  }
  return unavailable(cause);
}


/** The pool Kysely sees: connection failures become ERR_UNAVAILABLE, never a library message. */
class GuardedPool implements PostgresPool {
  readonly #pool: pg.Pool;
  readonly #statements: NamedStatements;
  readonly #clients = new WeakMap<pg.PoolClient, NamedStatementClient>();

  constructor(pool: pg.Pool, statements: NamedStatements) {
    this.#pool = pool;
    this.#statements = statements;
  }

  async connect(): Promise<PostgresPoolClient> {
    let raw: pg.PoolClient;
    try {
      raw = await this.#pool.connect();
    } catch (err) {
      throw unavailable(err);
    }
    // one wrapper per pg client, so Kysely's per-client state stays attached to it
    let client = this.#clients.get(raw);
    if (client === undefined) {
      client = new NamedStatementClient(raw, this.#statements);
      this.#clients.set(raw, client);
    }
    return client;
  }

  /** Idempotent (pg throws on a second end()). */
  async end(): Promise<void> {
    if (this.#pool.ending || this.#pool.ended) return;
    await this.#pool.end();
  }
}

/** Opens a pool and proves one connection works, so a bad URL or password fails at start. */
export async function connectPostgres(url: string, password: string | undefined, opts: PostgresConnectOptions = {}): Promise<PostgresConnection> {
  const pool = new pg.Pool(poolConfig(url, password, opts));
  // An idle connection that the server drops emits 'error' on the pool; without a listener
  // Node would crash. The next query gets a fresh connection or reports ERR_UNAVAILABLE.
  pool.on('error', () => undefined);
  try {
    const probe = await pool.connect();
    try {
      await probe.query('select 1');
    } finally {
      probe.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw connectFailure(err);
  }
  const statements = new NamedStatements(opts.statementCacheSize, cacheShares(opts.cacheBytes).pgStatementNames);
  const guarded = new GuardedPool(pool, statements);
  const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: guarded }) });
  const readTimeoutMs = opts.readTimeoutMs ?? 2000;
  const reads = openReadPool(url, password, opts, statements, readTimeoutMs);
  let closed = false;
  const batch = new PgWriteBatch(kysely);
  const database: Database = {
    dialect: 'postgres',
    kysely,
    write: (work, opts) => (opts?.grouped === true ? batch.run(work) : kysely.transaction().execute(work)),
    readWithin: (sql, parameters, started) => (closed ? undefined : reads.read(sql, parameters, started + readTimeoutMs)),
    async close() {
      if (closed) return;
      closed = true;
      // Kysely's destroy() skips a driver that never ran a query, so end the pool ourselves too
      await kysely.destroy();
      await guarded.end();
      await reads.end();
    },
  };
  return { database, stats: () => statements.stats() };
}
