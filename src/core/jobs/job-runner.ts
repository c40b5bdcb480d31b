/**
 * Scheduled jobs (backups, re-encryption, verification) that must run on one instance at a
 * time. Every instance registers the same jobs; per job, the instance holding a PostgreSQL
 * session advisory lock is the leader and the only one that runs it. When the leader dies its
 * session ends, the server releases the lock, and the next instance to poll takes over. When
 * a job last started is kept in `_sb_jobs`, so a new leader keeps the schedule instead of
 * running at once. On SQLite (one instance per database file) the only instance leads.
 * API: docs/postgres.md#scheduled-jobs-and-leadership
 */
import type { DatabaseConfig } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import { AdvisoryLockSession } from '../../db/postgres/advisory-lock-session.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { jobLockKey } from './job-lock-key.ts';

export interface JobDefinition {
  /** Unique per deployment: `[a-z0-9-]{1,64}`, e.g. `backup`, `reencrypt`. */
  readonly name: string;
  /** Milliseconds between the starts of two runs (the schedule survives a change of leader). */
  readonly everyMs: number;
  /** One run. `signal` aborts when leadership is lost or the runner stops: stop promptly then. */
  run(signal: AbortSignal): Promise<void>;
}

export interface JobRunnerOptions {
  /** How often a follower asks for leadership and a leader checks what is due; default 5 s. */
  readonly pollMs?: number;
  /** Wall clock in ms (tests inject one). */
  readonly now?: () => number;
  /** Recorded in `_sb_jobs.instance`; default host:pid. */
  readonly instance?: string;
  /** A run that threw, or a poll that failed (the schedule goes on); default: ignored. */
  readonly onError?: (job: string, err: unknown) => void;
  /** Production: the lock connection needs verified TLS like every other. */
  readonly requireVerifiedTls?: boolean;
}

interface JobState {
  readonly def: JobDefinition;
  readonly key: bigint;
  leader: boolean;
  running: AbortController | null;
  /** the run in progress (each job runs on its own: a long one does not hold up the others) */
  done: Promise<void> | null;
}

/** A lock kept while leading (JobRunner.leadership). */
export interface Leadership {
  /** Whether this instance leads now: asks for the lock when it does not hold it, checks it when it does. */
  lead(): Promise<boolean>;
  /** Gives leadership up. */
  close(): Promise<void>;
}

const NAME = /^[a-z0-9-]{1,64}$/;
export const DEFAULT_POLL_MS = 5000; // 5 s

export class JobRunner {
  readonly #db: Database;
  readonly #dbConfig: DatabaseConfig;
  readonly #opts: JobRunnerOptions;
  readonly #jobs = new Map<string, JobState>();
  /** names run by exclusive() right now (a second call in this process must not stack the lock) */
  readonly #exclusive = new Set<string>();
  #session: AdvisoryLockSession | null = null;
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<void> | null = null;
  #stopped = false;

  constructor(db: Database, dbConfig: DatabaseConfig, opts: JobRunnerOptions = {}) {
    this.#db = db;
    this.#dbConfig = dbConfig;
    this.#opts = opts;
  }

