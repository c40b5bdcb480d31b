/**
 * Where sign-in throttling keeps its counters. Two stores: in-process (one SQLite instance)
 * and the database (instances on PostgreSQL share one view). Times are epoch milliseconds.
 */
export interface ThrottleEntry {
  /** attempts counted against the key (counted before the password check, see login-throttle.ts) */
  readonly failures: number;
  /** no attempt before this time */
  readonly nextAllowed: number;
  /** the entry is forgotten after this time */
  readonly expires: number;
}

export interface ThrottleStore {
  get(key: string, now: number): Promise<ThrottleEntry | null>;
  /**
   * Replaces `expected` (null: no live entry) by `next` only if the entry is still `expected`:
   * a compare-and-swap, so two concurrent attempts never both pass one free slot. False when
   * another attempt changed it first.
   */
  swap(key: string, expected: ThrottleEntry | null, next: ThrottleEntry, now: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Adds `member` to the set and returns how many live members it has. */
  addMember(set: string, member: string, expires: number, now: number): Promise<number>;
  deleteSet(set: string): Promise<void>;
}

const MAX_ENTRIES = 100_000; // bounded memory under a flood of distinct keys

/** One process's counters. Every method is synchronous inside, so each call is atomic. */
export class MemoryThrottleStore implements ThrottleStore {
  readonly #entries = new Map<string, ThrottleEntry>();
  readonly #sets = new Map<string, Map<string, number>>();

  async get(key: string, now: number): Promise<ThrottleEntry | null> {
    const e = this.#entries.get(key);
    if (e === undefined) return null;
    if (e.expires <= now) {
      this.#entries.delete(key);
      return null;
    }
    return e;
  }

  async swap(key: string, expected: ThrottleEntry | null, next: ThrottleEntry, now: number): Promise<boolean> {
    let current = this.#entries.get(key) ?? null;
    if (current !== null && current.expires <= now) current = null;
    if (!same(current, expected)) return false;
    this.#entries.delete(key); // re-inserted last: the Map's order is oldest-first
    this.#entries.set(key, next);
    this.#evict(this.#entries, now, (e) => e.expires);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async addMember(set: string, member: string, expires: number, now: number): Promise<number> {
    let members = this.#sets.get(set);
    if (members === undefined) {
      members = new Map();
      this.#sets.set(set, members);
      this.#evict(this.#sets, now, () => 0);
    }
    members.set(member, expires);
    for (const [m, exp] of members) if (exp <= now) members.delete(m);
    return members.size;
  }

  async deleteSet(set: string): Promise<void> {
    this.#sets.delete(set);
  }

  #evict<V>(map: Map<string, V>, now: number, expiry: (v: V) => number): void {
    if (map.size <= MAX_ENTRIES) return;
    for (const [k, v] of map) {
      if (map.size <= MAX_ENTRIES) break;
      // Expired first; if none, the oldest written. Dropping a counter only ever forgets, it never blocks.
      if (expiry(v) <= now || map.size > MAX_ENTRIES) map.delete(k);
    }
  }
}

export function same(a: ThrottleEntry | null, b: ThrottleEntry | null): boolean {
  if (a === null || b === null) return a === b;
  return a.failures === b.failures && a.nextAllowed === b.nextAllowed && a.expires === b.expires;
}
