import { parentPort, workerData } from 'node:worker_threads';
import { failureOf, lowerThreadPriority } from './backup-thread.ts';
import { verifyBackup, type VerifyBackupOptions } from './verify-backup.ts';

/**
 * A restore drill on a worker thread (verify-backup.ts, run for the scheduler inside `serve`): the
 * scratch restore and its checks are seconds of CPU that must not hold the event loop that
 * serves requests. In: VerifyBackupOptions without callbacks. Out: { type: 'done', result } or
 * a ThreadFailure (verifyBackup itself never throws for a bad backup).
 */
const port = parentPort;
if (port === null) throw new Error('verify-thread.ts runs only on a worker thread');
const job = workerData as Omit<VerifyBackupOptions, 'onProgress' | 'now'> & { nice: number };
lowerThreadPriority(job.nice);
try {
  port.postMessage({ type: 'done', result: await verifyBackup(job) });
} catch (err) {
  port.postMessage(failureOf(err));
} finally {
  port.close();
}
