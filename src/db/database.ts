import type { Kysely } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/**
 * An open database. `kysely` is typed loosely because tables come from the live schema;
 * every value still goes through Kysely's bound parameters.
 */
export interface Database {
  readonly dialect: Dialect;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly kysely: Kysely<any>;
  /**
   * Runs a compiled read synchronously when that is safe and cheaper than Kysely's connection
   * hand-off: on SQLite with no transaction open (one connection, so a read during another
   * request's transaction would see its uncommitted rows). Undefined when it did not run.
   */
  readNow?(sql: string, parameters: readonly unknown[]): unknown[] | undefined;
  close(): Promise<void>;
}
