interface Slot<V> {
  value: V;
  /** Read since it was last passed over for eviction. */
  used: boolean;
  /** Estimated bytes the entry holds (0 without a byte budget). */
  bytes: number;
}

/**
 * A byte budget for an LruMap: `sizeOf` estimates what an entry holds (key included), the map
 * evicts until the total fits `maxBytes`, and never keeps an entry above `maxEntryBytes`.
 */
export interface ByteBudget<K, V> {
  readonly maxBytes: number;
  readonly sizeOf: (key: K, value: V) => number;
  /** Default: maxBytes / 32. */
  readonly maxEntryBytes?: number;
}

/**
 * A bounded map that evicts entries nobody has read lately (the CLOCK approximation of LRU).
 * A hit only sets a flag, so the hot path of every cached query is one Map lookup; eviction
 * gives each recently read entry a second chance by moving it to the young end. Bounded by
 * entries and, with a ByteBudget, by estimated bytes too.
 */
export class LruMap<K, V> {
  readonly #entries = new Map<K, Slot<V>>();
  readonly capacity: number;
  readonly #budget: ByteBudget<K, V> | undefined;
  readonly #maxEntryBytes: number;
  #bytes = 0;

  constructor(capacity: number, budget?: ByteBudget<K, V>) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    if (budget !== undefined && !(budget.maxBytes > 0)) throw new RangeError('maxBytes must be positive');
    this.capacity = capacity;
    this.#budget = budget;
    this.#maxEntryBytes = budget?.maxEntryBytes ?? (budget ? budget.maxBytes / 32 : Infinity);
  }

  get(key: K): V | undefined {
    const slot = this.#entries.get(key);
    if (slot === undefined) return undefined;
    slot.used = true;
    return slot.value;
  }

  /** Keeps the value, unless it alone is above the per-entry bound (then the key is dropped). */
  set(key: K, value: V): void {
    const bytes = this.#budget === undefined ? 0 : this.#budget.sizeOf(key, value);
    const slot = this.#entries.get(key);
    if (bytes > this.#maxEntryBytes) {
      if (slot !== undefined) this.delete(key);
      return;
    }
    if (slot !== undefined) {
      this.#bytes += bytes - slot.bytes;
      slot.value = value;
      slot.used = true;
      slot.bytes = bytes;
    } else {
      this.#entries.set(key, { value, used: false, bytes });
      this.#bytes += bytes;
    }
    const maxBytes = this.#budget?.maxBytes ?? Infinity;
    while (this.#entries.size > this.capacity || (this.#bytes > maxBytes && this.#entries.size > 0)) this.#evictOne();
  }

  /** The cached value, or the produced one (cached only if produce() returns and it fits). */
  memo(key: K, produce: () => V): V {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const value = produce();
    this.set(key, value);
    return value;
  }

  delete(key: K): void {
    const slot = this.#entries.get(key);
    if (slot === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= slot.bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Estimated bytes held (0 without a byte budget). */
  get bytes(): number {
    return this.#bytes;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  // Terminates: every pass clears a flag, so within size + 1 steps an unused entry is found.
  #evictOne(): void {
    for (const [key, slot] of this.#entries) {
      this.#entries.delete(key);
      if (!slot.used) {
        this.#bytes -= slot.bytes;
        return;
      }
      slot.used = false;
      this.#entries.set(key, slot);
    }
  }
}
