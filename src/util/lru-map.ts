interface Slot<V> {
  value: V;
  /** Read since it was last passed over for eviction. */
  used: boolean;
}

/**
 * A bounded map that evicts entries nobody has read lately (the CLOCK approximation of LRU).
 * A hit only sets a flag, so the hot path of every cached query is one Map lookup; eviction
 * gives each recently read entry a second chance by moving it to the young end.
 */
export class LruMap<K, V> {
  readonly #entries = new Map<K, Slot<V>>();
  readonly capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.capacity = capacity;
  }

  get(key: K): V | undefined {
    const slot = this.#entries.get(key);
    if (slot === undefined) return undefined;
    slot.used = true;
    return slot.value;
  }

  set(key: K, value: V): void {
    const slot = this.#entries.get(key);
    if (slot !== undefined) {
      slot.value = value;
      slot.used = true;
      return;
    }
    this.#entries.set(key, { value, used: false });
    while (this.#entries.size > this.capacity) this.#evictOne();
  }

  /** The cached value, or the produced one (cached only if produce() returns). */
  memo(key: K, produce: () => V): V {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const value = produce();
    this.set(key, value);
    return value;
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }

  // Terminates: every pass clears a flag, so within size + 1 steps an unused entry is found.
  #evictOne(): void {
    for (const [key, slot] of this.#entries) {
      this.#entries.delete(key);
      if (!slot.used) return;
      slot.used = false;
      this.#entries.set(key, slot);
    }
  }
}
