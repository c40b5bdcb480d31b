import { CompiledQuery, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Executor = Kysely<any>;

interface Job {
  readonly work: (trx: Executor) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly err: unknown };

const BEGIN = CompiledQuery.raw('begin immediate');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');
const SAVEPOINT = CompiledQuery.raw('savepoint sb_write');
const RELEASE = CompiledQuery.raw('release sb_write');
const ROLLBACK_TO = CompiledQuery.raw('rollback to sb_write');

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
 */
export class WriteBatch {
  readonly #kysely: Executor;
  #queue: Job[] = [];
  #scheduled = false;
  #running = false;

  constructor(kysely: Executor) {
    this.#kysely = kysely;
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
        const outcomes = await this.#commit(jobs);
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

  /** One transaction for the jobs: an outcome per job, all failed if the transaction is lost. */
  #commit(jobs: readonly Job[]): Promise<Outcome[]> {
    return this.#kysely.connection().execute(async (conn) => {
      const outcomes: Outcome[] = [];
      try {
        await conn.executeQuery(BEGIN);
      } catch (err) {
        return jobs.map(() => ({ ok: false, err }));
      }
      try {
        // A lone job needs no savepoint: if it throws, rolling the transaction back undoes exactly it.
        if (jobs.length === 1) {
          const lone = await runLoneJob(conn, jobs[0]);
          if (!lone.ok) return [lone];
          outcomes.push(lone);
        } else {
          for (const job of jobs) outcomes.push(await runJob(conn, job));
        }
        await conn.executeQuery(COMMIT);
        return outcomes;
      } catch (err) {
        // The transaction itself failed (I/O, a failed savepoint rollback, the COMMIT): nothing of it stays.
        await conn.executeQuery(ROLLBACK).catch(() => undefined);
        return jobs.map(() => ({ ok: false, err }));
      }
    });
  }
}

/** The batch's only job, without a savepoint: its failure rolls the whole transaction back (a failed rollback is the batch's). */
async function runLoneJob(conn: Executor, job: Job): Promise<Outcome> {
  try {
    return { ok: true, value: await job.work(conn) };
  } catch (err) {
    await conn.executeQuery(ROLLBACK);
    return { ok: false, err };
  }
}

/** A job in its savepoint; a job's own failure is its outcome, a failure to undo it is the batch's. */
async function runJob(conn: Executor, job: Job): Promise<Outcome> {
  await conn.executeQuery(SAVEPOINT);
  let value: unknown;
  try {
    value = await job.work(conn);
  } catch (err) {
    await conn.executeQuery(ROLLBACK_TO);
    await conn.executeQuery(RELEASE);
    return { ok: false, err };
  }
  await conn.executeQuery(RELEASE);
  return { ok: true, value };
}
