import type { Database } from '../../db/database.ts';
import { addCounters, type CounterIncrement } from '../../db/rate-limit-counters.ts';
import { windowStart, type CounterHit, type CounterStore } from './counter-store.ts';
import { outsideRequests } from '../../db/statement-guard.ts';

/** How often the hits counted in process go to the database, and the shared totals come back (ms). */
export const FLUSH_MS = 100;
const PRUNE_EVERY_MS = 60_000; // ended windows are deleted from the table this often (ms)
/** Most windows kept in process; past it, settled ones (nothing left to send) go, ended first. */
const MAX_KEYS = 200_000;

interface Entry {
  readonly bucket: string;
  readonly key: string;
  readonly resetAt: number;
  /** the database's total when this instance last flushed this window (its own hits included) */
  shared: number;
  /** counted here since, not yet sent */
  pending: number;
  /** sent in the flush now in flight */
  sending: number;
}

/**
 * Counters in the system table `_sb_rate_limits` (system migration 6), shared by every
 * instance on the database, counted in process on the hot path: a hit is a Map update,
 * answered synchronously with the last shared total plus what this instance counted since.
 * Every FLUSH_MS one statement adds this instance's increments to the shared rows and reads
 * the new totals back (src/db/rate-limit-counters.ts), so the per-request cost does not grow
 * with the number of instances. The price is a bounded overshoot (docs/postgres.md#rate-limits):
 * one instance alone counts exactly; with several, an instance learns the others' hits on a key
 * at its next flush that carries a hit on that key, so beyond the limit it admits at most the
 * hits it receives on that key within one flush interval (plus a round trip). An `exact` hit
 * (the sign-in and registration budgets) skips the batch: its own statement, the exact total.
 */
export class DatabaseCounterStore implements CounterStore {
  readonly kind = 'database' as const;
  readonly #db: Database;
  readonly #now: () => number;
  readonly #flushMs: number;
  readonly #maxKeys: number;
  readonly #onError: (err: unknown) => void;
  readonly #entries = new Map<string, Entry>();
  readonly #pruneTimer: NodeJS.Timeout;
  #flushTimer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;
  #closed = false;

  /** `flushMs: 0` never flushes on its own (tests call flush()). */
  constructor(db: Database, opts: { now?: () => number; flushMs?: number; maxKeys?: number; onError?: (err: unknown) => void } = {}) {
    this.#db = db;
    this.#now = opts.now ?? Date.now;
    this.#flushMs = opts.flushMs ?? FLUSH_MS;
    this.#maxKeys = opts.maxKeys ?? MAX_KEYS;
    this.#onError = opts.onError ?? (() => undefined);
    this.#pruneTimer = setInterval(() => { void this.prune(this.#now()).catch(this.#onError); }, PRUNE_EVERY_MS);
    this.#pruneTimer.unref();
  }

