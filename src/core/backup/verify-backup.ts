import { createReadStream } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { DatabaseConfig, StrongboxConfig } from '../../config/config.ts';
import { openDatabase } from '../../db/open-database.ts';
import { StrongboxError, isStrongboxError } from '../../errors/strongbox-error.ts';
import { auditProblem, checkRestoredAudit } from './backup-audit.ts';
import { BACKUP_THREAD_NICE, errorOf, settleOnce, startBackupThread, type ThreadFailure } from './backup-thread.ts';
import { checkSensitiveFields } from './kek-check.ts';
import type { ArchiveHeader, Manifest } from './archive-format.ts';
import { isCheckFailure, startRestoredChecks, type ChecksOutcome, type RestoredChecks, type RestoredChecksJob } from './restored-checks.ts';
import { restoreBackup } from './restore-backup.ts';
import { RowSample, checkSample } from './sample-check.ts';

export interface VerifyBackupOptions {
  readonly path: string;
  readonly identities: readonly string[];
  readonly trustedPublicKeys: readonly string[];
  /** The server's config: its keys open the restored keyring (the KEK check). */
  readonly config: StrongboxConfig;
  /** A scratch database to restore into; default a temp SQLite file, deleted afterwards. */
  readonly scratch?: DatabaseConfig;
  readonly sampleSize?: number; // records per collection read back through the pipeline; default 50
  readonly onProgress?: (done: number, total: number) => void;
  readonly now?: () => number; // ms clock
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly file: string;
  readonly manifest: Manifest | null;
  readonly records: number;
  readonly sampled: number;
  readonly seconds: number;
  /** The error when not ok (a StrongboxError code and message). */
  readonly code: string | null;
  readonly message: string;
}

/**
 * Proves a backup restores: decrypts it, checks signature and hashes while restoring into a
 * scratch database, then reads a sample back through the record pipeline with the server's
 * keys. Never throws for a bad backup: the verdict says why.
 */
export async function verifyBackup(opts: VerifyBackupOptions): Promise<VerifyResult> {
  const now = opts.now ?? (() => performance.now());
  const start = now();
  const file = basename(opts.path);
  let tempDir: string | null = null;
  let scratch = opts.scratch;
  if (scratch === undefined) {
    tempDir = mkdtempSync(join(tmpdir(), 'strongbox-verify-'));
    scratch = { kind: 'sqlite', path: join(tempDir, 'scratch.db') };
  }
  const sample = new RowSample(opts.sampleSize ?? 50);
  let manifest: Manifest | null = null;
  let header: ArchiveHeader | null = null;
  // Into its own scratch file, verify commits the restore part by part and checks the committed
  // tables on a thread meanwhile (restored-checks.ts); its start-up runs on the core the restore leaves idle.
  const checks = opts.scratch === undefined ? startRestoredChecks() : null;
  const job = (): RestoredChecksJob => ({ database: scratch, kek: opts.config.keys.kek, dev: opts.config.dev, collections: header!.collections, nice: 0 });
  try {
    const target = await openDatabase(scratch);
    try {
      manifest = await restoreBackup({
        source: createReadStream(opts.path, { highWaterMark: 1024 * 1024 }),
        identities: opts.identities,
        trustedPublicKeys: opts.trustedPublicKeys,
        target,
        force: opts.scratch !== undefined,
        onHeader: (h) => { header = h; },
        onPart: (part) => sample.add(part),
        onProgress: opts.onProgress,
        unsafeCommitEachPart: checks === null ? undefined : (p) => {
          if (p.keyring && !checks.started) checks.start(job());
          checks.committed({ final: false, complete: p.complete, audit: p.system });
        },
      });
    } finally {
      await target.close();
    }
    checks?.committed({ final: true, complete: manifest.tables.map((t) => t.name), audit: true });
    // the engine and the sample append audit events (sensitive reads): only after the chain is checked
    await checks?.chainChecked();
    const collections = Object.fromEntries(manifest.collections.map((c) => [c.name, c]));
    const { openEngine } = await import('../engine.ts');
    const engine = await openEngine({ ...opts.config, database: scratch, collections }, { reuseDevPepper: true });
    let sampled: number;
    let auditNote = '';
    try {
      // where the thread could not check the chain, this thread does, before the sample appends to it
      const found = await checkedOnThread(checks);
      const audit = found === null ? await checkRestoredAudit(engine, manifest.audit) : auditProblem(found.audit!, manifest.audit);
      if (audit !== null && audit !== 'not checked') throw new StrongboxError('ERR_BACKUP_VERIFY_FAILED', `${audit}.`);
      if (audit === null) auditNote = `, audit chain verified to seq ${manifest.audit?.seq ?? 0}`;
      sampled = await checkSample(engine.records, manifest.collections, sample);
      if (found !== null && found.error !== null) throw found.error;
      const opened = found === null ? await checkSensitiveFields(engine, manifest.collections) : found.opened;
      if (opened !== null) auditNote += `, ${opened} sensitive values decrypt with the KEK`;
    } finally {
      await engine.close();
    }
    const records = manifest.tables.reduce((n, t) => n + t.rows, 0);
    return { ok: true, file, manifest, records, sampled, seconds: (now() - start) / 1000, code: null,
      message: `${records} rows in ${manifest.tables.length} tables restored, signature and hashes valid${auditNote}, ${sampled} records read back identical` };
  } catch (err) {
    const code = isStrongboxError(err) ? err.code : 'ERR_INTERNAL';
    const message = isStrongboxError(err) ? err.message : 'an unexpected error occurred';
    return { ok: false, file, manifest, records: 0, sampled: 0, seconds: (now() - start) / 1000, code, message };
  } finally {
    checks?.cancel();
    if (tempDir !== null) rmSync(tempDir, { recursive: true, force: true });
  }
}

/**
 * The thread's findings, or null where the checks must run here instead: no thread (a scratch
 * database given by the caller), or a thread that could not do them (a KEK that does not load on
 * a thread). A value that did not open stays a finding, with the chain's verdict before it.
 */
async function checkedOnThread(checks: RestoredChecks | null): Promise<ChecksOutcome | null> {
  if (checks === null) return null;
  const o = await checks.outcome();
  if (o.error === null || (o.audit !== null && isCheckFailure(o.error))) return o;
  return null;
}

type FromThread = ThreadFailure | { type: 'done'; result: VerifyResult };

/**
 * verifyBackup on a worker thread below the event loop's priority (verify-thread.ts), for restore
 * drills inside `serve`. Progress and the clock stay on the thread.
 */
export function verifyBackupOnThread(opts: Omit<VerifyBackupOptions, 'onProgress' | 'now'>): Promise<VerifyResult> {
  return new Promise<VerifyResult>((resolve, reject) => {
    const worker = startBackupThread('./verify-thread.ts', { ...opts, nice: BACKUP_THREAD_NICE });
    const finish = settleOnce(worker);
    worker.on('message', (m: FromThread) => finish(() => (m.type === 'done' ? resolve(m.result) : reject(errorOf(m)))));
    worker.on('error', (err) => finish(() => reject(new StrongboxError('ERR_INTERNAL', undefined, undefined, { cause: err }))));
    worker.on('exit', () => finish(() => reject(new StrongboxError('ERR_INTERNAL', 'The restore drill thread stopped before its verdict.'))));
  });
}

export function verdictLine(r: VerifyResult): string {
  return r.ok
    ? `strongbox: backup verified: ${r.file}: ${r.message} (${r.seconds.toFixed(1)} s)`
    : `strongbox: backup FAILED verification: ${r.file}: ${r.code}: ${r.message}`;
}

