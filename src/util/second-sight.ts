import { LruMap } from './lru-map.ts';

/**
 * Admission to a cache at a key's second sighting. An entry built for a key seen once is used
 * and dropped: for a native resource (a SQLite prepared statement, whose memory is freed only
 * when V8 collects its small JS object) dying young means a quick scavenge frees it, while one
 * that was cached and then evicted has been promoted and waits for a rare full GC. A caller who
 * sends thousands of distinct shapes thus pins nothing; a shape that repeats is cached on its
 * second use. Remembers keys only, bounded by entries and bytes.
 */
export class SecondSight {
  readonly #seen: LruMap<string, true>;

  constructor(capacity: number, maxBytes: number) {
    this.#seen = new LruMap(capacity, { maxBytes, maxEntryBytes: maxBytes / 8, sizeOf: (key) => 2 * key.length + 48 });
  }

  /** True when `key` was seen before (it is then forgotten: the caller caches it); false records it. */
  admit(key: string): boolean {
    if (this.#seen.get(key) !== undefined) {
      this.#seen.delete(key);
      return true;
    }
    this.#seen.set(key, true);
    return false;
  }

  clear(): void {
    this.#seen.clear();
  }
}
