import { CompiledQuery } from 'kysely';
import type { Executor, Job, Outcome } from '../write-job.ts';
import { guardScopes, outsideRequests } from '../statement-guard.ts';
import { AUDIT_COLUMNS, type AuditHead, type AuditRow } from '../audit/audit-row.ts';
import { lockAuditHead } from '../audit/audit-store.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { appendAuditRows, isHeadMoved } from './audit-append.ts';


const BEGIN = CompiledQuery.raw('begin');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');
const SAVEPOINT = CompiledQuery.raw('savepoint sb_write');
const ROLLBACK_TO = CompiledQuery.raw('rollback to savepoint sb_write');
const AUDIT_SAVEPOINT = CompiledQuery.raw('savepoint sb_audit');
const AUDIT_ROLLBACK_TO = CompiledQuery.raw('rollback to savepoint sb_audit');

/**
 * Jobs per commit at most. Each job's savepoint is a subtransaction with an id of its own once it
 * writes, and a backend keeps 64 of those in shared memory; past that, every other session's
 * snapshot has to look them up on disk (PostgreSQL's subtransaction overflow).
 */
export const MAX_BATCH_JOBS = 32;

/** How batches went, in this process (tests and the bench read them): batches, jobs, and fast paths that found the head moved. */
export const batchCounts = { batches: 0, jobs: 0, headMoved: 0 };

/** Batches committing at once at most, each on its own connection (the pool has 10 by default). */
export const MAX_BATCHES = 3;

/** Makes a job's audit events from the head (consecutive seqs, each hash over the one before). */
export type AuditChain = (head: AuditHead) => AuditRow[];

/** The executor a running batch gave its job → the batch's audit chains, in job order. */
const deferred = new WeakMap<Executor, AuditChain[]>();

/**
 * Where the jobs of the write batch `trx` belongs to leave their audit events (when `trx` is the
 * executor a batch gave its job); undefined otherwise. db/audit/audit-store.ts puts them there.
 */
export function deferredAuditOf(trx: Executor): { push(chain: AuditChain): void } | undefined {
  return deferred.get(trx);
}

/**
 * Group commit on PostgreSQL, like SQLite's write batch (sqlite/write-batch.ts): the write
 * transactions that requests start in one event-loop turn share one transaction on one
 * connection, each job in its own SAVEPOINT, so one that throws (a unique violation, a refused
 * rule, a failed session guard) rolls back alone and the others go on. Their audit events wait
 * for the batch's end: then the head is locked once, every kept job's events are chained on from
 * it in job order and written by one statement sent with the one COMMIT, so the head's lock is
 * held for that last step only (one round trip and the chaining), not while the jobs run. Nobody's
 * promise settles before the COMMIT: a job's result is durable when its caller sees it; if the
 * chaining, the events' write or the COMMIT fails, every job of the batch fails and nothing of it
 * stays.
 *
 * What it saves, per create: the BEGIN and COMMIT, the head's lock, update and WAL record, and the
 * head lock's queue, where concurrent creates waited in turn for each other's round trips. A few
 * batches run at once (on their own connections); they queue only on the head, at their ends.
 *
 * Jobs run one after another on the batch's connection, each in the async context of the request
 * that queued it (its session guard, statement-guard.ts, binds its statements alone); the
 * batch's own statements run outside every request. SAVEPOINT costs no round trip: it is sent
 * with the job's first statement (named-statement-client.ts), and a job that sent nothing has
 * nothing to roll back. Savepoints are not released: ROLLBACK TO names the newest, which is the
 * running job's, and the COMMIT ends them all.
 *
 * For work that takes no row lock another writer could hold while waiting on this batch (inserts:
 * a create), so batching adds no deadlock that separate transactions would not have.
 */
export class PgWriteBatch {
  readonly #kysely: Executor;
  #queue: Job[] = [];
  #scheduled = false;
  #running = 0;
  /** The chain head as this process's last batch left it (committed or on its way); null: ask the database. */
  #head: AuditHead | null = null;

  constructor(kysely: Executor) {
    this.#kysely = kysely;
  }

  run<T>(work: (trx: Executor) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // The job runs in its request's guard scope (the only async context the db layer reads);
      // AsyncResource.bind would carry all of it, at several µs per job on Node 20.
      const scope = guardScopes.getStore();
      const run = scope === undefined ? work : (trx: Executor) => guardScopes.run(scope, work, trx);
      this.#queue.push({ work: run, resolve: resolve as (v: unknown) => void, reject });
      // After the turn's I/O callbacks, so the requests read in this turn commit together.
      if (!this.#scheduled && this.#running < MAX_BATCHES) {
        this.#scheduled = true;
        setImmediate(() => outsideRequests(() => this.#start()));
      }
    });
  }

