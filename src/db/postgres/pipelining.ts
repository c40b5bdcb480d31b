import pg from 'pg';
import type { Carried } from '../statement-guard.ts';
import { PreparedQuery, type Described, type Trailing, type WireConnection } from './described-query.ts';

type Statement = { name: string; text: string; values: unknown[] };

/**
 * A statement sent with the control statements before it (`BEGIN`, a `SAVEPOINT`), in one write
 * and one Sync: Parse/Bind/Execute of each, then the statement's Bind/Describe/Execute, then
 * Sync. The server runs them in order (BEGIN opens the transaction block, which outlives the
 * Sync, as in libpq's pipeline mode) and answers once, so a transaction (or a savepoint) costs
 * one round trip less. Should one of them fail, the server skips the rest: the statement never
 * runs outside its transaction or savepoint. Their CommandCompletes are not the statement's
 * result and are dropped.
 */
class PrefixedQuery extends PreparedQuery {
  readonly #prefix: readonly string[];
  #left: number;

  constructor(config: Statement, described: Described | undefined, prefix: readonly string[]) {
    super(config.name, config.text, config.values, described);
    this.#prefix = prefix;
    this.#left = prefix.length;
  }

  override submit(connection: WireConnection): Error | null | undefined {
    connection.stream.cork?.();
    try {
      sendControl(connection, this.#prefix);
      return super.submit(connection);
    } finally {
      connection.stream.uncork?.();
    }
  }

  override handleCommandComplete(msg: unknown, connection: WireConnection): void {
    if (this.#left > 0) {
      this.#left--;
      return;
    }
    super.handleCommandComplete(msg, connection);
  }
}

/** Parse/Bind/Execute of each control statement (no parameters, no rows), unnamed. */
function sendControl(connection: WireConnection, texts: readonly string[]): void {
  for (const text of texts) {
    connection.parse({ text });
    connection.bind({});
    connection.execute({});
  }
}

/**
 * A transaction's last write sent with its COMMIT, in one write and one Sync: [the SAVEPOINTs
 * deferred before it,] the statement's Bind/Describe/Execute, then Parse/Bind/Execute of COMMIT,
 * then Sync. Should the statement fail,
 * the server skips the COMMIT and the transaction stays open, aborted, for the caller's
 * ROLLBACK: nothing of it is committed. `statementDone` tells the two failures apart.
 */
class ThenCommitQuery extends PreparedQuery {
  statementDone = false;
  /** control statements (SAVEPOINTs) sent before the statement, whose replies come first */
  prefix: readonly string[] = [];
  #left = 0;

  override submit(connection: WireConnection): Error | null | undefined {
    this.#left = this.prefix.length;
    if (this.#left === 0) return super.submit(connection);
    connection.stream.cork?.();
    try {
      sendControl(connection, this.prefix);
      return super.submit(connection);
    } finally {
      connection.stream.uncork?.();
    }
  }

  override _getRows(connection: WireConnection, rows: number | undefined): void {
    connection.execute({ portal: this.portal, rows });
    connection.parse({ text: 'commit' });
    connection.bind({});
    connection.execute({});
    connection.sync();
  }

  override handleCommandComplete(msg: unknown, connection: WireConnection): void {
    if (this.#left > 0) {
      this.#left--;
      return;
    }
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
export function queryThenCommit(raw: pg.PoolClient, config: Statement, described?: Described, prefix: readonly string[] = []): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    const q = new ThenCommitQuery(config.name, config.text, config.values, described);
    q.prefix = prefix;
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

/** Runs the control statements (BEGIN, SAVEPOINT …) and then the named statement in one round trip (see PrefixedQuery). */
export function queryAfterBegin(raw: pg.PoolClient, config: Statement, described?: Described, trailing?: Trailing, prefix: readonly string[] = ['begin']): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    const q = new PrefixedQuery(config, described, prefix);
    q.trailing = trailing;
    q.callback = (err, res) => (err ? reject(err) : resolve(res!));
    raw.query(q as unknown as pg.Submittable);
  });
}

/** What Kysely gets for a BEGIN or SAVEPOINT (or an empty transaction's COMMIT) that is not sent on its own. */
export const DEFERRED_RESULT = Object.freeze({ command: 'BEGIN', rowCount: null, rows: [], fields: [], oid: 0 }) as unknown as pg.QueryResult;
/** What Kysely gets for the held-back audit append (it returns nothing; its failure fails the COMMIT). */
export const HELD_RESULT = Object.freeze({ command: 'UPDATE', rowCount: 1, rows: [], fields: [], oid: 0 }) as unknown as pg.QueryResult;

/** A guard statement (statement-guard.ts) as sent: prepared under `name`, text-typed values; `columns` once known. */
export interface GuardStatement { readonly name: string; readonly text: string; readonly values: readonly unknown[]; readonly columns?: readonly string[] }

/** Text parameters as pg sends them (the guard's are strings, or null). */
const asText = (v: unknown): unknown => (v === null || v === undefined ? null : String(v));

/**
 * A statement sent behind a guard statement (and, in a transaction's or a savepoint's first round
 * trip, behind BEGIN or SAVEPOINT), in one write and one Sync: [the control statements,] the
 * guard's Bind/Describe/Execute, then the statement's, then Sync. The server runs them in order; should the guard fail, it skips the
 * statement. The guard's rows are kept apart (text columns only: its result is read as text).
 * Both statements must be prepared on the connection already (see isPrepared); the guard's
 * Describe is skipped once its columns are known.
 */
class GuardedQuery extends PreparedQuery {
  readonly #guard: GuardStatement;
  readonly #prefix: readonly string[];
  /** control statements whose reply is still to come */
  #left: number;
  /** 0 = a control statement's reply pending, 1 = the guard's, 2 = the statement's */
  phase: number;
  guardColumns: string[] = [];
  readonly guardRows: Record<string, unknown>[] = [];

