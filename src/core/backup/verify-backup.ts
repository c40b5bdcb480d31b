import { createReadStream } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { DatabaseConfig, StrongboxConfig } from '../../config/config.ts';
import { openDatabase } from '../../db/open-database.ts';
import { StrongboxError, isStrongboxError } from '../../errors/strongbox-error.ts';
import { checkRestoredAudit } from './backup-audit.ts';
import { BACKUP_THREAD_NICE, errorOf, settleOnce, startBackupThread, type ThreadFailure } from './backup-thread.ts';
import { checkSensitiveFields, startKekCheckThread } from './kek-check.ts';
import type { Manifest } from './archive-format.ts';
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
  // its start-up runs beside the restore, on the core the restore leaves idle
  const kekThread = startKekCheckThread();
  try {
    const target = await openDatabase(scratch);
    try {
      manifest = await restoreBackup({
        source: createReadStream(opts.path, { highWaterMark: 1024 * 1024 }),
        identities: opts.identities,
        trustedPublicKeys: opts.trustedPublicKeys,
        target,
        force: opts.scratch !== undefined,
        onPart: (part) => sample.add(part),
        onProgress: opts.onProgress,
      });
    } finally {
      await target.close();
    }
    const collections = Object.fromEntries(manifest.collections.map((c) => [c.name, c]));
    const { openEngine } = await import('../engine.ts');
    const engine = await openEngine({ ...opts.config, database: scratch, collections }, { reuseDevPepper: true });
    let sampled: number;
    let auditNote = '';
    // the KEK check runs on a thread of its own meanwhile (kek-check.ts)
    const kek = checkSensitiveFields(engine, manifest.collections, kekThread).then((opened) => ({ opened }), (err: unknown) => ({ err }));
    try {
      const audit = await checkRestoredAudit(engine, manifest.audit);
      if (audit !== null && audit !== 'not checked') throw new StrongboxError('ERR_BACKUP_VERIFY_FAILED', `${audit}.`);
      if (audit === null) auditNote = `, audit chain verified to seq ${manifest.audit?.seq ?? 0}`;
      sampled = await checkSample(engine.records, manifest.collections, sample);
      const k = await kek;
      if ('err' in k) throw k.err;
      if (k.opened !== null) auditNote += `, ${k.opened} sensitive values decrypt with the KEK`;
    } finally {
      await kek;
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
    kekThread.cancel();
    if (tempDir !== null) rmSync(tempDir, { recursive: true, force: true });
  }
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

