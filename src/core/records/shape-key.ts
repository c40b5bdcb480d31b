import type { CollectionDef } from '../../config/schema.ts';
import type { Caller } from '../caller.ts';

/** The last key made for a collection, and what it was made from. */
interface LastKey {
  readonly id: string | null;
  readonly role: string | null;
  readonly email: string | null;
  readonly texts: readonly string[];
  readonly key: string;
}

/**
 * The key of a read's SQL shape besides the values in slots: the collection, the caller's macro
 * values (rules fold on them) and the query texts. Length-prefixed parts keep it unambiguous
 * whatever the texts contain. A caller usually asks the same thing again, so the last key of
 * each collection (per kind of read) is kept and reused when every part is the same.
 */
export class ShapeKeys {
  readonly #last = new WeakMap<CollectionDef, Map<number, LastKey>>();

  key(def: CollectionDef, caller: Caller, texts: readonly string[]): string {
    let byArity = this.#last.get(def);
    if (byArity === undefined) this.#last.set(def, (byArity = new Map()));
    const last = byArity.get(texts.length);
    if (last !== undefined && last.id === caller.id && last.role === caller.role && last.email === caller.email && sameTexts(last.texts, texts)) {
      return last.key;
    }
    let key = '';
    for (const part of [def.name, caller.id ?? '', caller.role ?? '', caller.email ?? '', ...texts]) key += `${part.length}:${part}|`;
    key = `${caller.id === null ? 'a' : 'u'}${caller.role === null ? 'a' : 'r'}${caller.email === null ? 'a' : 'e'}${key}`;
    byArity.set(texts.length, { id: caller.id, role: caller.role, email: caller.email, texts: [...texts], key });
    return key;
  }
}

function sameTexts(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
