import type { CollectionDef } from '../../config/schema.ts';
import type { Expr, SortTerm } from '../../filter/ast.ts';
import { parseFilter } from '../../filter/parser.ts';
import { parseSort } from '../../filter/sort.ts';
import { parseFields } from '../../filter/fields.ts';
import { checkExpr, checkSort, checkFields } from '../../filter/check.ts';
import { checkFilterCost } from '../../filter/filter-cost.ts';
import { LruMap } from '../../util/lru-map.ts';
import { CACHE_BUDGET, MAX_ENTRY_BYTES } from '../../util/cache-budget.ts';

export type ExprMode = 'filter' | 'rule' | 'write-rule';

/**
 * Parsed and checked filter/rule/sort/fields ASTs, keyed by (collection, kind, readable set, text),
 * so a repeated query skips the tokenizer, parser and checker. Bounded: the least recently used
 * entry goes first. Only successes are cached; an invalid text is re-parsed (and re-rejected).
 */
export class RuleCache {
  private readonly entries: LruMap<string, unknown>;

  constructor(maxEntries = 2000, maxBytes: number = CACHE_BUDGET.ruleCache) {
    // The key holds the text; a checked AST holds about 6.5 bytes per character of it.
    this.entries = new LruMap(maxEntries, { maxBytes, maxEntryBytes: MAX_ENTRY_BYTES.ruleCache, sizeOf: (key) => 16 * key.length + 512 });
  }

  /** Parses and checks a text without keeping anything (for a request that is denied anyway). */
  checkUncached(collection: CollectionDef, kind: 'filter' | 'sort' | 'fields', text: string, readable?: ReadonlySet<string>): void {
    if (kind === 'filter') checkFilterCost(checkExpr(parseFilter(text), { collection, readable, mode: 'filter' }));
    else if (kind === 'sort') checkSort(parseSort(text), { collection, readable, mode: 'filter' });
    else checkFields(parseFields(text), { collection, mode: 'filter' });
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.entries.bytes;
  }

  private memo<T>(key: string, produce: () => T): T {
    return this.entries.memo(key, produce) as T;
  }

  /**
   * `readable` limits which fields the text may name (undefined = all); `readableKey` must
   * identify that set, since the same text can be valid for one caller and forbidden for another.
   */
  expr(collection: CollectionDef, mode: ExprMode, text: string, readable?: ReadonlySet<string>, readableKey = '*'): Expr {
    return this.memo(`e\u0000${mode}\u0000${collection.name}\u0000${readableKey}\u0000${text}`, () => {
      // checkExpr returns the tree with date/datetime literals normalized.
      const expr = checkExpr(parseFilter(text), { collection, readable, mode });
      // A client's filter is also bounded by what it compiles to (rules are the admin's, fixed at load).
      if (mode === 'filter') checkFilterCost(expr);
      return expr;
    });
  }

  sort(collection: CollectionDef, text: string, readable?: ReadonlySet<string>, readableKey = '*'): readonly SortTerm[] {
    return this.memo(`s\u0000${collection.name}\u0000${readableKey}\u0000${text}`, () => {
      const terms = parseSort(text);
      checkSort(terms, { collection, readable, mode: 'filter' });
      return terms;
    });
  }

  fields(collection: CollectionDef, text: string): readonly string[] {
    return this.memo(`f\u0000${collection.name}\u0000${text}`, () => {
      const names = parseFields(text);
      checkFields(names, { collection, mode: 'filter' });
      return names;
    });
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
