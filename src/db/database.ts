import type { Kysely } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/**
 * Statements run synchronously on SQLite's connection inside a write transaction
 * (a write batch's job, through batchWriterOf). They do not move `changeStamp`: they must never
 * write the tables a session is read from (sessions, accounts, API tokens); the audit trail and
 * collections' records are what they write.
 */
export interface SyncWriter {
  run(sql: string, parameters: readonly unknown[]): void;
  get(sql: string, parameters: readonly unknown[]): Record<string, unknown> | undefined;
  /** Every row a statement returns (an INSERT … RETURNING), or none for one that returns nothing. */
  all(sql: string, parameters: readonly unknown[]): Record<string, unknown>[];
}

export interface WriteOptions {
  /**
   * The work writes by inserting only (a record's create: it locks no existing row but the audit
   * head), so it may share a transaction with other such work on PostgreSQL without adding a
   * deadlock. SQLite batches every write already.
   */
  readonly grouped?: boolean;
}

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
   * hand-off: on SQLite unless another request's transaction is open (one connection, so such a
   * read would see its uncommitted rows). The reads of one event-loop turn share one read
   * transaction (sqlite/read-snapshot.ts). Undefined when it did not run.
   */
  readNow?(sql: string, parameters: readonly unknown[]): unknown[] | undefined;
  /**
   * Runs a read within its time budget, counted from `started` (Date.now() milliseconds), where
   * the dialect needs its own path for that: on SQLite a scan-shaped read (a `~`, or a plan that
   * visits every row) goes to a worker thread; on PostgreSQL every such read runs on connections
   * whose statements time out. Rejects with ERR_QUERY_TIMEOUT past the budget. Undefined: run it
   * as usual (a point lookup on SQLite stays on the event loop).
   */
  readWithin?(sql: string, parameters: readonly unknown[], started: number): Promise<unknown[]> | undefined;
  /**
   * A number that changes whenever a session may have changed since it was last read: a statement
   * this connection hands to Kysely, or a commit by any other connection or process (SQLite's
   * data_version). Equal stamps mean an equal session row (and account), so one read under a
   * stamp may be reused while the stamp holds. The SyncWriter's statements (audit appends, record
   * inserts) write no session and leave it. Undefined where the database cannot tell cheaply
   * (PostgreSQL).
   */
  changeStamp?(): number;
  /**
   * Runs a short write transaction and resolves once it is committed. SQLite: group-committed
   * with the other writes of the same event-loop turn, each in its own savepoint (a failing one
   * rolls back alone; sqlite/write-batch.ts), under BEGIN IMMEDIATE. PostgreSQL: its own
   * transaction, or with `grouped`, group-committed the same way (postgres/write-batch.ts).
   * Work must not start another transaction or query outside `trx` (one connection: it would wait forever).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  write<T>(work: (trx: Kysely<any>) => Promise<T>, opts?: WriteOptions): Promise<T>;
  close(): Promise<void>;
}
