import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/db/database.ts';
import { AccountService, type AccountServiceOptions } from '../../src/core/auth/account-service.ts';
import { PasswordHasher } from '../../src/crypto/password-hasher.ts';
import { parsePepperText, type PepperRing } from '../../src/crypto/pepper.ts';
import { unsafeEphemeralAuthKeys } from '../../src/crypto/ephemeral-auth-keys.ts';
import { LoginThrottle } from '../../src/core/auth/throttle/login-throttle.ts';
import { MemoryThrottleStore, type ThrottleStore } from '../../src/core/auth/throttle/throttle-store.ts';
import { RegistrationThrottle } from '../../src/core/auth/throttle/registration-throttle.ts';

/** Passwords that pass the policy (≥ 12 characters, zxcvbn score ≥ 3, not common). */
export const PW = {
  alice: 'Tulip-Harbor-Quartz-41',
  bob: 'Velvet-Canyon-Orbit-73',
  carol: 'Maple-Lantern-Ridge-58',
  admin: 'Granite-Falcon-Meadow-26',
  other: 'Cobalt-Willow-Ember-95',
} as const;

/** A fresh random pepper ring (tests make their own secrets). */
export function testPepper(version = 1, extra = ''): PepperRing {
  return parsePepperText(`v${version}:${randomBytes(32).toString('base64')}\n${extra}`, 'test pepper');
}

export interface TestAccountsOptions extends Partial<Omit<AccountServiceOptions, 'db'>> {
  readonly store?: ThrottleStore;
  readonly pepper?: PepperRing;
  /** the registration bound in `store` (default 0: none) */
  readonly registerPerIp?: number;
}

/** The real AccountService with test-sized defaults and an injectable clock. */
export function testAccounts(db: Database, opts: TestAccountsOptions = {}): AccountService {
  const now = opts.now ?? (() => new Date());
  const store = opts.store ?? new MemoryThrottleStore();
  return new AccountService({
    db,
    hasher: opts.hasher ?? new PasswordHasher(opts.pepper ?? testPepper()),
    throttle: opts.throttle ?? new LoginThrottle(store, () => now().getTime()),
    // No registration bound unless a test asks for one (fixtures register many accounts from one address).
    registration: opts.registration ?? new RegistrationThrottle(store, () => now().getTime(), opts.registerPerIp ?? 0),
    keys: opts.keys ?? unsafeEphemeralAuthKeys(),
    sessionTtlSeconds: opts.sessionTtlSeconds ?? 3600,
    sessionIdleSeconds: opts.sessionIdleSeconds ?? 1800,
    maxSessions: opts.maxSessions ?? 20,
    password: opts.password ?? { minLength: 12, maxBytes: 4096 },
    needsMfa: opts.needsMfa,
    events: opts.events,
    collections: opts.collections,
    now,
  });
}

/**
 * For tests that open a production-mode engine in-process: production refuses to start without
 * a pepper, so the process gets a fresh random one (a test-made secret, never a committed one).
 */
export function useTestPepperEnv(): void {
  process.env.STRONGBOX_PEPPER ??= `v1:${randomBytes(32).toString('base64')}`;
}
