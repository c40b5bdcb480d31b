/**
 * A bounded map that forgets the least recently used entry first. A Map keeps insertion order,
 * so re-inserting on every hit is all the bookkeeping LRU needs.
 */
export class LruMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.capacity = capacity;
  }

  get(key: K): V | undefined {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
    }
    return hit;
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value as K;
      this.#entries.delete(oldest);
    }
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
}
