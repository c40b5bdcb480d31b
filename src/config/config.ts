import type { CollectionDef } from './schema.ts';
import type { SignInSettings } from './parse-sign-in.ts';

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
  readonly listen: { readonly host: string; readonly port: number };
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
  };
  /** Keyed by collection name, in declaration order. */
  readonly collections: Readonly<Record<string, CollectionDef>>;
}
