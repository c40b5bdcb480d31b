import type { CollectionDef } from '../../config/schema.ts';
import type { Database } from '../../db/database.ts';
import { compareAndSetMany, type CasChange } from '../../db/compare-and-set.ts';
import { randomId } from '../../crypto/random-id.ts';
import { hasMaskColumn, maskColumn, REVISION_COLUMN } from '../records/sensitive-columns.ts';
import type { KeyService } from './key-service.ts';
import { finishJob, getJob, listJobs, newPass, saveProgress, startJob, takeLease, type JobRow } from './reencrypt-store.ts';

export interface ReencryptOptions {
  /** records per batch (keys.rotationBatch) */
  readonly batch: number;
  /** ms; a runner that stops renewing loses the job to another after this */
  readonly leaseMs?: number;
  /**
   * ms after a version is created before a pass may prove that nothing uses an older one: other
   * instances pick up a new version within a second, so only a pass started after this grace
   * sees every write they made with the old one.
   */
  readonly graceMs?: number;
  readonly now?: () => number;
}

export type ProgressFn = (job: JobRow) => void;

/**
 * Background re-encryption after `keys rotate`: every ciphertext of a collection is rewritten
 * under the newest data key, batch by batch, with compare-and-set so concurrent writes are
 * never lost. Progress lives in `_sb_key_jobs`, so a crashed or killed runner is resumed by the
 * next one (lease). When a full pass started after the grace period rewrites nothing, the older
 * versions are retired and zeroed.
 */
export class ReencryptJob {
  private readonly owner = randomId();
  private readonly now: () => number;

  constructor(
    private readonly db: Database,
    private readonly keys: KeyService,
    private readonly collections: Readonly<Record<string, CollectionDef>>,
    private readonly opts: ReencryptOptions,
  ) {
    this.now = opts.now ?? Date.now;
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

  /** Runs every unfinished job this process can lease until done (or `signal` aborts). */
  async runAll(onProgress?: ProgressFn, signal?: AbortSignal): Promise<void> {
    for (const job of await listJobs(this.db.kysely)) {
      if (job.state !== 'running' || !Object.hasOwn(this.collections, job.collection)) continue;
      while (!signal?.aborted && (await this.step(job.collection, onProgress))) { /* next batch */ }
    }
  }

  /** One batch; false when the job is finished or another runner holds it. */
  async step(collection: string, onProgress?: ProgressFn): Promise<boolean> {
    const def = this.collections[collection];
    if (!(await takeLease(this.db.kysely, collection, this.owner, this.iso(), this.iso(this.opts.leaseMs ?? 30_000)))) return false;
    const job = await getJob(this.db.kysely, collection);
    if (!job || job.state !== 'running') return false;
    await this.keys.fresh();
    const columns = def.fields.filter((f) => f.sensitive).flatMap((f) => [
      { column: f.name, place: f.name },
      ...(hasMaskColumn(f) ? [{ column: maskColumn(f.name), place: `${f.name}#mask` }] : []),
    ]);
    const rows = await this.db.kysely.selectFrom(collection).select(['id', REVISION_COLUMN, ...columns.map((c) => c.column)])
      .where('id', '>', job.cursor).orderBy('id').limit(this.opts.batch).execute();
    const changes: CasChange[] = [];
    for (const row of rows) {
      for (const c of columns) {
        const stored = row[c.column];
        if (stored === null || stored === undefined) continue;
        if (this.keys.storedVersion(stored) === job.targetVersion) continue;
        const plain = await this.keys.openField(collection, c.place, String(row.id), row[REVISION_COLUMN], stored);
        try {
          changes.push({ id: String(row.id), column: c.column, from: String(stored), to: this.keys.sealField(collection, c.place, String(row.id), String(row[REVISION_COLUMN]), plain) });
        } finally {
          plain.fill(0);
        }
      }
    }
    const last = rows.length > 0 ? String(rows[rows.length - 1].id) : job.cursor;
    const progress = { cursor: last, done: job.done + rows.length, changed: job.changed + changes.length };
    await this.db.kysely.transaction().execute(async (trx) => {
      await compareAndSetMany(trx, collection, changes);
      await saveProgress(trx, collection, progress, this.iso());
    });
    onProgress?.({ ...job, ...progress });
    if (rows.length === this.opts.batch) return true;
    return this.endOfPass(collection, { ...job, ...progress });
  }

  /** A clean pass that began after the grace retires the older keys; otherwise another pass runs. */
  private async endOfPass(collection: string, job: JobRow): Promise<boolean> {
    const versions = this.keys.dataKeyVersions(collection, await this.keys.stored());
    const created = (await this.keys.stored()).find((k) => k.purpose === 'field-data' && k.scope === collection && k.version === job.targetVersion)?.created;
    const proven = job.changed === 0 && created !== undefined && Date.parse(job.passStarted) - Date.parse(created) >= (this.opts.graceMs ?? 10_000);
    if (!proven) {
      await newPass(this.db.kysely, collection, await this.count(collection), this.iso());
      // wait out the grace before the proving pass rather than spin over the table
      if (job.changed === 0 && created !== undefined) {
        const wait = (this.opts.graceMs ?? 10_000) - (this.now() - Date.parse(created));
        if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 1000)));
      }
      return true;
    }
    for (const v of versions) if (v < job.targetVersion) await this.keys.retireDataKey(collection, v);
    await finishJob(this.db.kysely, collection, this.iso());
    return false;
  }

  private async count(collection: string): Promise<number> {
    const r = await this.db.kysely.selectFrom(collection).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