  /** Adds a job; the runner starts polling with the first one. */
  register(def: JobDefinition): void {
    if (!NAME.test(def.name)) throw new StrongboxError('ERR_CONFIG', `A job name must match ${NAME.source}.`);
    if (!Number.isInteger(def.everyMs) || def.everyMs < 1) throw new StrongboxError('ERR_CONFIG', 'A job interval must be a positive number of milliseconds.');
    if (this.#jobs.has(def.name)) throw new StrongboxError('ERR_CONFIG', `The job ${def.name} is registered twice.`);
    if (this.#stopped) throw new StrongboxError('ERR_CONFIG', 'The job runner is stopped.');
    this.#jobs.set(def.name, { def, key: jobLockKey(def.name), leader: false, running: null, done: null });
    if (this.#timer === null && this.#ticking === null) this.#schedule(0);
  }

  /**
   * Runs `fn` now if no instance holds the lock named `name` (the key registered jobs use), and
   * returns whether it ran: for work on its own schedule (the backup scheduler's, from its
   * catalog) that must still run on one instance at a time. The lock is a session lock on the
   * runner's own connection, outside any transaction, so a long run is not cut off by the app
   * role's idle-in-transaction timeout, and it is released if this process dies. SQLite: fn runs.
   */
  async exclusive(name: string, fn: () => Promise<void>): Promise<boolean> {
    if (!NAME.test(name)) throw new StrongboxError('ERR_CONFIG', `A job name must match ${NAME.source}.`);
    // a registered job's lock is already held by its leader on this same session (locks stack)
    if (this.#jobs.has(name)) throw new StrongboxError('ERR_CONFIG', `The job ${name} is registered; it cannot also run exclusively.`);
    if (this.#stopped) return false;
    if (this.#db.dialect === 'sqlite') {
      await fn();
      return true;
    }
    // marked before the first await: a second call in this process would stack the same lock
    if (this.#exclusive.has(name)) return false;
    this.#exclusive.add(name);
    try {
      const key = jobLockKey(name);
      const session = await this.#lockSession();
      if (!(await session.tryLock(key))) return false;
      try {
        await fn();
      } finally {
        if (!session.lost) await session.unlock(key).catch(() => undefined);
      }
      return true;
    } finally {
      this.#exclusive.delete(name);
    }
  }

  /**
   * A lock this instance keeps for as long as it leads (the syslog forwarder's), on the runner's
   * own session: `lead()` asks for it while not held and checks it at most every `checkMs` while
   * held; `close()` gives it up. When the session is lost the lock goes with it and the next
   * `lead()` asks again on a new one. SQLite is one instance per file: it always leads.
   */
  leadership(name: string, checkMs = 2000): Leadership {
    if (!NAME.test(name)) throw new StrongboxError('ERR_CONFIG', `A job name must match ${NAME.source}.`);
    const key = jobLockKey(name);
    let session: AdvisoryLockSession | null = null;
    let leading = false;
    let checked = 0;
    return {
      lead: async () => {
        if (this.#stopped) return false;
        if (this.#db.dialect === 'sqlite') return true;
        const current = await this.#lockSession();
        if (current !== session) {
          session = current; // a new session holds nothing yet
          leading = false;
        }
        const now = this.#opts.now?.() ?? Date.now();
        if (!leading) {
          leading = await current.tryLock(key);
          checked = now;
        } else if (now - checked >= checkMs) {
          leading = await current.holds(key);
          checked = now;
        }
        return leading && !current.lost;
      },
      close: async () => {
        if (leading && session !== null && !session.lost) await session.unlock(key).catch(() => undefined);
        leading = false;
      },
    };
  }

  /** Whether this instance currently leads the job. */
  leads(name: string): boolean {
    return this.#jobs.get(name)?.leader === true;
  }

  /** Stops polling, aborts running jobs, waits for the current tick, releases every lock. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const j of this.#jobs.values()) j.running?.abort();
    await this.#ticking;
    await Promise.all([...this.#jobs.values()].map((j) => j.done));
    for (const j of this.#jobs.values()) j.leader = false;
    await this.#session?.close();
    this.#session = null;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#ticking = this.#tick().finally(() => {
        this.#ticking = null;
        this.#schedule(this.#opts.pollMs ?? DEFAULT_POLL_MS);
      });
    }, ms);
    this.#timer.unref(); // jobs alone never keep a process alive
  }

  async #tick(): Promise<void> {
    for (const job of this.#jobs.values()) {
      if (this.#stopped) return;
      try {
        // a running job only has its lock checked: lost, the run is told to stop
        if (job.done !== null) {
          if (!(await this.#claim(job))) job.running?.abort();
        } else if (await this.#claim(job)) {
          await this.#startIfDue(job);
        }
      } catch (err) {
        job.leader = false;
        job.running?.abort();
        this.#opts.onError?.(job.def.name, err);
      }
    }
  }

  /** Leader or not, asking PostgreSQL when not (and checking the lock still stands when so). */
  async #claim(job: JobState): Promise<boolean> {
    if (this.#db.dialect === 'sqlite') return (job.leader = true);
    const session = await this.#lockSession();
    if (job.leader) job.leader = await session.holds(job.key);
    else job.leader = await session.tryLock(job.key);
    return job.leader;
  }

  async #lockSession(): Promise<AdvisoryLockSession> {
    if (this.#session && !this.#session.lost) return this.#session;
    for (const j of this.#jobs.values()) j.leader = false;
    if (this.#dbConfig.kind !== 'postgres') throw new StrongboxError('ERR_CONFIG', 'Job leadership needs PostgreSQL.');
    const session = await AdvisoryLockSession.open(this.#dbConfig.url, this.#dbConfig.password, { requireVerifiedTls: this.#opts.requireVerifiedTls });
    session.onLost(() => {
      for (const j of this.#jobs.values()) {
        j.leader = false;
        j.running?.abort();
      }
    });
    this.#session = session;
    return session;
  }

  /** Records the start in `_sb_jobs` and starts the run when due; the run goes on between polls. */
  async #startIfDue(job: JobState): Promise<void> {
    const now = this.#opts.now?.() ?? Date.now();
    const row = await this.#db.kysely.selectFrom('_sb_jobs').select('last_started').where('name', '=', job.def.name).executeTakeFirst() as { last_started: string } | undefined;
    if (row && now - Date.parse(row.last_started) < job.def.everyMs) return;
    const started = new Date(now).toISOString();
    const instance = this.#opts.instance ?? `${process.env.HOSTNAME ?? 'host'}:${process.pid}`;
    await this.#db.kysely.insertInto('_sb_jobs').values({ name: job.def.name, last_started: started, last_finished: null, instance })
      .onConflict((oc) => oc.column('name').doUpdateSet({ last_started: started, last_finished: null, instance })).execute();
    const controller = new AbortController();
    job.running = controller;
    job.done = (async () => {
      await job.def.run(controller.signal);
      if (controller.signal.aborted) return;
      await this.#db.kysely.updateTable('_sb_jobs').set({ last_finished: new Date(this.#opts.now?.() ?? Date.now()).toISOString() })
        .where('name', '=', job.def.name).execute();
    })().catch((err: unknown) => { this.#opts.onError?.(job.def.name, err); }).finally(() => {
      job.running = null;
      job.done = null;
    });
  }
}
