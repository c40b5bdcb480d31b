import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { DatabaseConfig, StrongboxConfig } from '../../config/config.ts';
import { parseAgeIdentities } from '../../crypto/age-seal.ts';
import { hasData as dbHasData } from '../../db/backup/restore-writer.ts';
import { openDatabase } from '../../db/open-database.ts';
import { StrongboxError, isStrongboxError } from '../../errors/strongbox-error.ts';
import type { Engine } from '../engine.ts';
import type { Manifest } from './archive-format.ts';
import { auditBackup } from './backup-audit.ts';
import { forget, readCatalog, recordCreated, recordVerified } from './backup-catalog.ts';
import { archivePath, checkBackupDir, listArchiveNames } from './backup-dir.ts';
import { backupSigner } from './backup-keys.ts';
import { createBackup, type CreatedBackup, type OpenOutput } from './create-backup.ts';
import { copyOffsite } from './offsite-rclone.ts';
import { restoreBackup } from './restore-backup.ts';
import { pruneArchives } from './retention.ts';
import { exportSigningKey, trustedSigningKeys } from './signing-keys.ts';
import { verifyBackup, verifyBackupOnThread, type VerifyResult } from './verify-backup.ts';

export type Progress = (done: number, total: number) => void;

export interface CreateResult extends CreatedBackup {
  readonly offsite: readonly string[];
  readonly pruned: readonly string[];
}

const codeOf = (err: unknown): string => (isStrongboxError(err) ? err.code : 'ERR_INTERNAL');

/**
 * One backup of the engine's database: sealed, signed, catalogued, copied offsite, old local
 * archives pruned, and an audit event either way.
 */
export async function runBackup(engine: Engine, opts: { onProgress?: Progress; now?: () => Date; openOutput?: OpenOutput; onThisThread?: boolean } = {}): Promise<CreateResult> {
  const cfg = engine.config.backup;
  let made: CreatedBackup | null = null;
  try {
    const signer = backupSigner(engine);
    made = await createBackup({
      db: engine.db, database: engine.config.database, recipients: cfg.recipients, dir: cfg.dir, signer,
      now: opts.now, onProgress: opts.onProgress, openOutput: opts.openOutput, onThisThread: opts.onThisThread,
    });
    exportSigningKey(cfg.dir, signer);
    await recordCreated(engine.db, made);
    const offsite: string[] = [];
    for (const d of cfg.offsite) offsite.push(await copyOffsite(made.path, d, { config: cfg.rcloneConfig }));
    const pruned = pruneArchives(cfg.dir, cfg.keep, (opts.now ?? (() => new Date()))().getTime());
    await forget(engine.db, pruned);
    await auditBackup(engine, 'backup.create', true, {
      file: made.name, bytes: made.bytes, records: made.manifest.tables.reduce((n, t) => n + t.rows, 0), offsite: offsite.length,
    });
    return { ...made, offsite, pruned };
  } catch (err) {
    await auditBackup(engine, 'backup.create', false, { code: codeOf(err), ...(made ? { file: made.name } : {}) }).catch(() => undefined);
    throw err;
  }
}

export function readIdentities(identityFile: string, readFile: (p: string) => string): string[] {
  let text: string;
  try {
    text = readFile(identityFile);
  } catch (cause) {
    throw new StrongboxError('ERR_BACKUP_IDENTITY', 'The identity file cannot be read.', undefined, { cause });
  }
  return parseAgeIdentities(text);
}

export interface VerifyRun {
  readonly path: string;
  readonly identities: readonly string[];
  readonly publicKeyFile: string | null;
  readonly onProgress?: Progress;
  readonly scratch?: DatabaseConfig;
  /** On a worker thread (restore drills inside `serve`: the event loop keeps serving). */
  readonly onThread?: boolean;
}

