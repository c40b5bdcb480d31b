import type { Database as BetterSqlite, Statement } from 'better-sqlite3';

/**
 * Database.changeStamp on SQLite: a generation that moves on every statement this connection
 * hands to Kysely (all writes go that way; the synchronous read path does not) and whenever
 * `PRAGMA data_version` differs from its last reading, which SQLite changes when any other
 * connection (another process: the CLI, a restore) commits. Read inside the turn's read
 * snapshot, data_version describes the data that snapshot's queries see.
 */
export class ChangeStamp {
  readonly #dataVersion: Statement;
  #generation = 0;
  #lastVersion: unknown = null;

  constructor(raw: BetterSqlite) {
    this.#dataVersion = raw.prepare('PRAGMA data_version').pluck();
  }

  bump(): number {
    return ++this.#generation;
  }

  read(): number {
    const v = this.#dataVersion.get();
    if (v !== this.#lastVersion) {
      this.#lastVersion = v;
      this.#generation++;
    }
    return this.#generation;
  }
}
