import { parentPort } from 'node:worker_threads';
import type { Database } from '../../db/database.ts';
import { linkSourceFor } from '../../db/audit/audit-link-source.ts';
import { openDatabase } from '../../db/open-database.ts';
import { verifyChain } from '../audit/audit-verify.ts';
import { KeyService } from '../keys/key-service.ts';
import { failureOf, lowerThreadPriority } from './backup-thread.ts';
import { openAllSensitive } from './kek-check.ts';
import type { FromChecksThread, RestoredChecksJob, ToChecksThread } from './restored-checks.ts';

/**
 * The worker-thread side of `backup verify`'s checks of the restored scratch database
 * (restored-checks.ts): its own connection and its own keyring over the same KEK. Started early,
 * it waits for { type: 'job' }, sent once the keyring's tables are committed; then it opens every
 * sensitive value, following the restore's commits ({ type: 'committed' }) until each collection
 * is complete, and checks the audit chain (on one more worker, audit-verify-parallel.ts) once the
 * audit trail's tables are in.
 */
const port = parentPort;
if (port === null) throw new Error('restored-checks-thread.ts runs only on a worker thread');
let final = false;
const complete = new Set<string>();
let wake: (() => void) | null = null;
let auditIn!: () => void;
const audited = new Promise<void>((resolve) => { auditIn = resolve; });
const job = await new Promise<RestoredChecksJob>((resolve) => {
  port.on('message', (m: ToChecksThread) => {
    if (m.type === 'job') resolve(m.job);
    else {
      final ||= m.final;
      for (const t of m.complete) complete.add(t);
      if (m.audit || m.final) auditIn();
      wake?.();
      wake = null;
    }
  });
});
/** True once more of `table` may be committed; false once it is complete (read it to its end once more). */
const more = (table: string): Promise<boolean> =>
  (final || complete.has(table) ? Promise.resolve(false) : new Promise<boolean>((resolve) => { wake = () => resolve(true); }));
const send = (m: FromChecksThread): void => port.postMessage(m);
if (job.nice > 0) lowerThreadPriority(job.nice);
let db: Database | null = null;
let keys: KeyService | null = null;
try {
  db = await openDatabase(job.database, { poolSize: 1 });
  const sensitive = job.collections.filter((c) => c.fields.some((f) => f.sensitive)).map((c) => c.name);
  keys = await KeyService.open(db, { kek: job.kek, dev: job.dev, collections: sensitive });
  const ring = keys;
  const [audit, opened] = await Promise.allSettled([
    // one worker: the restore, or this thread's value check, holds the other core
    audited.then(() => verifyChain(db!, ring, { parallel: { source: linkSourceFor(job.database), workers: 1 } })),
    openAllSensitive(db, keys, job.collections, more),
  ]);
  // the chain's verdict first: verify reports a broken chain before a value that does not open
  if (audit.status === 'fulfilled') send({ type: 'audit', ok: audit.value.ok, headSeq: audit.value.headSeq, problem: audit.value.problem });
  if (audit.status === 'rejected') throw audit.reason;
  if (opened.status === 'rejected') throw opened.reason;
  send({ type: 'done', opened: opened.value });
} catch (err) {
  send(failureOf(err));
} finally {
  await keys?.close();
  await db?.close();
  port.close();
}
