import type pg from 'pg';
import type { PostgresCursor, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type { NamedStatements } from './statement-cache.ts';
import { auditNotWritten, isConnectionFailure, unavailable } from './connection-errors.ts';
import {
  DEFERRED_RESULT, HELD_RESULT, HeldStatementFailed, isPrepared, queryAfterBegin, queryThenCommit, queryWithGuard, WITH_COMMIT_MARK,
} from './pipelining.ts';
import { activeGuardScope, type GuardScope } from '../statement-guard.ts';
import { describedBy, queryPrepared, type Described, type Trailing } from './described-query.ts';

const PLAIN_BEGIN = /^\s*begin\s*$/i;
const ANY_BEGIN = /^\s*(begin|start\s+transaction)\b/i;
const TRANSACTION_END = /^\s*(commit|end|rollback)\s*$/i;
const COMMIT = /^\s*(commit|end)\s*$/i;
const ROLLBACK = /^\s*rollback\s*$/i;
const SAVEPOINT = /^\s*savepoint\s+([a-z_][a-z0-9_]*)\s*$/i;
const ROLLBACK_TO = /^\s*rollback\s+to\s+(?:savepoint\s+)?([a-z_][a-z0-9_]*)\s*$/i;
const SELECT = /^\s*select\b/i;
const FOR_UPDATE = /^\s*select\b[\s\S]*\bfor update\s*$/i;

/** The held append, and the SAVEPOINTs deferred before it (sent ahead of it). */
interface Held { readonly name: string; readonly text: string; readonly values: unknown[]; readonly prefix: readonly string[] }

/**
 * Wraps a pg client so Kysely's plain `query(sql, params)` runs as a named prepared statement,
 * and saves a transaction two round trips (pipelining.ts):
 * - a plain BEGIN is held back and sent with the transaction's first statement (a transaction
 *   that sends nothing costs nothing); so is a SAVEPOINT (a write batch's per-job savepoint,
 *   write-batch.ts), and a ROLLBACK TO a savepoint that was never sent sends nothing;
 * - the audit append (marked WITH_COMMIT_MARK; it returns nothing) is held back and sent with
 *   the COMMIT, so the audit head's row lock, which every appender in every process waits for,
 *   is held one round trip shorter. Should it fail, the COMMIT fails with ERR_AUDIT_UNAVAILABLE
 *   and nothing is committed; any other statement after it sends it first.
 * Both apply only to statements already prepared on the connection (pg's bookkeeping, see there).
 *
 * In a request with a guard (statement-guard.ts: the re-read of a cached session), the request's
 * first statement carries it in its own round trip when it can: a read outside a transaction, or
 * a transaction's first statement (sent with BEGIN and the guard), whose result is used only if
 * the guard passed, and whose transaction is rolled back if not. Any other statement waits for
 * the verdict first (an autocommit write cannot be taken back).
 */
export class NamedStatementClient implements PostgresPoolClient {
  readonly #raw: pg.PoolClient;
  readonly #statements: NamedStatements;
  #inTransaction = false;
  /** control statements Kysely was told are done, not yet sent: BEGIN (first) and SAVEPOINTs */
  #pending: string[] = [];
  /** the audit append Kysely was told is done, not yet sent */
  #held: Held | null = null;
  /** result descriptions of the statements prepared on this connection (described-query.ts) */
  readonly #described = new Map<string, Described>();
  /** the guard statements' column names, once described here */
  readonly #guardColumns = new Map<string, readonly string[]>();
  /**
   * A transaction's first statement → the row lock (`SELECT … FOR UPDATE`, e.g. the audit head's)
   * that came right after it last time: sent behind it in the same round trip next time.
   */
  readonly #lockAfter = new Map<string, Omit<Held, 'prefix'>>();
  /** statements sent in the current transaction, and the first one's name */
  #sentInTransaction = 0;
  #firstInTransaction: string | undefined;
  /** the lock sent ahead, and its result, until the statement after the first asks for it */
  #prefetched: Trailing & { text: string } | null = null;

  constructor(raw: pg.PoolClient, statements: NamedStatements) {
    this.#raw = raw;
    this.#statements = statements;
  }

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(sqlOrCursor: string | PostgresCursor<R>, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlOrCursor !== 'string') return this.#raw.query(sqlOrCursor as never) as unknown as PostgresCursor<R>;
    return this.#run(sqlOrCursor, parameters ?? []) as Promise<PostgresQueryResult<R>>;
  }

  async #run(text: string, parameters: ReadonlyArray<unknown>): Promise<pg.QueryResult> {
    if (PLAIN_BEGIN.test(text) && parameters.length === 0 && !this.#inTransaction) {
      this.#inTransaction = true;
      this.#pending = ['begin'];
      this.#sentInTransaction = 0;
      this.#prefetched = null;
      return DEFERRED_RESULT;
    }
    if (this.#inTransaction && parameters.length === 0) {
      const deferred = this.#savepoint(text);
      if (deferred) return DEFERRED_RESULT;
    }
    const ends = TRANSACTION_END.test(text);
    if (ends && this.#pending.length > 0) {
      const unsent = this.#pending[0] === 'begin';
      // savepoints nothing was sent after are moot at the end
      this.#pending = [];
      if (unsent) {
        // nothing was sent since BEGIN: no transaction to end
        this.#inTransaction = false;
        return DEFERRED_RESULT;
      }
    }
    const name = this.#statements.nameFor(text);
    const values = [...parameters];
    if (this.#inTransaction && !ends) {
      const served = this.#follow(name, text, values);
      if (served !== null) return served;
    }
    const scope = activeGuardScope();
    if (scope !== undefined && !ROLLBACK.test(text) && !ROLLBACK_TO.test(text)) {
      if (scope.pending) return this.#carry(scope, name, text, values);
      const wait = scope.settle();
      if (wait !== null) await wait;
    }
    if (this.#inTransaction && this.#pending[0] !== 'begin' && this.#held === null && name !== undefined
      && text.endsWith(WITH_COMMIT_MARK) && isPrepared(this.#raw, name, text)) {
      this.#held = { name, text, values, prefix: this.#pending };
      this.#pending = [];
      return HELD_RESULT;
    }
    const held = this.#held;
    this.#held = null;
    if (ANY_BEGIN.test(text)) {
      this.#inTransaction = true;
      this.#sentInTransaction = 0;
      this.#prefetched = null;
    }
    else if (ends) this.#inTransaction = false;
    try {
      if (held !== null) {
        if (COMMIT.test(text)) return await this.#commitWith(held);
        // a ROLLBACK drops it unsent; any other statement must see it
        if (!ends) {
          const sent = held.prefix.length === 0 ? this.#raw.query({ name: held.name, text: held.text, values: held.values })
            : queryAfterBegin(this.#raw, held, this.#described.get(held.name), undefined, held.prefix);
          await sent.catch((err: unknown) => { throw auditNotWritten(err); });
        }
      }
      if (this.#pending.length > 0) {
        const prefix = this.#pending;
        this.#pending = [];
        if (isPrepared(this.#raw, name, text)) {
          const ahead = prefix[0] === 'begin' ? this.#lockAhead(name!) : undefined;
          return this.#note(name!, await queryAfterBegin(this.#raw, { name: name!, text, values }, this.#described.get(name!), ahead, prefix));
        }
        for (const control of prefix) await this.#raw.query(control);
      }
      if (name !== undefined && isPrepared(this.#raw, name, text)) {
        return this.#note(name, await queryPrepared(this.#raw, name, text, values, this.#described.get(name)));
      }
      const result = await this.#raw.query({ name, text, values });
      return name === undefined ? result : this.#note(name, result);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // Another process changed a table under a statement this connection prepared.
      if (name !== undefined && code === '0A000') {
        this.#statements.invalidate();
        if (!this.#inTransaction) return this.#raw.query({ text, values });
      }
      if (isConnectionFailure(err)) throw unavailable(err);
      throw err;
    }
  }

  /**
   * Sends the scope's pending guard: with this statement when both are prepared here and the
   * statement may run before the verdict; otherwise alone first, on this connection (which
   * prepares it for next time), and then the statement its usual way.
   */
  #carry(scope: GuardScope, name: string | undefined, text: string, values: unknown[]): Promise<pg.QueryResult> {
    const pipelined = name !== undefined && this.#held === null
      && (this.#pending.length > 0 || (!this.#inTransaction && SELECT.test(text))) && isPrepared(this.#raw, name, text);
    const prefix = this.#pending;
    const begin = prefix[0] === 'begin';
    let sentAlone = false;
    const result = scope.carry(async (guard) => {
      const guardName = this.#statements.nameFor(guard.sql);
      const statement = { name: guardName!, text: guard.sql, values: guard.parameters };
      if (!pipelined || guardName === undefined || !isPrepared(this.#raw, guardName, guard.sql)) {
        sentAlone = true;
        const { rows } = await this.#raw.query({ name: guardName, text: guard.sql, values: [...guard.parameters] });
        return { rows, result: null, alone: true };
      }
      if (this.#pending === prefix) this.#pending = [];
      const out = await queryWithGuard(this.#raw, { ...statement, columns: this.#guardColumns.get(guardName) },
        { name: name!, text, values }, this.#described.get(name!), prefix, begin ? this.#lockAhead(name!) : undefined);
      if (out.guardFailure === undefined) this.#guardColumns.set(guardName, out.guardColumns);
      if (out.result !== undefined) this.#note(name!, out.result);
      return out;
    });
    // alone: the verdict is in, the statement goes its usual way
    return result.then((r) => (sentAlone ? this.#run(text, values) : r!), (err: unknown) => {
      // another process changed a table under the prepared statement: new names from now on
      if ((err as { code?: unknown }).code === '0A000') this.#statements.invalidate();
      if (isConnectionFailure(err)) throw unavailable(err);
      throw err;
    });
  }

  /**
   * Defers a SAVEPOINT (sent with the next statement), or takes back a ROLLBACK TO one that was
   * never sent (nothing since it to undo); true when `text` needs no round trip now. A ROLLBACK TO
   * a savepoint that was sent drops what it destroys unsent: the savepoints deferred since, and a
   * held append (issued after that savepoint, since sending it sent the held one first).
   */
  #savepoint(text: string): boolean {
    if (SAVEPOINT.test(text)) {
      this.#pending.push(text);
      return true;
    }
    const to = ROLLBACK_TO.exec(text);
    if (to === null) return false;
    const named = (list: readonly string[]): number => {
      let at = list.length - 1;
      while (at >= 0 && SAVEPOINT.exec(list[at])?.[1]?.toLowerCase() !== to[1].toLowerCase()) at--;
      return at;
    };
    const at = named(this.#pending);
    if (at >= 0) {
      this.#pending.length = at;
      return true;
    }
    // a savepoint deferred before the held append: that append goes, unsent, with it
    const before = this.#held === null ? -1 : named(this.#held.prefix);
    if (before >= 0) {
      this.#pending = this.#held!.prefix.slice(0, before);
      this.#held = null;
      return true;
    }
    this.#pending = [];
    this.#held = null;
    return false;
  }

  /**
   * Counts a statement of the open transaction and learns which row lock follows its first one;
   * returns the lock's result when it was already sent ahead with the first statement.
   */
  #follow(name: string | undefined, text: string, values: unknown[]): pg.QueryResult | null {
    const position = this.#sentInTransaction++;
    const ahead = this.#prefetched;
    this.#prefetched = null;
    if (position === 0) {
      this.#firstInTransaction = name;
      return null;
    }
    if (position !== 1 || this.#firstInTransaction === undefined) return null;
    if (name !== undefined && FOR_UPDATE.test(text) && this.#described.has(name)) {
      this.#lockAfter.set(this.#firstInTransaction, { name, text, values });
    } else {
      this.#lockAfter.delete(this.#firstInTransaction);
    }
    // the same lock, asked for right after the statement it was sent with: its rows are the ones it returned
    if (ahead?.result !== undefined && ahead.name === name && ahead.text === text && ahead.values.length === values.length
      && ahead.values.every((v, i) => v === values[i])) return ahead.result;
    return null;
  }

  /** The row lock to send behind a transaction's first statement `name`, when one followed it last time. */
  #lockAhead(name: string): Trailing | undefined {
    const lock = this.#lockAfter.get(name);
    const described = lock === undefined ? undefined : this.#described.get(lock.name);
    if (lock === undefined || described === undefined || !isPrepared(this.#raw, lock.name, lock.text)) return undefined;
    if (this.#lockAfter.size > 1000) this.#lockAfter.clear();
    this.#prefetched = { name: lock.name, text: lock.text, values: lock.values, described };
    return this.#prefetched;
  }

  /** Keeps the description of a named statement's first described run on this connection. */
  #note(name: string, result: pg.QueryResult): pg.QueryResult {
    if (!this.#described.has(name)) {
      const described = describedBy(result);
      // names of an old generation are never sent again: drop them all rather than grow
      if (this.#described.size >= 1000) this.#described.clear();
      if (described !== undefined) this.#described.set(name, described);
    }
    return result;
  }

  async #commitWith(held: Held): Promise<pg.QueryResult> {
    try {
      this.#note(held.name, await queryThenCommit(this.#raw, held, this.#described.get(held.name), held.prefix));
      return DEFERRED_RESULT;
    } catch (err) {
      if (!(err instanceof HeldStatementFailed)) throw err;
      this.#inTransaction = true; // not committed: the aborted transaction awaits its ROLLBACK
      throw auditNotWritten(err.failure);
    }
  }

  release(): void {
    this.#inTransaction = false;
    this.#pending = [];
    this.#held = null;
    this.#prefetched = null;
    this.#raw.release();
  }
}
