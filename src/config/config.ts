import type { CollectionDef } from './schema.ts';
import type { AdminConfig, CorsConfig, EdgeLimits, HstsConfig, ListenEdgeConfig, RateLimitConfig } from './edge-config.ts';
import type { SignInSettings } from './parse-sign-in.ts';
import type { KeysConfig } from './parse-keys.ts';

export interface PostgresDatabaseConfig {
  readonly kind: 'postgres';
  /** connection URL; a password never comes from strongbox.yaml */
  readonly url: string;
  /** from STRONGBOX_DATABASE_PASSWORD_FILE, then STRONGBOX_DATABASE_PASSWORD (migrate: STRONGBOX_MIGRATE_DATABASE_PASSWORD_FILE…) */
  readonly password?: string;
}

export type DatabaseConfig =
  | { readonly kind: 'sqlite'; /** absolute path, or ':memory:' */ readonly path: string }
  | PostgresDatabaseConfig;

/** Schema migrations through the owner role (docs/postgres.md). */
export interface MigrateConfig {
  /** migrate.database or STRONGBOX_MIGRATE_DATABASE_URL; null: migrations use `database` */
  readonly database: PostgresDatabaseConfig | null;
}

export interface StrongboxConfig {
  /** Absolute path of the file it was loaded from; null when built in code (tests). */
  readonly configPath: string | null;
  /** Folder relative paths resolve from. */
  readonly baseDir: string;
  readonly dev: boolean;
  readonly database: DatabaseConfig;
  /** Absent (configs built in code) means { database: null }. */
  readonly migrate?: MigrateConfig;
  readonly listen: { readonly host: string; readonly port: number } & ListenEdgeConfig;
  readonly auth: SignInSettings & {
    /** POST /api/auth/register open; default true in dev, false otherwise */
    readonly register: boolean;
    /** absolute session lifetime in seconds (default 12h) */
    readonly sessionTtl: number;
  };
  readonly limits: {
    readonly bodyLimit: number; // bytes, default 1 MiB
    readonly perPageMax: number; // default 500
    readonly perPageDefault: number; // default 30
    /** bytes, default 64 MiB: all in-process caches together (docs/bounded-cost.md) */
    readonly cacheMemory?: number;
    /** seconds, default 2: the time budget of one read (docs/bounded-cost.md) */
    readonly readTimeout?: number;
  } & EdgeLimits;
  /** The HTTP edge (docs/edge.md). */
  readonly hsts: HstsConfig;
  readonly cors: CorsConfig;
  readonly rateLimit: RateLimitConfig;
  readonly admin: AdminConfig;
  /** Where the KEK comes from (keys.kek) and how rotation batches. */
  readonly keys: KeysConfig;
  /** The audit trail (docs/audit.md). */
  readonly audit: AuditConfig;
  /** Encrypted backups (docs/backups.md). */
  readonly backup: BackupConfig;
  /** Keyed by collection name, in declaration order. */
  readonly collections: Readonly<Record<string, CollectionDef>>;
}

export interface AuditConfig {
  /** absolute folder of the signed checkpoints; default ./data/audit-checkpoints */
  readonly checkpoints: string;
  /** events between checkpoints; default 1000 */
  readonly checkpointEvery: number;
  /** seconds between checkpoints when there are new events; default 60 */
  readonly checkpointInterval: number;
  /** live forwarding to a syslog receiver over TLS; null = none */
  readonly syslog: SyslogConfig | null;
}

export interface SyslogConfig {
  readonly host: string;
  /** default 6514 (syslog over TLS) */
  readonly port: number;
  /** absolute path of the PEM CA bundle the receiver's certificate must chain to */
  readonly ca: string;
  /** client certificate and key (PEM, absolute paths) for mutual TLS; both or neither */
  readonly cert: string | null;
  readonly key: string | null;
  /** name the certificate must carry; default the host */
  readonly serverName: string | null;
  /** events waiting for the receiver before whenFull applies; default 100000 */
  readonly bufferLimit: number;
  /** past bufferLimit: 'fail-closed' (default: appends fail) or 'fail-open' (appends go on) */
  readonly whenFull: 'fail-closed' | 'fail-open';
}

export interface BackupConfig {
  /** age X25519 public keys (age1…) every archive is sealed to; the identities stay offline. */
  readonly recipients: readonly string[];
  /** Absolute path of the local backup folder (0700); default ./data/backups. */
  readonly dir: string;
  /** Seconds between scheduled backups inside `serve`; null = off (default). */
  readonly schedule: number | null;
  /** Retention: the newest `count` archives (default 14), and none older than `age` seconds when set. */
  readonly keep: { readonly count: number; readonly age: number | null };
  /** Seconds between restore drills inside `serve`; null = off (default). Needs STRONGBOX_BACKUP_IDENTITY_FILE. */
  readonly verify: number | null;
  /** Offsite copies: rclone:REMOTE:PATH destinations. */
  readonly offsite: readonly string[];
  /** rclone config file (absolute); null = rclone's own default. */
  readonly rcloneConfig: string | null;
}
