import { performance } from 'node:perf_hooks';
import type { CollectionDef } from '../../config/schema.ts';
import type { Database } from '../../db/database.ts';
import { ReencryptStatements, type RowRewrite } from '../../db/reencrypt-batch.ts';
import { randomId } from '../../crypto/random-id.ts';
import { REVISION_COLUMN } from '../records/sensitive-columns.ts';
import type { KeyService } from './key-service.ts';
import { finishJob, getJob, listJobs, newPass, saveProgress, startJob, takeLease, type JobRow } from './reencrypt-store.ts';
import { deferRow, ResealBatch, rowPlan, rewriteRow, UnknownKeyVersion, type RowContext, type RowPlan } from './reencrypt-row.ts';
import { fieldResealPool, type FieldResealPool } from '../../crypto/field-reseal-pool.ts';

export interface ReencryptOptions {
  /** most records per batch (keys.rotationBatch); the time budget usually stops a batch first */
  readonly batch: number;
  /**
   * ms one batch may take (default 15). On SQLite a batch holds the event loop from its read to
   * its commit, so this bounds how long a concurrent request can wait behind the job.
   */
  readonly batchMs?: number;
  /** ms; a runner that stops renewing loses the job to another after this */
  readonly leaseMs?: number;
  /**
   * ms after a version is created before a pass may prove that nothing uses an older one: other
   * instances pick up a new version within a second, so only a pass started after this grace
   * sees every write they made with the old one.
   */
  readonly graceMs?: number;
  /**
   * ms after a new blind-index key is created before rows are re-indexed under it (default
   * 2000): every instance's filters must look it up first (they refresh every second).
   */
  readonly settleMs?: number;
  readonly now?: () => number;
  /**
   * Where ciphertexts are re-sealed: on the re-encryption thread (default, src/crypto/
   * field-reseal-pool.ts; `pool` picks another than the process-wide one) or, with
   * `thread: false`, on the event loop within the batch.
   */
  readonly thread?: boolean;
  readonly pool?: FieldResealPool;
}

/** A page read and prepared, its re-sealing perhaps still under way on the re-encryption thread. */
interface Page {
  /** the pass and key state it was prepared for: a page read ahead is used only by the same */
  readonly key: string;
  /** the cursor it was read after */
  readonly after: string;
  /** rows kept (a slow batch stops early), read, and asked for */
  readonly rows: number;
  readonly fetched: number;
  readonly limit: number;
  readonly last: string;
  /** complete once `ready` resolves */
  readonly rewrites: RowRewrite[];
  readonly ready: Promise<void>;
  /** whether any ciphertext went to the thread */
  readonly threaded: boolean;
}

export type ProgressFn = (job: JobRow) => void;

/** What the job measured: how long its longest batch held the event loop, and what it did. */
export interface JobStats {
  batches: number;
  rows: number;
  rewrittenRows: number;
  maxBatchMs: number;
  /** every batch's duration in ms (the first 100,000) */
  readonly batchMs: number[];
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Background re-encryption after `keys rotate`: every ciphertext of a collection is rewritten
 * under the newest data key, and every blind index under the newest index key (including rows
 * whose index is missing because `searchable` was added later), batch by batch, with
 * compare-and-set so concurrent writes are never lost. Progress lives in `_sb_key_jobs`, so a
 * crashed or killed runner is resumed by the next one (lease). When a full pass started after
 * the grace period rewrites nothing, the older versions are retired and zeroed.
 */
export class ReencryptJob {
  private readonly owner = randomId();
  private readonly pool: FieldResealPool;
  private readonly now: () => number;
  private readonly plans = new Map<string, { plan: RowPlan; statements: ReencryptStatements }>();
  /** rows per batch, adapted so a batch takes about `batchMs` */
  private limit: number;
  /** the next page, read and sent to the re-encryption thread while the current one is written */
  private ahead: Page | null = null;
  readonly stats: JobStats = { batches: 0, rows: 0, rewrittenRows: 0, maxBatchMs: 0, batchMs: [] };

  constructor(
    private readonly db: Database,
    private readonly keys: KeyService,
    private readonly collections: Readonly<Record<string, CollectionDef>>,
    private readonly opts: ReencryptOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.pool = opts.pool ?? fieldResealPool;
    this.limit = Math.min(opts.batch, 64);
  }

  private iso(offset = 0): string {
    return new Date(this.now() + offset).toISOString();
  }

  /** Starts a job for each collection towards its current data key. */
  async start(collections: readonly string[]): Promise<void> {
    for (const c of collections) {
      await startJob(this.db.kysely, c, this.keys.fieldVersion(c), await this.count(c), this.iso());
    }
  }

  async jobs(): Promise<JobRow[]> {
    return listJobs(this.db.kysely);
  }

