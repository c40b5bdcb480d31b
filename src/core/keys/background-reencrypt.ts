import type { StrongboxConfig } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import type { KeyService } from './key-service.ts';
import { ReencryptJob } from './reencrypt-job.ts';

/** How often a serving instance looks for unfinished re-encryption jobs. */
export const REENCRYPT_POLL_MS = 5000;

/** Runs unfinished re-encryption jobs in the background; `stop` aborts between batches. */
export function startReencryption(db: Database, keys: KeyService, config: StrongboxConfig): { stop(): Promise<void> } {
  const job = new ReencryptJob(db, keys, config.collections, { batch: config.keys.rotationBatch });
  const abort = new AbortController();
  let running: Promise<void> | null = null;
  const tick = (): void => {
    if (running || abort.signal.aborted) return;
    running = job.runAll(undefined, abort.signal)
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
