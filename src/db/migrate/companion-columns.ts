import type { CollectionDef } from '../../config/schema.ts';

/**
 * Columns a sensitive field adds next to its ciphertext (named in core/records/sensitive-columns.ts):
 * `_bi_<field>` (blind index; indexed, unique when the field is), `_mk_<field>` (encrypted mask),
 * and one `_sv` per table (the revision ciphertexts are bound to).
 */
export interface CompanionColumn {
  readonly name: string;
  readonly field: string;
  readonly index: 'unique' | 'plain' | null;
}

export function companionColumns(def: CollectionDef): CompanionColumn[] {
  const out: CompanionColumn[] = [];
  if (def.fields.some((f) => f.sensitive)) out.push({ name: '_sv', field: '*', index: null });
  for (const f of def.fields) {
    if (!f.sensitive) continue;
    if (f.searchable) out.push({ name: `_bi_${f.name}`, field: f.name, index: f.unique ? 'unique' : 'plain' });
    if (f.mask === 'last4' || f.mask === 'email') out.push({ name: `_mk_${f.name}`, field: f.name, index: null });
  }
  return out;
}

export function isCompanionColumn(name: string): boolean {
  return name === '_sv' || name.startsWith('_bi_') || name.startsWith('_mk_');
}