  /**
   * Runs every unfinished job this process can lease until done (or `signal` aborts). Between
   * batches it yields to the event loop, so requests are served while it runs.
   */
  async runAll(onProgress?: ProgressFn, signal?: AbortSignal): Promise<void> {
    for (const job of await listJobs(this.db.kysely)) {
      if (job.state !== 'running' || !Object.hasOwn(this.collections, job.collection)) continue;
      while (!signal?.aborted && (await this.step(job.collection, onProgress))) await yieldToLoop();
    }
  }

  /** One batch; false when the job is finished or another runner holds it. */
  async step(collection: string, onProgress?: ProgressFn): Promise<boolean> {
    const started = performance.now();
    if (!(await takeLease(this.db.kysely, collection, this.owner, this.iso(), this.iso(this.opts.leaseMs ?? 30_000)))) return false;
    const job = await getJob(this.db.kysely, collection);
    if (!job || job.state !== 'running') return false;
    await this.keys.fresh();
    const { plan, statements } = this.planFor(collection);
    const indexVersions = this.keys.indexVersions(collection);
    const reindex = plan.indexed && indexVersions.length > 1;
    if (reindex && (await this.indexUnsettled(collection))) return true;
    const ctx = { keys: this.keys, collection, target: job.targetVersion, indexTarget: this.keys.indexVersion(collection), reindex };

    const key = `${collection}\u0000${job.targetVersion}\u0000${job.passStarted}\u0000${ctx.indexTarget}\u0000${reindex}`;
    const ahead = this.ahead;
    this.ahead = null;
    // The row count is sized to the budget from earlier batches; a batch that runs slow anyway
    // (a busy CPU, a GC) stops early and leaves its remaining rows to the next one.
    const page = ahead !== null && ahead.key === key && ahead.after === job.cursor
      ? ahead
      : await this.readPage(ctx, plan, statements, key, job.cursor, started + this.budgetMs() * 0.7);
    const more = page.rows < page.fetched || page.fetched === page.limit;
    // The next page goes to the thread now, so it is re-sealed while this one is written. It is
    // written only by the next batch of the same pass, after this one; compare-and-set keeps any
    // client write made in between.
    if (more && page.threaded) this.ahead = await this.readPage(ctx, plan, statements, key, page.last, performance.now() + this.budgetMs() * 0.35);
    const waiting = performance.now();
    await page.ready;
    const waited = performance.now() - waiting;
    const progress = { cursor: page.last, done: job.done + page.rows, changed: job.changed + page.rewrites.length };
    await this.db.kysely.transaction().execute(async (trx) => {
      await statements.write(trx, page.rewrites);
      await saveProgress(trx, collection, job, progress, this.iso());
    });
    // the loop's work in this batch: this page written (and read, unless read ahead), the next one read
    const next = this.ahead?.fetched ?? 0;
    this.measure(started, waited, page.rows, page.rewrites.length, more, page.threaded ? (page.rows + next) / 2 : page.rows, Math.max(page.rows, next));
    onProgress?.({ ...job, ...progress });
    if (more) return true;
    return this.endOfPass(collection, { ...job, ...progress });
  }

  /** Reads the rows after `after` and prepares their rewrites; ciphertexts go to the thread unless it is off. */
  private async readPage(ctx: RowContext, plan: RowPlan, statements: ReencryptStatements, key: string, after: string, deadline: number): Promise<Page> {
    const limit = this.limit;
    const fetched = await statements.readAfter(this.db.kysely, after, limit);
    let out: { rows: readonly Record<string, unknown>[]; rewrites: RowRewrite[]; batch: ResealBatch | null };
    try {
      out = this.prepare(ctx, plan, fetched, deadline);
    } catch (err) {
      if (!(err instanceof UnknownKeyVersion)) throw err;
      // another instance rotated: load its key, then the page once more
      await this.keys.reloadKeys();
      out = this.prepare(ctx, plan, fetched, deadline);
    }
    const { rows, rewrites, batch } = out;
    const threaded = batch !== null && batch.size > 0;
    const ready = threaded ? this.keys.resealFields(batch, this.pool).then((sealed) => batch.fill(sealed)) : Promise.resolve();
    ready.catch(() => undefined); // a page read ahead and then dropped fails unobserved; the batch that uses it awaits it
    const last = rows.length > 0 ? String(rows[rows.length - 1].id) : after;
    return { key, after, rows: rows.length, fetched: fetched.length, limit, last, rewrites, ready, threaded };
  }

  private budgetMs(): number {
    return this.opts.batchMs ?? 15;
  }

