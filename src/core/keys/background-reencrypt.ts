import type { StrongboxConfig } from '../../config/config.ts';
import type { CollectionDef } from '../../config/schema.ts';
import type { Database } from '../../db/database.ts';
import { blindIndexColumn, hasBlindIndex } from '../records/sensitive-columns.ts';
import type { JobRunner } from '../jobs/job-runner.ts';
import type { KeyService } from './key-service.ts';
import { ReencryptJob } from './reencrypt-job.ts';
import { getJob, hasMissingIndex } from './reencrypt-store.ts';

/** How often a serving instance looks for unfinished re-encryption jobs. */
export const REENCRYPT_POLL_MS = 5000;

/**
 * Starts a job for every collection where a searchable field has rows without a blind index
 * (rows written before `searchable: true` was added): the job computes them from the plaintext.
 * Returns the collections it started.
 */
export async function startIndexBackfills(db: Database, job: ReencryptJob, collections: Readonly<Record<string, CollectionDef>>): Promise<string[]> {
  const started: string[] = [];
  for (const def of Object.values(collections)) {
    const fields = def.fields.filter(hasBlindIndex);
    if (fields.length === 0 || (await getJob(db.kysely, def.name))?.state === 'running') continue;
    for (const f of fields) {
      if (await hasMissingIndex(db.kysely, def.name, f.name, blindIndexColumn(f.name))) {
        await job.start([def.name]);
        started.push(def.name);
        break;
      }
    }
  }
  return started;
}

/**
 * The lease a serving instance takes on a collection's job (ms): short, since the advisory lock
 * already keeps other instances out; it only holds off a `keys rotate` CLI running the same
 * job, and a killed leader's job resumes on the new leader once it lapses.
 */
export const BACKGROUND_LEASE_MS = 10_000;

/**
 * Runs unfinished re-encryption jobs in the background as the job `reencrypt` of the job runner
 * (src/core/jobs/): on one instance at a time (a PostgreSQL advisory lock), moving to another
 * when that one dies; the run stops between batches when leadership is lost or the engine closes.
 */
export function registerReencryption(jobs: JobRunner, db: Database, keys: KeyService, config: StrongboxConfig): void {
  const job = new ReencryptJob(db, keys, config.collections, { batch: config.keys.rotationBatch, leaseMs: BACKGROUND_LEASE_MS });
  let backfillsChecked = false;
  jobs.register({
    name: 'reencrypt',
    everyMs: REENCRYPT_POLL_MS,
    async run(signal) {
      if (!backfillsChecked) {
        await startIndexBackfills(db, job, config.collections);
        backfillsChecked = true;
      }
      // a failed batch throws to the runner (onError) and is retried at the next run: the cursor keeps its place
      await job.runAll(undefined, signal);
    },
  });
}