  hit(key: string, windowMs: number, now: number, cost?: number, exact?: false): CounterHit;
  hit(key: string, windowMs: number, now: number, cost?: number, exact?: boolean): CounterHit | Promise<CounterHit>;
  hit(key: string, windowMs: number, now: number, cost = 1, exact = false): CounterHit | Promise<CounterHit> {
    const start = windowStart(now, windowMs);
    const bucket = `${start}:${key}`;
    if (exact) return this.#hitNow(bucket, key, start + windowMs, cost);
    let e = this.#entries.get(bucket);
    if (e === undefined) {
      if (this.#entries.size >= this.#maxKeys) this.#evict(now);
      e = { bucket, key, resetAt: start + windowMs, shared: 0, pending: 0, sending: 0 };
      this.#entries.set(bucket, e);
    }
    e.pending += cost;
    this.#scheduleFlush();
    return { count: e.shared + e.sending + e.pending, resetAt: e.resetAt };
  }

  /** One statement for this hit alone: the exact shared total (this instance's own pending hits on the key added). */
  async #hitNow(bucket: string, key: string, resetAt: number, cost: number): Promise<CounterHit> {
    const total = (await addCounters(this.#db, [{ bucket, key, add: cost, expires: resetAt }])).get(bucket) ?? cost;
    const e = this.#entries.get(bucket);
    return { count: total + (e === undefined ? 0 : e.pending + e.sending), resetAt };
  }

  /** The shared count, exact: this instance's pending hits are sent first. */
  async peek(key: string, windowMs: number, now: number): Promise<number> {
    await this.flush();
    const row = await this.#db.kysely.selectFrom('_sb_rate_limits').select('count')
      .where('bucket', '=', `${windowStart(now, windowMs)}:${key}`).executeTakeFirst();
    return row === undefined ? 0 : Number(row.count);
  }

  async reset(key: string): Promise<void> {
    await this.#flushing?.catch(() => undefined);
    for (const [b, e] of this.#entries) if (e.key === key) this.#entries.delete(b);
    await this.#db.kysely.deleteFrom('_sb_rate_limits').where('key', '=', key).execute();
  }

  /**
   * Sends every pending increment in one statement and takes the shared totals back. One flush
   * at a time; a failed one keeps its increments for the next (counts are never dropped).
   */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing.catch(() => undefined);
    const batch: Entry[] = [];
    for (const e of this.#entries.values()) {
      if (e.pending === 0) continue;
      e.sending = e.pending;
      e.pending = 0;
      batch.push(e);
    }
    if (batch.length === 0) return;
    const incs: CounterIncrement[] = batch.map((e) => ({ bucket: e.bucket, key: e.key, add: e.sending, expires: e.resetAt }));
    this.#flushing = addCounters(this.#db, incs).then((totals) => {
      for (const e of batch) {
        const total = totals.get(e.bucket);
        // a reset() while in flight removed the entry: its old total must not come back
        if (this.#entries.get(e.bucket) === e) e.shared = Math.max(e.shared + e.sending, total ?? 0);
        e.sending = 0;
      }
    }, (err: unknown) => {
      for (const e of batch) {
        e.pending += e.sending;
        e.sending = 0;
      }
      throw err;
    }).finally(() => { this.#flushing = null; });
    await this.#flushing;
    this.#settle(this.#now());
  }

  /** Deletes windows that ended before `now`. */
  async prune(now: number): Promise<void> {
    if (this.#closed) return;
    await this.#db.kysely.deleteFrom('_sb_rate_limits').where('expires', '<', now).execute();
  }

  /** How many windows this instance holds in process (tests, doctor). */
  get size(): number {
    return this.#entries.size;
  }

  /** Sends what is still pending, then stops the timers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pruneTimer);
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    await this.flush().catch(this.#onError);
  }

  #scheduleFlush(): void {
    if (this.#flushTimer !== null || this.#closed || this.#flushMs === 0) return;
    // A request's hit may schedule it: the flush is everyone's, not bound to that request's session guard.
    this.#flushTimer = outsideRequests(() => setTimeout(() => {
      this.#flushTimer = null;
      void this.flush().catch((err: unknown) => {
        this.#onError(err);
        this.#scheduleFlush(); // the increments wait for the next try
      });
    }, this.#flushMs));
    this.#flushTimer.unref();
  }

  /** Forgets ended windows that have nothing left to send. */
  #settle(now: number): void {
    for (const [b, e] of this.#entries) if (e.resetAt <= now && e.pending === 0 && e.sending === 0) this.#entries.delete(b);
  }

  #evict(now: number): void {
    this.#settle(now);
    // Still full (a flood of fresh keys): drop the oldest tenth of what is settled; what is
    // pending stays, and is bounded by the keys one flush interval brings.
    if (this.#entries.size < this.#maxKeys) return;
    let n = Math.ceil(this.#maxKeys / 10);
    for (const [b, e] of this.#entries) {
      if (n <= 0) break;
      if (e.pending !== 0 || e.sending !== 0) continue;
      this.#entries.delete(b);
      n--;
    }
  }
}