  /**
   * Records the batch and sizes the next one so it holds the event loop about `batchMs`: the
   * time spent waiting for the re-encryption thread (`waited`) does not hold it. `units`: the
   * page-sized pieces of work the batch did on the loop, in rows (with the thread, reading the
   * next page and writing this one: about two half-pages' worth each); `largest`: the larger of
   * the pages it touched, the base of the growth limit.
   */
  private measure(started: number, waited: number, rows: number, rewritten: number, full: boolean, units: number, largest: number): void {
    const ms = performance.now() - started - waited;
    const s = this.stats;
    s.batches++;
    s.rows += rows;
    s.rewrittenRows += rewritten;
    if (ms > s.maxBatchMs) s.maxBatchMs = ms;
    if (s.batchMs.length < 100_000) s.batchMs.push(ms);
    if (!full || rows === 0) return; // the end of a pass says nothing about the cost of a full batch
    const fit = Math.floor((units * this.budgetMs() * 0.8) / Math.max(ms, 0.1));
    // grow by at most half per batch (the cost of a row varies), shrink at once
    this.limit = Math.max(Math.min(10, this.opts.batch), Math.min(this.opts.batch, fit, Math.ceil(largest * 1.5)));
  }

  /**
   * The rows' rewrites, in order, stopping after a multiple of 16 rows once `deadline` has
   * passed. With the thread on, ciphertexts that only need re-sealing are collected in `batch`
   * (the rewrites are complete once it is filled); rows that need blind-index work are done here.
   */
  private prepare(ctx: RowContext, plan: RowPlan, rows: readonly Record<string, unknown>[], deadline: number): { rows: readonly Record<string, unknown>[]; rewrites: RowRewrite[]; batch: ResealBatch | null } {
    const rewrites: RowRewrite[] = [];
    // until the thread is up (about 0.2 s after its first use) the batch re-seals here rather than wait
    const batch = this.opts.thread === false || !this.pool.started ? null : new ResealBatch(ctx.collection);
    for (let i = 0; i < rows.length; i++) {
      if (i > 0 && (i & 15) === 0 && performance.now() > deadline) return { rows: rows.slice(0, i), rewrites, batch };
      const r = batch === null ? rewriteRow(ctx, plan, rows[i]) : deferRow(ctx, plan, rows[i], batch);
      if (r !== null) rewrites.push(r);
    }
    return { rows, rewrites, batch };
  }

  /** True (after a short wait) while the newest index key is younger than `settleMs`. */
  private async indexUnsettled(collection: string): Promise<boolean> {
    const settle = this.opts.settleMs ?? 2000;
    if (settle <= 0) return false;
    const created = await this.keyCreated('blind-index', collection, this.keys.indexVersion(collection));
    const wait = created === undefined ? 0 : settle - (this.now() - Date.parse(created));
    if (wait <= 0) return false;
    await new Promise((r) => setTimeout(r, Math.min(wait, 1000)));
    return true;
  }

  /** A clean pass that began after the grace retires the older keys; otherwise another pass runs. */
  private async endOfPass(collection: string, job: JobRow): Promise<boolean> {
    const stored = await this.keys.stored();
    const versions = this.keys.dataKeyVersions(collection, stored);
    const grace = this.opts.graceMs ?? 10_000;
    const created = stored.find((k) => k.purpose === 'field-data' && k.scope === collection && k.version === job.targetVersion)?.created;
    // The newest index key as the database has it, not as this process last saw it: a pass that
    // began a grace after it was created compared every row with it (views refresh every second).
    const indexKeys = stored.filter((k) => k.purpose === 'blind-index' && k.scope === collection && k.state === 'active');
    const newestIndex = indexKeys.length > 0 ? indexKeys[indexKeys.length - 1] : undefined;
    const began = Date.parse(job.passStarted);
    const proven = job.changed === 0 && created !== undefined && began - Date.parse(created) >= grace
      && (newestIndex === undefined || began - Date.parse(newestIndex.created) >= grace);
    if (!proven) {
      await newPass(this.db.kysely, collection, await this.count(collection), this.iso());
      // wait out the grace before the proving pass rather than spin over the table
      if (job.changed === 0 && created !== undefined) {
        const newest = Math.max(Date.parse(created), newestIndex === undefined ? 0 : Date.parse(newestIndex.created));
        const wait = grace - (this.now() - newest);
        if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 1000)));
      }
      return true;
    }
    await this.keys.reloadKeys();
    for (const v of versions) if (v < job.targetVersion) await this.keys.retireDataKey(collection, v);
    if (newestIndex) for (const k of indexKeys) if (k.version < newestIndex.version) await this.keys.retireIndexKey(collection, k.version);
    await finishJob(this.db.kysely, collection, this.iso());
    return false;
  }

  private planFor(collection: string): { plan: RowPlan; statements: ReencryptStatements } {
    let p = this.plans.get(collection);
    if (!p) {
      const plan = rowPlan(this.collections[collection]);
      p = { plan, statements: new ReencryptStatements(this.db.kysely, this.db.dialect, collection, REVISION_COLUMN, plan.columns) };
      this.plans.set(collection, p);
    }
    return p;
  }

  private async keyCreated(purpose: 'blind-index', scope: string, version: number): Promise<string | undefined> {
    return (await this.keys.stored()).find((k) => k.purpose === purpose && k.scope === scope && k.version === version)?.created;
  }

  private async count(collection: string): Promise<number> {
    const r = await this.db.kysely.selectFrom(collection).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
