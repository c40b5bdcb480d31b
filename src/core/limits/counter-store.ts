/**
 * Fixed-window counters shared by the rate limiter (src/http/edge/) and anything else that must
 * count attempts across instances (sign-in throttling). A store only counts; the caller decides.
 */
export interface CounterHit {
  /** Hits in the current window, this one included. */
  readonly count: number;
  /** When the current window ends (ms since the epoch). */
  readonly resetAt: number;
}

export interface CounterStore {
  /**
   * 'memory' counts in this process only; 'database' is shared by every instance on the
   * database (counted in process, flushed every 100 ms: database-counter-store.ts).
   */
  readonly kind: 'memory' | 'database';
  /**
   * Counts `cost` hits (default 1) for `key` in the fixed window of `windowMs` containing `now`.
   * Both stores answer synchronously (no promise on the hot path). `exact` (sign-in and
   * registration budgets): the shared store counts this hit in the database at once and
   * answers with the exact shared total (a promise), without the flush interval's overshoot.
   */
  hit(key: string, windowMs: number, now: number, cost?: number, exact?: boolean): CounterHit | Promise<CounterHit>;
  /** The current window's count without adding to it. */
  peek(key: string, windowMs: number, now: number): number | Promise<number>;
  /** Forgets every window of `key` (e.g. after a successful sign-in). */
  reset(key: string): void | Promise<void>;
  close(): Promise<void>;
}

/** Start of the fixed window containing `now`: windows are aligned, so every instance agrees. */
export function windowStart(now: number, windowMs: number): number {
  return now - (now % windowMs);
}
