import type { Database as BetterSqlite, Statement } from 'better-sqlite3';

/**
 * One read transaction shared by the synchronous reads of one event-loop turn.
 *
 * Outside a transaction every SQLite read takes and drops its WAL read lock (file-lock system
 * calls). A request usually reads twice (its session, then its records) and a busy turn serves
 * several requests, so the first read of a turn opens a deferred transaction and the reads after
 * it reuse its lock; it ends when the turn does (setImmediate), or before anything else uses the
 * connection: every write and every Kysely transaction calls end() first, so a write is never
 * made inside it and later reads see it.
 *
 * The snapshot is at most one turn old: reads see the database as of the turn's first read, as
 * if they had run a few microseconds earlier.
 */
export class ReadSnapshot {
  readonly #begin: Statement;
  readonly #commit: Statement;
  readonly #raw: BetterSqlite;
  #open = false;
  #opened = 0;
  readonly #endSoon = (): void => this.end();

  constructor(raw: BetterSqlite) {
    this.#raw = raw;
    this.#begin = raw.prepare('BEGIN DEFERRED');
    this.#commit = raw.prepare('COMMIT');
  }

  /** Makes sure a read may run now: true inside the turn's snapshot, false while another transaction is open. */
  enter(): boolean {
    if (this.#open) return true;
    if (this.#raw.inTransaction) return false;
    this.#begin.run();
    this.#open = true;
    this.#opened++;
    setImmediate(this.#endSoon);
    return true;
  }

  /** Which snapshot is open (it changes with every new one), or null when none is. */
  get current(): number | null {
    return this.#open ? this.#opened : null;
  }

  end(): void {
    if (!this.#open) return;
    this.#open = false;
    if (this.#raw.inTransaction && this.#raw.open) this.#commit.run();
  }
}
