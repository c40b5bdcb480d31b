import { parentPort } from 'node:worker_threads';
import type { DatabaseConfig } from '../../config/config.ts';
import type { KekConfig } from '../../config/parse-keys.ts';
import type { CollectionDef } from '../../config/schema.ts';
import type { Database } from '../../db/database.ts';
import { openDatabase } from '../../db/open-database.ts';
import { KeyService } from '../keys/key-service.ts';
import { failureOf, lowerThreadPriority } from './backup-thread.ts';
import { openAllSensitive } from './kek-check.ts';

/**
 * The worker-thread side of the KEK check of `backup verify` (kek-check.ts): its own connection
 * to the restored database, its own keyring over the same KEK. Started early, it waits for
 * { type: 'job', job }. Out: { type: 'done', opened } or a ThreadFailure.
 */
export interface KekCheckJob {
  readonly database: DatabaseConfig;
  readonly kek: KekConfig;
  readonly dev: boolean;
  readonly collections: readonly CollectionDef[];
  readonly nice: number;
}

const port = parentPort;
if (port === null) throw new Error('kek-check-thread.ts runs only on a worker thread');
const job = await new Promise<KekCheckJob>((resolve) => {
  port.once('message', (m: { type: string; job: KekCheckJob }) => resolve(m.job));
});
if (job.nice > 0) lowerThreadPriority(job.nice);
let db: Database | null = null;
let keys: KeyService | null = null;
try {
  db = await openDatabase(job.database, { poolSize: 1 });
  const sensitive = job.collections.filter((c) => c.fields.some((f) => f.sensitive)).map((c) => c.name);
  keys = await KeyService.open(db, { kek: job.kek, dev: job.dev, collections: sensitive });
  port.postMessage({ type: 'done', opened: await openAllSensitive(db, keys, job.collections) });
} catch (err) {
  port.postMessage(failureOf(err));
} finally {
  await keys?.close();
  await db?.close();
  port.close();
}