  /** Starts a batch with the queued jobs (a batch that ends starts the next, if jobs wait). */
  #start(): void {
    this.#scheduled = false;
    if (this.#queue.length === 0 || this.#running >= MAX_BATCHES) return;
    const jobs = this.#queue.splice(0, MAX_BATCH_JOBS);
    this.#running++;
    batchCounts.batches++;
    batchCounts.jobs += jobs.length;
    void this.#settle(jobs).finally(() => {
      this.#running--;
      this.#start();
    });
  }

  async #settle(jobs: readonly Job[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.#kysely.connection().execute((conn) => this.#commit(conn, jobs));
    } catch (err) {
      outcomes = jobs.map(() => ({ ok: false, err })); // no connection
    }
    for (let i = 0; i < jobs.length; i++) {
      const o = outcomes[i];
      if (o.ok) jobs[i].resolve(o.value);
      else jobs[i].reject(o.err);
    }
  }

  /**
   * Chains the jobs' events, writes them and commits. Fast path: chained on from the head this
   * process expects (the one its last batch left, committed or on its way), and sent with the
   * head's lock and the COMMIT in one round trip, the lock held for no round trip at all; the
   * statement itself checks, under the lock, that the head is that one (appendAuditRows), so a
   * batch behind another of this process waits for its COMMIT and goes on. When another writer
   * moved the head (another instance, or this process's batch before failed), the append alone is
   * rolled back and the slow path runs: lock the head, chain on from it, write, commit.
   */
  async #appendAndCommit(conn: Executor, chains: readonly AuditChain[]): Promise<void> {
    const expected = this.#head;
    if (expected !== null) {
      let next: AuditHead | null = null;
      try {
        const chained = chainAll(chains, expected);
        next = chained.head;
        this.#head = next;
        await conn.executeQuery(AUDIT_SAVEPOINT);
        await appendAuditRows(conn, AUDIT_COLUMNS, chained.rows, expected);
        await conn.executeQuery(COMMIT);
        return;
      } catch (err) {
        if (next !== null && this.#head === next) this.#head = null;
        if (!isHeadMoved(err) && !isHeadMoved((err as { cause?: unknown } | null)?.cause)) throw auditFailure(err);
        batchCounts.headMoved++;
      }
      await conn.executeQuery(AUDIT_ROLLBACK_TO);
    }
    let next: AuditHead | null = null;
    try {
      const head = await lockAuditHead(conn, 'postgres');
      const chained = chainAll(chains, head);
      next = chained.head;
      this.#head = next;
      await appendAuditRows(conn, AUDIT_COLUMNS, chained.rows, head);
      await conn.executeQuery(COMMIT);
    } catch (err) {
      if (next !== null && this.#head === next) this.#head = null;
      throw auditFailure(err);
    }
  }

  /** One transaction for the jobs: an outcome per job, all failed if the transaction is lost. */
  async #commit(conn: Executor, jobs: readonly Job[]): Promise<Outcome[]> {
    const chains: AuditChain[] = [];
    deferred.set(conn, chains);
    const outcomes: Outcome[] = [];
    // A lone job needs no savepoint: if it throws, rolling the transaction back undoes exactly it.
    const lone = jobs.length === 1;
    try {
      await conn.executeQuery(BEGIN);
      for (const job of jobs) {
        const kept = chains.length;
        if (!lone) await conn.executeQuery(SAVEPOINT);
        let value: unknown;
        try {
          value = await job.work(conn);
        } catch (err) {
          // a job's own failure is its outcome; a failure to undo it is the batch's (the catch below)
          if (lone) {
            await conn.executeQuery(ROLLBACK);
            return [{ ok: false, err }];
          }
          await conn.executeQuery(ROLLBACK_TO);
          chains.length = kept; // its events go with it
          outcomes.push({ ok: false, err });
          continue;
        }
        outcomes.push({ ok: true, value });
      }
      deferred.delete(conn);
      if (chains.length > 0) await this.#appendAndCommit(conn, chains);
      else await conn.executeQuery(COMMIT);
      return outcomes;
    } catch (err) {
      // The transaction itself failed (the connection, a failed rollback, the events, the COMMIT): nothing of it stays.
      try {
        await conn.executeQuery(ROLLBACK);
      } catch {
        // the connection is gone; the server rolls back
      }
      return jobs.map(() => ({ ok: false, err }));
    } finally {
      deferred.delete(conn);
    }
  }
}

/** Every kept job's events, chained on from `head` in job order. */
function chainAll(chains: readonly AuditChain[], from: AuditHead): { rows: AuditRow[]; head: AuditHead } {
  let head = from;
  const rows: AuditRow[] = [];
  for (const chain of chains) {
    const made = chain(head);
    if (made.length === 0) continue;
    if (made[0].seq !== head.seq + 1) throw new Error('audit events must chain on from the head');
    rows.push(...made);
    const last = made[made.length - 1];
    head = { ...head, seq: last.seq, hash: last.hash };
  }
  return { rows, head };
}

/** A failure of the batch's audit step as AuditService reports a failed append: a malformed event is a bug, anything else the trail's. */
function auditFailure(err: unknown): unknown {
  if (err instanceof TypeError || (err instanceof StrongboxError && (err.code === 'ERR_AUDIT_UNAVAILABLE' || err.code === 'ERR_UNAVAILABLE'))) return err;
  return new StrongboxError('ERR_AUDIT_UNAVAILABLE', undefined, undefined, { cause: err });
}
