import { dirname, join } from 'node:path';
import type { StrongboxConfig } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import { loadPepper } from '../../crypto/pepper.ts';
import { PasswordHasher } from '../../crypto/password-hasher.ts';
import { unsafeEphemeralAuthKeys } from '../../crypto/ephemeral-auth-keys.ts';
import type { AuthKeys } from '../../crypto/auth-key-types.ts';
import { AccountService } from './account-service.ts';
import { LoginThrottle } from './throttle/login-throttle.ts';
import { RegistrationThrottle } from './throttle/registration-throttle.ts';
import { MemoryThrottleStore, type ThrottleStore } from './throttle/throttle-store.ts';
import { DbThrottleStore } from './throttle/db-throttle-store.ts';
import type { AuthEvent, AuthEventSink } from './auth-events.ts';
import type { AuditInput, AuditDetailValue } from '../audit/audit-types.ts';

export interface SignInOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly now?: () => Date;
  readonly keys?: AuthKeys;
  readonly events?: AuthEventSink;
  readonly reuseDevPepper?: boolean;
  /** The audit trail: every sign-in event goes there (fail-closed: a lost event fails the request). */
  readonly audit?: { append(event: AuditInput): Promise<void> };
}

// Sign-in event → audit action and outcome (docs/sign-in.md lists them).
const ACTIONS: Readonly<Record<AuthEvent['type'], readonly [string, AuditInput['outcome']]>> = {
  'auth.login.succeeded': ['auth.login', 'success'],
  'auth.login.failed': ['auth.login', 'failure'],
  'auth.login.throttled': ['auth.throttled', 'denied'],
  'auth.register.throttled': ['auth.throttled', 'denied'],
  'auth.logout': ['auth.logout', 'success'],
  'auth.account.registered': ['account.create', 'success'],
  'auth.account.register_taken': ['account.create', 'failure'],
  'auth.session.revoked': ['auth.session.revoke', 'success'],
  'auth.password.changed': ['auth.password.change', 'success'],
  'auth.password.reset_issued': ['auth.password.reset_issue', 'success'],
  'auth.password.reset_used': ['auth.password.reset', 'success'],
  'auth.mfa.enrolled': ['auth.mfa.enrol', 'success'],
  'auth.mfa.succeeded': ['auth.mfa', 'success'],
  'auth.mfa.failed': ['auth.mfa', 'failure'],
  'auth.mfa.recovery_used': ['auth.mfa.recovery', 'success'],
  'auth.token.created': ['auth.token.create', 'success'],
  'auth.token.revoked': ['auth.token.revoke', 'success'],
  'auth.account.role_changed': ['account.role', 'success'],
  'auth.account.disabled': ['account.disable', 'success'],
  'auth.account.enabled': ['account.enable', 'success'],
  'auth.account.unlocked': ['account.unlock', 'success'],
  'auth.mtls.succeeded': ['auth.mtls', 'success'],
  'auth.mtls.unmapped': ['auth.mtls', 'failure'],
  'auth.mtls.unverified': ['auth.mtls', 'failure'],
  'auth.mtls.refused': ['auth.mtls', 'denied'],
};

/** Roles set to `required`, and `admin` in production unless set to `optional`. */
export function mfaRequiredRoles(config: StrongboxConfig): string[] {
  const roles = Object.entries(config.auth.mfa).filter(([, v]) => v === 'required').map(([r]) => r);
  if (!config.dev && config.auth.mfa.admin === undefined) roles.push('admin');
  return roles;
}

/** Sign-in events as audit-trail entries. */
export function auditSink(audit: { append(event: AuditInput): Promise<void> }): AuthEventSink {
  return {
    emit(e) {
      const [action, outcome] = ACTIONS[e.type];
      const details: Record<string, AuditDetailValue> = {};
      for (const [k, v] of Object.entries(e.detail ?? {})) if (v !== null) details[k] = v;
      if (e.actorId) details.actorId = e.actorId;
      // The actor is the admin when one acted, else the account itself; the target is the account.
      return audit.append({
        action, outcome,
        actor: { accountId: e.actorId ?? e.accountId, tokenId: e.tokenId ?? null, role: e.actorId ? null : e.role ?? null },
        request: e.ip ? { ip: e.ip, id: e.requestId ?? '' } : undefined,
        target: e.accountId ? { collection: '_sb_accounts', recordId: e.accountId } : undefined,
        details,
      });
    },
  };
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
    registration: new RegistrationThrottle(store, () => now().getTime(), config.auth.registerPerIp),
    keys: opts.keys ?? unsafeEphemeralAuthKeys(),
    sessionTtlSeconds: config.auth.sessionTtl,
    sessionIdleSeconds: config.auth.sessionIdle,
    maxSessions: config.auth.maxSessions,
    password: { minLength: config.auth.passwordMinLength, maxBytes: config.auth.passwordMaxBytes },
    events: opts.events ?? (opts.audit ? auditSink(opts.audit) : undefined),
    collections: Object.keys(config.collections),
    mfaRequiredRoles: mfaRequiredRoles(config),
    now,
    cacheBytes: config.limits.cacheMemory,
  });
}
