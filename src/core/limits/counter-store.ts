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
  /** 'memory' counts in this process only; 'database' is shared by every instance on the database. */
  readonly kind: 'memory' | 'database';
  /**
   * Counts `cost` hits (default 1) for `key` in the fixed window of `windowMs` containing `now`.
   * The in-process store answers synchronously (no promise on the hot path).
   */
  hit(key: string, windowMs: number, now: number, cost?: number): CounterHit | Promise<CounterHit>;
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
