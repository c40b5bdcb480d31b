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
  close(): Promise<void>;
}
