import type { Database } from '../../db/database.ts';
import { windowStart, type CounterHit, type CounterStore } from './counter-store.ts';

const PRUNE_EVERY_MS = 60_000; // ended windows are deleted this often (ms)

/**
 * Counters in the system table `_sb_rate_limits` (system migration 6), so every instance on the
 * database counts against the same windows. One upsert per hit: the row for (key, window) is
 * created at 1 or incremented atomically, and the new count comes back in the same statement.
 */
export class DatabaseCounterStore implements CounterStore {
  readonly kind = 'database' as const;
  readonly #db: Database;
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(db: Database, opts: { now?: () => number } = {}) {
    this.#db = db;
    const now = opts.now ?? Date.now;
    this.#timer = setInterval(() => { void this.prune(now()).catch(() => undefined); }, PRUNE_EVERY_MS);
    this.#timer.unref();
  }

  async hit(key: string, windowMs: number, now: number, cost = 1): Promise<CounterHit> {
    const start = windowStart(now, windowMs);
    const resetAt = start + windowMs;
    const row = await this.#db.kysely.insertInto('_sb_rate_limits')
      .values({ bucket: bucket(key, start), key, count: cost, expires: resetAt })
      .onConflict((oc) => oc.column('bucket').doUpdateSet((eb) => ({ count: eb('_sb_rate_limits.count', '+', cost) })))
      .returning('count')
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), resetAt };
  }

  async peek(key: string, windowMs: number, now: number): Promise<number> {
    const row = await this.#db.kysely.selectFrom('_sb_rate_limits').select('count')
      .where('bucket', '=', bucket(key, windowStart(now, windowMs))).executeTakeFirst();
    return row === undefined ? 0 : Number(row.count);
  }

  async reset(key: string): Promise<void> {
    await this.#db.kysely.deleteFrom('_sb_rate_limits').where('key', '=', key).execute();
  }

  /** Deletes windows that ended before `now`. */
  async prune(now: number): Promise<void> {
    if (this.#closed) return;
    await this.#db.kysely.deleteFrom('_sb_rate_limits').where('expires', '<', now).execute();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
  }
}

function bucket(key: string, start: number): string {
  return `${start}:${key}`;
}
