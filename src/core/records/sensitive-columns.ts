import type { FieldDef } from '../../config/schema.ts';

/**
 * Companion columns of a sensitive field. User field names start with a letter, so a leading
 * underscore can never collide with one.
 * - `_bi_<field>`: the blind index (searchable fields): HMAC-SHA256 of the normalized value.
 * - `_mk_<field>`: the masked form (mask last4 / email), encrypted like the value itself, so a
 *   reader who may only see the mask never causes the plaintext to be decrypted.
 * - `_sv` (one per record): the revision every ciphertext of the record is bound to, so an older
 *   ciphertext written back into its column no longer decrypts.
 */
/** The record's sensitive revision: random, renewed at each write of any sensitive field. */
export const REVISION_COLUMN = '_sv';
export const blindIndexColumn = (field: string): string => `_bi_${field}`;
export const maskColumn = (field: string): string => `_mk_${field}`;

export function hasBlindIndex(f: FieldDef): boolean {
  return f.sensitive && f.searchable;
}

export function hasMaskColumn(f: FieldDef): boolean {
  return f.sensitive && (f.mask === 'last4' || f.mask === 'email');
}
