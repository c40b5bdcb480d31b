import { dirname, join } from 'node:path';
import type { StrongboxConfig } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import { loadPepper } from '../../crypto/pepper.ts';
import { PasswordHasher } from '../../crypto/password-hasher.ts';
import { unsafeEphemeralAuthKeys } from '../../crypto/ephemeral-auth-keys.ts';
import type { AuthKeys } from '../../crypto/auth-key-types.ts';
import { AccountService } from './account-service.ts';
import { LoginThrottle } from './throttle/login-throttle.ts';
import { MemoryThrottleStore, type ThrottleStore } from './throttle/throttle-store.ts';
import { DbThrottleStore } from './throttle/db-throttle-store.ts';
import type { AuthEventSink } from './auth-events.ts';

export interface SignInOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly now?: () => Date;
  readonly keys?: AuthKeys;
  readonly events?: AuthEventSink;
  readonly reuseDevPepper?: boolean;
}

/** The folder a dev start keeps generated secrets in: beside the SQLite file, else ./data. */
export function dataDirOf(config: StrongboxConfig): string {
  const db = config.database;
  return db.kind === 'sqlite' && db.path !== ':memory:' ? dirname(db.path) : join(config.baseDir, 'data');
}

/** Creates the dev pepper of a dev folder if it is missing (init, first dev start). */
export function ensureDevPepper(config: StrongboxConfig): void {
  loadPepper({ env: {}, dev: true, dataDir: dataDirOf(config) });
}

/** Builds the account service with its pepper, throttle store and keys from the config. */
export function openSignIn(config: StrongboxConfig, db: Database, opts: SignInOptions): AccountService {
  const now = opts.now ?? (() => new Date());
  const pepper = loadPepper({ env: opts.env, dev: config.dev, dataDir: dataDirOf(config), reuseDevPepper: opts.reuseDevPepper });
  const kind = config.auth.throttleStore === 'auto' ? (db.dialect === 'postgres' ? 'database' : 'memory') : config.auth.throttleStore;
  const store: ThrottleStore = kind === 'database' ? new DbThrottleStore(db) : new MemoryThrottleStore();
  return new AccountService({
    db,
    hasher: new PasswordHasher(pepper),
    throttle: new LoginThrottle(store, () => now().getTime()),
    keys: opts.keys ?? unsafeEphemeralAuthKeys(),
    sessionTtlSeconds: config.auth.sessionTtl,
    sessionIdleSeconds: config.auth.sessionIdle,
    maxSessions: config.auth.maxSessions,
    password: { minLength: config.auth.passwordMinLength, maxBytes: config.auth.passwordMaxBytes },
    events: opts.events,
    collections: Object.keys(config.collections),
    now,
  });
}
