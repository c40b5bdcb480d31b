import type { Database } from '../../../db/database.ts';
import type { ThrottleEntry, ThrottleStore } from './throttle-store.ts';

/** Counters in `_sb_throttle` / `_sb_throttle_members`, shared by every instance on the database. */
export class DbThrottleStore implements ThrottleStore {
  readonly #db: Database;
  #lastPurge = 0;

  constructor(db: Database) {
    this.#db = db;
  }

  async get(key: string, now: number): Promise<ThrottleEntry | null> {
    const row = await this.#db.kysely.selectFrom('_sb_throttle').select(['failures', 'next_allowed', 'expires'])
      .where('key', '=', key).where('expires', '>', now).executeTakeFirst();
    await this.#purge(now);
    return row ? { failures: Number(row.failures), nextAllowed: Number(row.next_allowed), expires: Number(row.expires) } : null;
  }

  async swap(key: string, expected: ThrottleEntry | null, next: ThrottleEntry, now: number): Promise<boolean> {
    const k = this.#db.kysely;
    const values = { failures: next.failures, next_allowed: next.nextAllowed, expires: next.expires };
    if (expected === null) {
      // Absent or expired: an expired row is taken over only if it is still expired.
      const r = await k.insertInto('_sb_throttle').values({ key, ...values })
        .onConflict((oc) => oc.column('key').doUpdateSet(values).where('_sb_throttle.expires', '<=', now))
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    }
    const r = await k.updateTable('_sb_throttle').set(values).where('key', '=', key)
      .where('failures', '=', expected.failures).where('next_allowed', '=', expected.nextAllowed)
      .where('expires', '=', expected.expires).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async delete(key: string): Promise<void> {
    await this.#db.kysely.deleteFrom('_sb_throttle').where('key', '=', key).execute();
  }

  async addMember(set: string, member: string, expires: number, now: number): Promise<number> {
    const k = this.#db.kysely;
    await k.insertInto('_sb_throttle_members').values({ set_key: set, member, expires })
      .onConflict((oc) => oc.columns(['set_key', 'member']).doUpdateSet({ expires })).execute();
    const row = await k.selectFrom('_sb_throttle_members').select((eb) => eb.fn.countAll().as('n'))
      .where('set_key', '=', set).where('expires', '>', now).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async deleteSet(set: string): Promise<void> {
    await this.#db.kysely.deleteFrom('_sb_throttle_members').where('set_key', '=', set).execute();
  }

  /** Expired rows are swept at most once a minute, by whichever instance gets there. */
  async #purge(now: number): Promise<void> {
    if (now - this.#lastPurge < 60_000) return;
    this.#lastPurge = now;
    const k = this.#db.kysely;
    await k.deleteFrom('_sb_throttle').where('expires', '<=', now).execute();
    await k.deleteFrom('_sb_throttle_members').where('expires', '<=', now).execute();
  }
}