  constructor(config: Statement, described: Described | undefined, guard: GuardStatement, prefix: readonly string[]) {
    super(config.name, config.text, config.values, described);
    this.#guard = guard;
    this.#prefix = prefix;
    this.#left = prefix.length;
    this.phase = prefix.length > 0 ? 0 : 1;
    if (guard.columns !== undefined) this.guardColumns = [...guard.columns];
  }

  override submit(connection: WireConnection): Error | null | undefined {
    connection.stream.cork?.();
    try {
      sendControl(connection, this.#prefix);
      connection.bind({ statement: this.#guard.name, values: this.#guard.values, valueMapper: asText });
      if (this.#guard.columns === undefined) connection.describe({ type: 'P', name: '' });
      connection.execute({});
      return super.submit(connection);
    } finally {
      connection.stream.uncork?.();
    }
  }

  override handleRowDescription(msg: { fields: { name: string }[] }): void {
    if (this.phase === 1) this.guardColumns = msg.fields.map((f) => f.name);
    else super.handleRowDescription(msg);
  }

  override handleDataRow(msg: { fields: (string | null)[] }): void {
    if (this.phase !== 1) return super.handleDataRow(msg);
    const row: Record<string, unknown> = {};
    this.guardColumns.forEach((name, i) => { row[name] = msg.fields[i]; });
    this.guardRows.push(row);
  }

  override handleCommandComplete(msg: unknown, connection: WireConnection): void {
    if (this.phase === 0) {
      if (--this.#left === 0) this.phase = 1;
      return;
    }
    if (this.phase === 1) {
      this.phase = 2;
      return;
    }
    super.handleCommandComplete(msg, connection);
  }
}

/**
 * Runs the guard and then the named statement in one round trip (see GuardedQuery), behind the
 * control statements `prefix` (BEGIN, SAVEPOINT) when there are any. Never rejects: it reports the guard's rows, or the guard's failure (nothing
 * else ran), and the statement's result or failure.
 */
export function queryWithGuard(raw: pg.PoolClient, guard: GuardStatement, config: Statement, described: Described | undefined, prefix: readonly string[], trailing?: Trailing): Promise<Carried<pg.QueryResult> & { guardColumns: readonly string[] }> {
  return new Promise((resolve) => {
    const q = new GuardedQuery(config, described, guard, prefix);
    q.trailing = trailing;
    q.callback = (err, res) => {
      if (err === null) resolve({ rows: q.guardRows, result: res!, guardColumns: q.guardColumns });
      else if (q.phase < 2) resolve({ rows: [], guardFailure: err, guardColumns: [] });
      else resolve({ rows: q.guardRows, failure: err, guardColumns: q.guardColumns });
    };
    raw.query(q as unknown as pg.Submittable);
  });
}
