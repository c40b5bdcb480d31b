import type { StrongboxConfig } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import { openConfigured, refuseUnsafeServingRole, runStartMigrations } from './start-migrations.ts';
import { RecordService } from './records/record-service.ts';
import type { AccountService } from './auth/account-service.ts';
import { JobRunner } from './jobs/job-runner.ts';
import { StrongboxError } from '../errors/strongbox-error.ts';
import type { CounterStore } from './limits/counter-store.ts';
import { openCounterStore } from './limits/open-counter-store.ts';
import { openSignIn } from './auth/open-sign-in.ts';
import { KeyService } from './keys/key-service.ts';
import { fieldEncryptionStage } from './records/field-encryption-stage.ts';
import { registerReencryption } from './keys/background-reencrypt.ts';
import { AuditService, migrationEvent } from './audit/audit-service.ts';
import { linkSourceFor } from '../db/audit/audit-link-source.ts';
import type { MigrationPlan } from '../db/migrate/plan-types.ts';
import { Checkpointer } from './audit/checkpointer.ts';
import { SYSLOG_SINK, SyslogForwarder } from './audit/syslog-forwarder.ts';
import { signCheckpoint } from './audit/checkpoint.ts';
import type { AuditKeyring } from './audit/audit-keys.ts';

/** Everything a running Strongbox needs; http/ and cli/ only talk to this. */
export interface Engine {
  readonly config: StrongboxConfig;
  readonly db: Database;
  readonly records: RecordService;
  readonly accounts: AccountService;
  /** Scheduled jobs that run on one instance at a time (docs/postgres.md#scheduled-jobs-and-leadership). */
  readonly jobs: JobRunner;
  /** Rate-limit and attempt counters (src/core/limits/): in-process, or shared through the database. */
  readonly counters: CounterStore;
  /** The keyring: every key the server uses, stored only wrapped by the KEK. */
  readonly keys: KeyService;
  /** The tamper-evident audit trail (docs/audit.md). */
  readonly audit: AuditService;
  /** Starts what a serving instance runs besides requests (signed audit checkpoints); close() stops it. */
  startBackgroundJobs(onError: (err: unknown) => void): void;
  /** Resolves when the database answers a trivial query; ERR_UNAVAILABLE otherwise. */
  health(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenEngineOptions {
  /** Apply destructive schema changes too (strongbox migrate --allow-destructive). */
  readonly allowDestructive?: boolean;
  /** Production `serve`: refuses a dev KEK (maintenance commands may open any). */
  readonly serving?: boolean;
  /** The audit trail's keys; default the keyring (engine.keys). */
  readonly auditKeys?: AuditKeyring;
  /** Where the pepper comes from (STRONGBOX_PEPPER_FILE, STRONGBOX_PEPPER); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Operator commands on a dev folder use its dev pepper (see pepper.ts); `serve` never sets this. */
  readonly reuseDevPepper?: boolean;
  /** Clock for sessions and throttling (tests). */
  readonly now?: () => Date;
  /** `serve` in production: refuse a PostgreSQL role that may do more than serve (ERR_DB_ROLE_UNSAFE). */
  readonly refuseUnsafeRole?: boolean;
}

/**
 * Opens the database, brings system tables up to date and applies additive schema changes.
 * Destructive changes stop the start with ERR_MIGRATION_DESTRUCTIVE unless allowed.
 */
export async function openEngine(config: StrongboxConfig, opts: OpenEngineOptions = {}): Promise<Engine> {
  const db = await openConfigured(config, config.database);
  let keys: KeyService | undefined;
  try {
    // Audit keys live in the keyring, opened after the system tables exist: an applied plan's
    // event is written right after the migration commits.
    const migrated: MigrationPlan[] = [];
    await runStartMigrations(config, db, opts.allowDestructive === true, async (_trx, plan) => { migrated.push(plan); });
    if (opts.refuseUnsafeRole === true) await refuseUnsafeServingRole(db);
    keys = await KeyService.open(db, {
      kek: config.keys.kek,
      dev: config.dev,
      serving: opts.serving === true,
      collections: Object.values(config.collections).filter((c) => c.fields.some((f) => f.sensitive)).map((c) => c.name),
    });
    const auditKeys: AuditKeyring = opts.auditKeys ?? keys;
    const audit = new AuditService({ db, keys: auditKeys, links: linkSourceFor(config.database) });
    for (const plan of migrated) await audit.append(migrationEvent(plan));
    const records = new RecordService({ db, collections: config.collections, limits: config.limits, stages: { sensitive: fieldEncryptionStage(keys), audit }, cacheBytes: config.limits.cacheMemory });
    // Compiled filters hold blind-index values: a new or retired index key makes them stale.
    keys.onIndexKeysChange(() => records.queries.clear());
    const accounts: AccountService = openSignIn(config, db, { env: opts.env ?? process.env, now: opts.now, reuseDevPepper: opts.reuseDevPepper, audit, keys });
    let checkpointer: Checkpointer | null = null;
    const jobs = new JobRunner(db, config.database, {
      requireVerifiedTls: !config.dev,
      onError: (job, err) => process.emitWarning(`job ${job} failed: ${err instanceof Error ? err.message : 'unknown error'}`),
    });
    const counters = openCounterStore(config, db);
    let forwarder: SyslogForwarder | null = null;
    // Re-encryption after `keys rotate` is a job of every serving instance: one runs it at a
    // time (an advisory lock), another takes over when it dies.
    if (opts.serving) registerReencryption(jobs, db, keys, config);
    let closed = false;
    return {
      config,
      db,
      records,
      accounts,
      jobs,
      counters,
      keys,
      audit,
      startBackgroundJobs(onError) {
        if (config.audit.syslog !== null && forwarder === null) {
          // with many instances on PostgreSQL, one forwards at a time (an advisory lock), the rest stand by
          const leadership = jobs.leadership(`audit-sink-${SYSLOG_SINK}`);
          const fwd = new SyslogForwarder({ db, config: config.audit.syslog, leadership, onError });
          forwarder = fwd;
          audit.addGate(() => fwd.gate());
          audit.onAppend((seq) => fwd.appended(seq));
          fwd.start();
        }
        const fwd = forwarder;
        checkpointer ??= new Checkpointer({
          db, audit, keys: auditKeys, config: config.audit, onError,
          publish: fwd === null ? undefined : (cp) => fwd.publishCheckpoint(signCheckpoint(cp, auditKeys.signer('audit-signing')), cp.size, cp.time),
        });
        checkpointer.start();
      },
      async health() {
        try {
          await db.kysely.selectFrom('_sb_migrations').select('version').limit(1).execute();
        } catch (err) {
          throw new StrongboxError('ERR_UNAVAILABLE', undefined, undefined, { cause: err });
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        await jobs.stop();
        await audit.flush();
        await checkpointer?.stop();
        await forwarder?.stop();
        await keys?.close();
        await counters.close();
        await db.close();
      },
    };
  } catch (err) {
    await keys?.close();
    await db.close();
    throw err;
  }
}
