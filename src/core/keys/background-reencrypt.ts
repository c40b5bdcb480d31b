import type { StrongboxConfig } from '../../config/config.ts';
import type { CollectionDef } from '../../config/schema.ts';
import type { Database } from '../../db/database.ts';
import { blindIndexColumn, hasBlindIndex } from '../records/sensitive-columns.ts';
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

/** Runs unfinished re-encryption jobs in the background; `stop` aborts between batches. */
export function startReencryption(db: Database, keys: KeyService, config: StrongboxConfig): { stop(): Promise<void> } {
  const job = new ReencryptJob(db, keys, config.collections, { batch: config.keys.rotationBatch });
  const abort = new AbortController();
  let running: Promise<void> | null = null;
  let backfillsChecked = false;
  const tick = (): void => {
    if (running || abort.signal.aborted) return;
    running = (async () => {
      if (!backfillsChecked) {
        await startIndexBackfills(db, job, config.collections);
        backfillsChecked = true;
      }
      await job.runAll(undefined, abort.signal);
    })()
      // a failed batch is retried at the next tick; the job's cursor keeps its place
      .catch((err: unknown) => { process.emitWarning(`re-encryption batch failed: ${(err as Error).message}`); })
      .finally(() => { running = null; });
  };
  const timer = setInterval(tick, REENCRYPT_POLL_MS);
  timer.unref();
  return {
    async stop() {
      abort.abort();
      clearInterval(timer);
      await running;
    },
  };
}