/** backup verify: a restore drill into a scratch database; the verdict is catalogued and audited. */
export async function runVerify(engine: Engine, run: VerifyRun): Promise<VerifyResult> {
  const trusted = trustedSigningKeys(engine.config.backup.dir, run.publicKeyFile);
  const opts = { path: run.path, identities: run.identities, trustedPublicKeys: trusted, config: engine.config, scratch: run.scratch };
  // a thread that cannot start (not a bad backup: that is a verdict) falls back to this one
  const r = run.onThread === true
    ? await verifyBackupOnThread(opts).catch(() => verifyBackup(opts))
    : await verifyBackup({ ...opts, onProgress: run.onProgress });
  const name = basename(run.path);
  await recordVerified(engine.db, name, new Date(), r.ok, r.ok ? r.message : `${r.code}: ${r.message}`, r.manifest?.created ?? null);
  await auditBackup(engine, 'backup.verify', r.ok, { file: name, records: r.records, ...(r.code ? { code: r.code } : {}) });
  return r;
}

export interface RestoreRun {
  readonly path: string;
  readonly identities: readonly string[];
  readonly publicKeyFile: string | null;
  /** The database restored into: the config's own, or --to. */
  readonly target: DatabaseConfig;
  readonly force: boolean;
  readonly onProgress?: Progress;
  /** Prints a line (the path of the safety backup taken before --force). */
  readonly say?: (line: string) => void;
}

/**
 * backup restore: into an empty database, or with force after backing the target up. The
 * audit chain then continues from the restored head with a backup.restore event.
 */
export async function runRestore(config: StrongboxConfig, run: RestoreRun): Promise<Manifest> {
  const trusted = trustedSigningKeys(config.backup.dir, run.publicKeyFile);
  const targetConfig: StrongboxConfig = { ...config, database: run.target };
  const { openEngine } = await import('../engine.ts');
  if (run.force) {
    const before = await openDatabase(run.target);
    let hasData: boolean;
    try {
      hasData = await dbHasData(before);
    } finally {
      await before.close();
    }
    if (hasData) {
      const current = await openEngine(targetConfig, { reuseDevPepper: true });
      try {
        const safety = await runBackup(current);
        run.say?.(`strongbox: backed up the target first: ${safety.path}`);
      } finally {
        await current.close();
      }
    }
  }
  const target = await openDatabase(run.target);
  let manifest: Manifest;
  try {
    manifest = await restoreBackup({
      source: createReadStream(run.path, { highWaterMark: 1024 * 1024 }), identities: run.identities,
      trustedPublicKeys: trusted, target, force: run.force, onProgress: run.onProgress,
    });
  } finally {
    await target.close();
  }
  const collections = Object.fromEntries(manifest.collections.map((c) => [c.name, c]));
  const restored = await openEngine({ ...targetConfig, collections: { ...collections, ...config.collections } }, { reuseDevPepper: true });
  try {
    await auditBackup(restored, 'backup.restore', true, {
      file: basename(run.path), id: manifest.id, records: manifest.tables.reduce((n, t) => n + t.rows, 0),
      ...(manifest.audit ? { auditSeq: manifest.audit.seq } : {}),
    });
  } finally {
    await restored.close();
  }
  return manifest;
}

export interface ListedBackup {
  readonly name: string;
  readonly created: string | null;
  readonly bytes: number;
  readonly records: number | null;
  readonly verified: string | null;
  readonly verifyOk: boolean | null;
}

/** The archives in the backup folder (whole ones only), newest first, with their last verification. */
export async function listBackups(engine: Engine): Promise<ListedBackup[]> {
  const dir = engine.config.backup.dir;
  checkBackupDir(dir);
  const catalog = await readCatalog(engine.db);
  return listArchiveNames(dir).reverse().map((name) => {
    const c = catalog.get(name);
    return {
      name, created: c?.created ?? null, bytes: statSync(archivePath(dir, name)).size, records: c?.records ?? null,
      verified: c?.verified ?? null, verifyOk: c?.verifyOk ?? null,
    };
  });
}
