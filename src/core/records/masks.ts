import type { MaskKind } from '../../config/schema.ts';

/**
 * The masked form of a value: `last4` keeps the last four characters and replaces every other
 * letter or digit with `*` (separators stay: `***-**-6789`); `email` keeps the first character of
 * the local part and the domain (`j***@example.com`); `full` shows nothing (the field is left out).
 */
export function maskValue(kind: MaskKind, value: unknown): string | null {
  if (kind === 'full' || value === null || value === undefined) return null;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const chars = [...text];
  if (kind === 'last4') {
    const keep = Math.max(chars.length - 4, 0);
    return chars.map((c, i) => (i < keep && /[\p{L}\p{N}]/u.test(c) ? '*' : c)).join('');
  }
  const at = text.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${[...text.slice(0, at)][0]}***${text.slice(at)}`;
}
