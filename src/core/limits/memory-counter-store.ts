import { windowStart, type CounterHit, type CounterStore } from './counter-store.ts';

interface Entry { start: number; resetAt: number; count: number }

/** Most keys kept: each is a few dozen bytes; past it, ended windows go first, then the oldest. */
const MAX_KEYS = 200_000;

/** Counters in this process: one Map lookup per hit, answered synchronously (every hit is exact here). */
export class MemoryCounterStore implements CounterStore {
  readonly kind = 'memory' as const;
  readonly #entries = new Map<string, Entry>();
  readonly #maxKeys: number;

  constructor(opts: { maxKeys?: number } = {}) {
    this.#maxKeys = opts.maxKeys ?? MAX_KEYS;
  }

  hit(key: string, windowMs: number, now: number, cost = 1): CounterHit {
    const start = windowStart(now, windowMs);
    let e = this.#entries.get(key);
    if (e === undefined || e.start !== start) {
      if (e === undefined && this.#entries.size >= this.#maxKeys) this.#evict(now);
      e = { start, resetAt: start + windowMs, count: 0 };
      this.#entries.set(key, e);
    }
    e.count += cost;
    return e;
  }

  peek(key: string, windowMs: number, now: number): number {
    const e = this.#entries.get(key);
    return e !== undefined && e.start === windowStart(now, windowMs) ? e.count : 0;
  }

  reset(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }

  #evict(now: number): void {
    for (const [k, e] of this.#entries) if (e.resetAt <= now) this.#entries.delete(k);
    // Still full (a flood of fresh keys): drop the oldest tenth, in insertion order.
    if (this.#entries.size >= this.#maxKeys) {
      let n = Math.ceil(this.#maxKeys / 10);
      for (const k of this.#entries.keys()) {
        if (n-- <= 0) break;
        this.#entries.delete(k);
      }
    }
  }
}
