import { CompiledQuery, type Kysely } from 'kysely';
import type { SyncWriter } from '../database.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Executor = Kysely<any>;

/** A job is Kysely work, or synchronous statements on the connection itself (Database.writeSync). */
interface Job {
  readonly work: ((trx: Executor) => Promise<unknown>) | null;
  readonly sync: ((w: SyncWriter) => unknown) | null;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly err: unknown };

/** The raw side of the one connection: what a batch of synchronous jobs runs on. */
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
const compiled = (text: string): CompiledQuery => CompiledQuery.raw(text);
const Q = { begin: compiled(BEGIN), commit: compiled(COMMIT), rollback: compiled(ROLLBACK), savepoint: compiled(SAVEPOINT), release: compiled(RELEASE), rollbackTo: compiled(ROLLBACK_TO) };

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
 * A batch of synchronous jobs only (the audit trail's read events) runs start to end in one
 * call stack on the connection itself, still holding Kysely's connection so that no Kysely
 * transaction can be open around it.
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
    return this.#enqueue(work, null);
  }

  runSync<T>(sync: (w: SyncWriter) => T): Promise<T> {
    return this.#enqueue(null, sync);
  }

  #enqueue<T>(work: Job['work'], sync: Job['sync']): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, sync, resolve: resolve as (v: unknown) => void, reject });
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
        const outcomes = await this.#kysely.connection().execute((conn) =>
          jobs.every((j) => j.sync !== null) ? this.#commitSync(jobs) : this.#commit(conn, jobs));
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
  async #commit(conn: Executor, jobs: readonly Job[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    try {
      await conn.executeQuery(Q.begin);
    } catch (err) {
      return jobs.map(() => ({ ok: false, err }));
    }
    try {
      // A lone job needs no savepoint: if it throws, rolling the transaction back undoes exactly it.
      if (jobs.length === 1) {
        const lone = await runLoneJob(conn, jobs[0], this.#raw.writer);
        if (!lone.ok) return [lone];
        outcomes.push(lone);
      } else {
        for (const job of jobs) outcomes.push(await runJob(conn, job, this.#raw.writer));
      }
      await conn.executeQuery(Q.commit);
      return outcomes;
    } catch (err) {
      // The transaction itself failed (I/O, a failed savepoint rollback, the COMMIT): nothing of it stays.
      await conn.executeQuery(Q.rollback).catch(() => undefined);
      return jobs.map(() => ({ ok: false, err }));
    }
  }

  /** The same transaction as #commit for synchronous jobs, in one call stack with no statement handed to Kysely. */
  async #commitSync(jobs: readonly Job[]): Promise<Outcome[]> {
    const raw = this.#raw;
    try {
      raw.control(BEGIN);
    } catch (err) {
      return jobs.map(() => ({ ok: false, err }));
    }
    const outcomes: Outcome[] = [];
    try {
      for (const job of jobs) {
        const lone = jobs.length === 1;
        if (!lone) raw.control(SAVEPOINT);
        try {
          outcomes.push({ ok: true, value: (job.sync as (w: SyncWriter) => unknown)(raw.writer) });
        } catch (err) {
          raw.control(lone ? ROLLBACK : ROLLBACK_TO);
          if (lone) return [{ ok: false, err }];
          outcomes.push({ ok: false, err });
        }
        if (!lone) raw.control(RELEASE);
      }
      raw.control(COMMIT);
      return outcomes;
    } catch (err) {
      try {
        raw.control(ROLLBACK);
      } catch {
        // the transaction is gone already
      }
      return jobs.map(() => ({ ok: false, err }));
    }
  }
}

/** The batch's only job, without a savepoint: its failure rolls the whole transaction back (a failed rollback is the batch's). */
async function runLoneJob(conn: Executor, job: Job, writer: SyncWriter): Promise<Outcome> {
  try {
    return { ok: true, value: await run(job, conn, writer) };
  } catch (err) {
    await conn.executeQuery(Q.rollback);
    return { ok: false, err };
  }
}

/** A job in its savepoint; a job's own failure is its outcome, a failure to undo it is the batch's. */
async function runJob(conn: Executor, job: Job, writer: SyncWriter): Promise<Outcome> {
  await conn.executeQuery(Q.savepoint);
  let value: unknown;
  try {
    value = await run(job, conn, writer);
  } catch (err) {
    await conn.executeQuery(Q.rollbackTo);
    await conn.executeQuery(Q.release);
    return { ok: false, err };
  }
  await conn.executeQuery(Q.release);
  return { ok: true, value };
}

function run(job: Job, conn: Executor, writer: SyncWriter): Promise<unknown> | unknown {
  return job.work !== null ? job.work(conn) : (job.sync as (w: SyncWriter) => unknown)(writer);
}
