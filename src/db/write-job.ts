import type { Kysely } from 'kysely';

/** The executor a write batch hands its jobs (SQLite's and PostgreSQL's group commit). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Executor = Kysely<any>;

/** One caller's write waiting in a batch, with how to answer it. */
export interface Job {
  readonly work: (trx: Executor) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/** How one job of a batch ended, held until the batch's COMMIT decides what its caller hears. */
export type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly err: unknown };
