import type { RateLimitConfig } from '../../config/edge-config.ts';
import type { CounterHit, CounterStore } from './counter-store.ts';

/** auth: sign-in and registration; write: every other non-GET; read: GET and HEAD. */
export type RouteClass = 'auth' | 'write' | 'read';
export type LimitScope = 'ip' | 'account';

/** A refused request: what the 429 tells the client. */
export interface Denial {
  readonly scope: LimitScope;
  readonly routeClass: RouteClass;
  readonly limit: number;
  readonly windowSeconds: number;
  /** Seconds until the window ends, at least 1. */
  readonly retryAfter: number;
}

/**
 * Per-client and per-account request budgets, one fixed window per route class. `check` costs
 * one counter hit; with the in-process store it is synchronous and allocates only on denial.
 */
export class RateLimiter {
  readonly #config: RateLimitConfig;
  readonly #store: CounterStore;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(config: RateLimitConfig, store: CounterStore, now: () => number = Date.now) {
    this.#config = config;
    this.#store = store;
    this.#windowMs = config.window * 1000;
    this.#now = now;
  }

  get enabled(): boolean {
    return this.#config.enabled;
  }

  /** null when the request may go on; a Denial otherwise (or a promise of either, for a shared store). */
  check(scope: LimitScope, routeClass: RouteClass, id: string): Denial | null | Promise<Denial | null> {
    if (!this.#config.enabled) return null;
    const limit = this.#config[routeClass][scope];
    if (limit === 0) return null;
    const now = this.#now();
    // Sign-in and registration are few and guessable: counted exactly across instances, at one
    // round trip each (their password hash costs far more); reads and writes go in batches.
    const hit = this.#store.hit(`${routeClass}:${scope}:${id}`, this.#windowMs, now, 1, routeClass === 'auth');
    if (hit instanceof Promise) return hit.then((h) => this.#decide(h, scope, routeClass, limit, now));
    return this.#decide(hit, scope, routeClass, limit, now);
  }

  #decide(hit: CounterHit, scope: LimitScope, routeClass: RouteClass, limit: number, now: number): Denial | null {
    if (hit.count <= limit) return null;
    return { scope, routeClass, limit, windowSeconds: this.#config.window, retryAfter: Math.max(1, Math.ceil((hit.resetAt - now) / 1000)) };
  }
}

/**
 * The key a client address counts under: IPv4 as is (IPv4-mapped IPv6 unwrapped), IPv6 by its
 * /64, since one host is routinely given a whole /64 and could rotate through it.
 */
export function clientKey(address: string): string {
  if (!address.includes(':')) return address;
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  const [head, tail] = address.replace(/%.*$/, '').split('::');
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
