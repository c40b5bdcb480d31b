import type { Database as BetterSqlite, Statement } from 'better-sqlite3';

/**
 * Database.changeStamp on SQLite: a generation that moves on every statement this connection
 * hands to Kysely (every write of sessions and accounts goes that way; the synchronous read path
 * and the write batch's own statements do not) and whenever
 * `PRAGMA data_version` differs from its last reading, which SQLite changes when any other
 * connection (another process: the CLI, a restore) commits. Read inside the turn's read
 * snapshot, data_version describes the data that snapshot's queries see.
 */
export class ChangeStamp {
  readonly #dataVersion: Statement;
  #generation = 0;
  #lastVersion: unknown = null;
  #snapshot: number | null = null;

  constructor(raw: BetterSqlite) {
    this.#dataVersion = raw.prepare('PRAGMA data_version').pluck();
  }

  bump(): number {
    return ++this.#generation;
  }

  /**
   * The stamp now. `snapshot` names the open read snapshot, if any: its data cannot change
   * under it, so data_version is read once per snapshot (writes of this connection bump).
   */
  read(snapshot: number | null = null): number {
    if (snapshot !== null && snapshot === this.#snapshot) return this.#generation;
    this.#snapshot = snapshot;
    const v = this.#dataVersion.get();
    if (v !== this.#lastVersion) {
      this.#lastVersion = v;
      this.#generation++;
    }
    return this.#generation;
  }
}
