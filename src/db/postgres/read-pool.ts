import pg from 'pg';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { poolConfig, type PostgresOptions } from './connection-options.ts';
import { isConnectionFailure, NamedStatementClient, unavailable } from './connect.ts';
import type { NamedStatements } from './statement-cache.ts';

/** Connections that serve budgeted reads, beside the main pool of 10 (which writes and migrates). */
export const READ_POOL_SIZE = 5;

export interface ReadPool {
  read(sql: string, parameters: readonly unknown[], deadline: number): Promise<unknown[]>;
  end(): Promise<void>;
}

const timeout = (retryAfter: number): StrongboxError => new StrongboxError('ERR_QUERY_TIMEOUT', undefined, { retryAfter });

/**
 * The record reads' own pool: every session has `statement_timeout` = the read budget, so the
 * server cancels a read past it (SQLSTATE 57014) and its CPU is freed; writes and migrations use
 * the main pool and are never cut short. The caller is answered at its deadline either way (a
 * page and its count share one budget), and a read that waits for a connection past it is
 * refused. Committed writes are visible here at once, as on any other connection.
 */
export function openReadPool(url: string, password: string | undefined, opts: PostgresOptions, statements: NamedStatements, budgetMs: number): ReadPool {
  const pool = new pg.Pool({ ...poolConfig(url, password, { ...opts, poolSize: READ_POOL_SIZE }), statement_timeout: budgetMs });
  pool.on('error', () => undefined);
  const clients = new WeakMap<pg.PoolClient, NamedStatementClient>();
  const retryAfter = Math.ceil(budgetMs / 1000);
  return {
    async read(sql, parameters, deadline) {
      const left = deadline - Date.now();
      if (left <= 0) throw timeout(retryAfter);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(timeout(retryAfter)), left); });
      const work = (async () => {
        let raw: pg.PoolClient;
        try {
          raw = await pool.connect();
        } catch (err) {
          throw unavailable(err);
        }
        try {
          if (Date.now() >= deadline) throw timeout(retryAfter);
          let client = clients.get(raw);
          if (client === undefined) clients.set(raw, (client = new NamedStatementClient(raw, statements)));
          const result = await client.query<unknown>(sql, parameters);
          return result.rows;
        } catch (err) {
          if ((err as { code?: unknown }).code === '57014') throw timeout(retryAfter);
          if (err instanceof StrongboxError || !isConnectionFailure(err)) throw err;
          throw unavailable(err);
        } finally {
          raw.release();
        }
      })();
      work.catch(() => undefined); // answered by `late` first: its own failure is moot
      try {
        return await Promise.race([work, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    async end() {
      if (!pool.ending && !pool.ended) await pool.end();
    },
  };
}
