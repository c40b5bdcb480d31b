import type { Executor, Job, Outcome } from '../write-job.ts';
import type { SyncWriter } from '../database.ts';


/** The raw side of the one connection: the batch's control statements, and its jobs' batchWriterOf. */
export interface RawConnection {
  readonly writer: SyncWriter;
  /** Runs a control statement (BEGIN, COMMIT, SAVEPOINT …) on the connection. */
  control(sql: string): void;
}

const BEGIN = 'begin immediate';
const COMMIT = 'commit';
const ROLLBACK = 'rollback';
const SAVEPOINT = 'savepoint sb_write';
const RELEASE = 'release sb_write';
const ROLLBACK_TO = 'rollback to sb_write';

/** The connection behind the Kysely executor a batch hands its jobs, while the batch runs. */
const writers = new WeakMap<Executor, SyncWriter>();

/**
 * The synchronous statements of the connection `trx` belongs to, when `trx` is the executor a
 * write batch gave its job (so its statements join that job's transaction, as Kysely's would);
 * undefined otherwise. db/ code on the hot path uses it to skip Kysely's hand-off per statement.
 */
export function batchWriterOf(trx: Executor): SyncWriter | undefined {
  return writers.get(trx);
}

/** Jobs per commit at most: a long batch delays the reads queued behind it. */
export const MAX_BATCH_JOBS = 128;

/**
 * Group commit for SQLite's one connection. The write transactions that requests start in one
 * event-loop turn share one BEGIN IMMEDIATE … COMMIT; each runs in its own savepoint, so one that
 * throws rolls back alone and the others go on. Nobody's promise settles before the COMMIT: a
 * job's result (a stored record, an audit event) is durable when its caller sees it, as with its
 * own transaction. If the COMMIT fails, every job of the batch fails.
 *
 * What it saves: per write, the BEGIN, the COMMIT and the WAL frames of the pages every write
 * touches (the audit head, the indexes' upper pages), which dominate a small insert.
 *
 * The control statements run on the connection itself, under Kysely's connection lock (so no
 * Kysely transaction can be open around them); a job's own statements go through the executor
 * it is given, or straight to the connection through batchWriterOf (the audit trail's appends,
 * a record's insert).
 */
export class WriteBatch {
  readonly #kysely: Executor;
  readonly #raw: RawConnection;
  #queue: Job[] = [];
  #scheduled = false;
  #running = false;

  constructor(kysely: Executor, raw: RawConnection) {
    this.#kysely = kysely;
    this.#raw = raw;
  }

  run<T>(work: (trx: Executor) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      // After the turn's I/O callbacks, so the requests read in this turn commit together.
      if (!this.#scheduled && !this.#running) {
        this.#scheduled = true;
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    this.#scheduled = false;
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const jobs = this.#queue.splice(0, MAX_BATCH_JOBS);
        const outcomes = await this.#kysely.connection().execute(async (conn) => {
          writers.set(conn, this.#raw.writer);
          try {
            return await this.#commit(conn, jobs);
          } finally {
            writers.delete(conn);
          }
        });
        for (let i = 0; i < jobs.length; i++) {
          const o = outcomes[i];
          if (o.ok) jobs[i].resolve(o.value);
          else jobs[i].reject(o.err);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  /**
   * One transaction for the jobs: an outcome per job, all failed if the transaction is lost.
   */
  async #commit(conn: Executor, jobs: readonly Job[]): Promise<Outcome[]> {
    const raw = this.#raw;
    try {
      raw.control(BEGIN);
    } catch (err) {
      return jobs.map(() => ({ ok: false, err }));
    }
    const outcomes: Outcome[] = [];
    // A lone job needs no savepoint: if it throws, rolling the transaction back undoes exactly it.
    const lone = jobs.length === 1;
    try {
      for (const job of jobs) {
        if (!lone) raw.control(SAVEPOINT);
        let value: unknown;
        try {
          value = await job.work(conn);
        } catch (err) {
          // a job's own failure is its outcome; a failure to undo it is the batch's (the catch below)
          raw.control(lone ? ROLLBACK : ROLLBACK_TO);
          if (lone) return [{ ok: false, err }];
          raw.control(RELEASE);
          outcomes.push({ ok: false, err });
          continue;
        }
        if (!lone) raw.control(RELEASE);
        outcomes.push({ ok: true, value });
      }
      raw.control(COMMIT);
      return outcomes;
    } catch (err) {
      // The transaction itself failed (I/O, a failed savepoint rollback, the COMMIT): nothing of it stays.
      try {
        raw.control(ROLLBACK);
      } catch {
        // the transaction is gone already
      }
      return jobs.map(() => ({ ok: false, err }));
    }
  }
}
