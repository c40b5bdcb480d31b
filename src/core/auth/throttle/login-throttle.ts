import { StrongboxError } from '../../../errors/strongbox-error.ts';
import { sha256Hex } from '../../../crypto/hash.ts';
import type { ThrottleEntry, ThrottleStore } from './throttle-store.ts';

/** Every number of the sign-in throttle (docs/sign-in.md lists them). */
export const THROTTLE = Object.freeze({
  accountFree: 5, // attempts per account (or per device cookie) before delays start
  accountWindowMs: 15 * 60_000, // 15 min: an account's count is forgotten this long after its last delay ends
  baseDelayMs: 1000, // 1 s after the 5th failure, then 2 s, 4 s, …
  accountMaxDelayMs: 15 * 60_000, // 15 min cap
  ipFree: 20, // failed sign-ins per IP before that IP is delayed
  ipWindowMs: 60 * 60_000, // 1 h
  ipMaxDelayMs: 60 * 60_000, // 1 h cap
  stuffingAccounts: 10, // distinct accounts one IP fails against within ipWindowMs …
  stuffingBlockMs: 60 * 60_000, // … blocks that IP for 1 h
});

export interface AttemptKeys {
  /** the account's email as typed (normalized when valid); known or not, it is throttled alike */
  readonly email: string;
  readonly ip: string;
  /** the nonce of a valid device cookie for this email, or null: an untrusted client */
  readonly device: string | null;
}

export interface Attempt {
  readonly key: string;
  readonly keys: AttemptKeys;
}

function delay(count: number, free: number, max: number): number {
  if (count < free) return 0;
  return Math.min(max, THROTTLE.baseDelayMs * 2 ** Math.min(count - free, 30));
}

function throttled(retryAtMs: number, now: number): StrongboxError {
  return new StrongboxError('ERR_THROTTLED', undefined, { retryAfter: Math.max(1, Math.ceil((retryAtMs - now) / 1000)) });
}

/**
 * Per-account exponential delays that a real owner escapes with a device cookie (OWASP
 * "Slow Down Online Guessing Attacks with Device Cookies"), per-IP delays and a
 * credential-stuffing block. An attempt is counted before its password is checked, so
 * concurrent guesses cannot share one free slot; a success clears its own counter.
 */
export class LoginThrottle {
  readonly #store: ThrottleStore;
  readonly #now: () => number;

  constructor(store: ThrottleStore, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  /** Throws ERR_THROTTLED (with retryAfter seconds) or counts the attempt. */
  async begin(keys: AttemptKeys): Promise<Attempt> {
    const now = this.#now();
    if (keys.device === null) {
      const ip = await this.#store.get(ipKey(keys.ip), now);
      if (ip !== null && ip.nextAllowed > now) throw throttled(ip.nextAllowed, now);
    }
    const key = keys.device === null ? accountKey(keys.email) : `d:${keys.device}`;
    for (let tries = 0; tries < 3; tries++) {
      const e = await this.#store.get(key, now);
      if (e !== null && e.nextAllowed > now) throw throttled(e.nextAllowed, now);
      const failures = (e?.failures ?? 0) + 1;
      const nextAllowed = now + delay(failures, THROTTLE.accountFree, THROTTLE.accountMaxDelayMs);
      const next: ThrottleEntry = { failures, nextAllowed, expires: nextAllowed + THROTTLE.accountWindowMs };
      if (await this.#store.swap(key, e, next, now)) return { key, keys };
    }
    // Lost three races in a row: another attempt on this key is in flight right now.
    throw throttled(now + THROTTLE.baseDelayMs, now);
  }

  async succeeded(attempt: Attempt): Promise<void> {
    await this.#store.delete(attempt.key);
  }

  /** The attempt already counted against its key; this adds the IP's view of it. */
  async failed(attempt: Attempt): Promise<void> {
    const { ip, email, device } = attempt.keys;
    if (device !== null) return;
    const now = this.#now();
    const key = ipKey(ip);
    const accounts = await this.#store.addMember(`s:${ip}`, sha256Hex(email), now + THROTTLE.ipWindowMs, now);
    for (let tries = 0; tries < 3; tries++) {
      const e = await this.#store.get(key, now);
      const failures = (e?.failures ?? 0) + 1;
      let nextAllowed = now + delay(failures, THROTTLE.ipFree, THROTTLE.ipMaxDelayMs);
      if (accounts >= THROTTLE.stuffingAccounts) nextAllowed = Math.max(nextAllowed, now + THROTTLE.stuffingBlockMs);
      nextAllowed = Math.max(nextAllowed, e?.nextAllowed ?? 0);
      const next: ThrottleEntry = { failures, nextAllowed, expires: Math.max(nextAllowed, now) + THROTTLE.ipWindowMs };
      if (await this.#store.swap(key, e, next, now)) return;
    }
  }

  /** An admin ends an account's lock (untrusted clients); device-cookie locks end on their own. */
  async clearAccount(email: string): Promise<void> {
    await this.#store.delete(accountKey(email));
  }
}

// Emails are stored hashed: the counters table never lists who is being attacked.
const accountKey = (email: string) => `a:${sha256Hex(email)}`;
const ipKey = (ip: string) => `i:${ip}`;
