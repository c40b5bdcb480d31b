import { StrongboxError } from '../../../errors/strongbox-error.ts';
import { clientKey } from '../../limits/rate-limiter.ts';
import type { ThrottleEntry, ThrottleStore } from './throttle-store.ts';

/** The numbers of the registration bound (docs/sign-in.md lists them). */
export const REGISTRATION = Object.freeze({
  windowMs: 60 * 60_000, // 1 h, from an address's first registration once its previous window ended
  perIp: 10, // default auth.registerPerIp: registrations per address (IPv6: per /64) per window
  raceRetryMs: 1000, // 1 s: the Retry-After when three concurrent registrations from one address collide
});

function throttled(retryAtMs: number, now: number): StrongboxError {
  return new StrongboxError('ERR_THROTTLED', undefined, { retryAfter: Math.max(1, Math.ceil((retryAtMs - now) / 1000)) });
}

/**
 * At most `perIp` registrations per client address per window, counted before the email is
 * looked up: a taken email and a fresh one cost the same slot, so the bound reveals nothing
 * about who has an account, and an enumeration or account-spam run from one address stops at
 * `perIp` tries an hour. Counters live in the sign-in throttle store (in process, or the
 * database so that instances share them), with the same compare-and-swap as sign-ins.
 */
export class RegistrationThrottle {
  readonly #store: ThrottleStore;
  readonly #now: () => number;
  readonly #perIp: number;

  /** perIp 0 = no bound (auth.registerPerIp: 0). */
  constructor(store: ThrottleStore, now: () => number, perIp: number = REGISTRATION.perIp) {
    if (!Number.isInteger(perIp) || perIp < 0) throw new StrongboxError('ERR_CONFIG', 'auth.registerPerIp must be a whole number ≥ 0.');
    this.#store = store;
    this.#now = now;
    this.#perIp = perIp;
  }

  /** Counts one registration from `ip`, or throws ERR_THROTTLED (retryAfter: seconds until the window ends). */
  async count(ip: string): Promise<void> {
    if (this.#perIp === 0) return;
    const key = `r:${clientKey(ip)}`;
    const now = this.#now();
    for (let tries = 0; tries < 3; tries++) {
      const e = await this.#store.get(key, now);
      if (e !== null && e.nextAllowed > now) throw throttled(e.nextAllowed, now);
      const count = (e?.failures ?? 0) + 1;
      const expires = e?.expires ?? now + REGISTRATION.windowMs;
      // The perIp-th registration passes and closes the address's window until it ends.
      const next: ThrottleEntry = { failures: count, nextAllowed: count >= this.#perIp ? expires : now, expires };
      if (await this.#store.swap(key, e, next, now)) return;
    }
    throw throttled(now + REGISTRATION.raceRetryMs, now);
  }
}
