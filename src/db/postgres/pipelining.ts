import pg from 'pg';

/** What pg's Query does with the connection and the server's messages (pg/lib/query.js). */
interface WireConnection {
  readonly stream: { cork?: () => void; uncork?: () => void };
  readonly parsedStatements: Record<string, string | undefined>;
  parse(msg: { text: string; name?: string }): void;
  bind(msg: Record<string, never>): void;
  execute(msg: { portal?: string; rows?: number }): void;
  sync(): void;
}
interface QueryInternals {
  readonly portal: string;
  callback?: (err: Error | null, res?: pg.QueryResult) => void;
  submit(connection: WireConnection): Error | null | undefined;
  handleCommandComplete(msg: unknown, connection: WireConnection): void;
  /** Sends Execute and then Sync (pg/lib/query.js); the last step of prepare(). */
  _getRows(connection: WireConnection, rows: number | undefined): void;
}
const BaseQuery = pg.Query as unknown as new (config: pg.QueryConfig) => QueryInternals;

/**
 * A statement sent with the `BEGIN` before it, in one write and one Sync: Parse/Bind/Execute of
 * BEGIN, then the statement's Bind/Describe/Execute, then Sync. The server runs them in order
 * (BEGIN opens the transaction block, which outlives the Sync, as in libpq's pipeline mode) and
 * answers once, so a transaction costs one round trip less. Should BEGIN fail, the server skips
 * the statement: it never runs outside the transaction. BEGIN's CommandComplete is not the
 * statement's result and is dropped.
 */
class BeginThenQuery extends BaseQuery {
  #begun = false;

  override submit(connection: WireConnection): Error | null | undefined {
    connection.stream.cork?.();
    try {
      connection.parse({ text: 'begin' });
      connection.bind({});
      connection.execute({});
      return super.submit(connection);
    } finally {
      connection.stream.uncork?.();
    }
  }

  override handleCommandComplete(msg: unknown, connection: WireConnection): void {
    if (!this.#begun) {
      this.#begun = true;
      return;
    }
    super.handleCommandComplete(msg, connection);
  }
}

/**
 * A transaction's last write sent with its COMMIT, in one write and one Sync: the statement's
 * Bind/Describe/Execute, then Parse/Bind/Execute of COMMIT, then Sync. Should the statement fail,
 * the server skips the COMMIT and the transaction stays open, aborted, for the caller's
 * ROLLBACK: nothing of it is committed. `statementDone` tells the two failures apart.
 */
class ThenCommitQuery extends BaseQuery {
  statementDone = false;

  override _getRows(connection: WireConnection, rows: number | undefined): void {
    connection.execute({ portal: this.portal, rows });
    connection.parse({ text: 'commit' });
    connection.bind({});
    connection.execute({});
    connection.sync();
  }

  override handleCommandComplete(msg: unknown, connection: WireConnection): void {
    if (this.statementDone) return; // COMMIT's
    this.statementDone = true;
    super.handleCommandComplete(msg, connection);
  }
}

/** The marker (at the end of its SQL) of the audit append that may wait for the COMMIT to be sent with it. */
export const WITH_COMMIT_MARK = '/* sb:with-commit */';

/**
 * Runs the held-back statement and COMMIT in one round trip (see ThenCommitQuery). Rejects with
 * `{ statementFailed: true, cause }` when the statement failed (nothing committed), or with the
 * COMMIT's own error.
 */
export function queryThenCommit(raw: pg.PoolClient, config: { name: string; text: string; values: unknown[] }): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    const q = new ThenCommitQuery({ ...config, queryMode: 'extended' } as pg.QueryConfig);
    q.callback = (err, res) => {
      if (err === null) resolve(res!);
      else reject(q.statementDone ? err : new HeldStatementFailed(err));
    };
    raw.query(q as unknown as pg.Submittable);
  });
}

/** The statement held back for the COMMIT failed: the transaction is aborted, not committed. */
export class HeldStatementFailed extends Error {
  constructor(readonly failure: unknown) {
    super('a statement sent with the COMMIT failed');
  }
}

/**
 * Whether `name` is already prepared on this connection as `text`: only then is a statement
 * pipelined with BEGIN or COMMIT. A first use would add its own Parse, and pg marks a name as
 * prepared on any ParseComplete while the query is active: BEGIN's or COMMIT's would mark a
 * statement whose own Parse failed.
 */
export function isPrepared(raw: pg.PoolClient, name: string | undefined, text: string): boolean {
  if (name === undefined) return false;
  const connection = (raw as unknown as { connection?: WireConnection }).connection;
  return connection?.parsedStatements?.[name] === text;
}

/** Runs BEGIN and then the named statement in one round trip (see BeginThenQuery). */
export function queryAfterBegin(raw: pg.PoolClient, config: { name: string; text: string; values: unknown[] }): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    const q = new BeginThenQuery({ ...config, queryMode: 'extended' } as pg.QueryConfig);
    q.callback = (err, res) => (err ? reject(err) : resolve(res!));
    raw.query(q as unknown as pg.Submittable);
  });
}

/** What Kysely gets for a BEGIN (or an empty transaction's COMMIT) that is not sent on its own. */
export const DEFERRED_RESULT = Object.freeze({ command: 'BEGIN', rowCount: null, rows: [], fields: [], oid: 0 }) as unknown as pg.QueryResult;
/** What Kysely gets for the held-back audit append (it returns nothing; its failure fails the COMMIT). */
export const HELD_RESULT = Object.freeze({ command: 'UPDATE', rowCount: 1, rows: [], fields: [], oid: 0 }) as unknown as pg.QueryResult;
