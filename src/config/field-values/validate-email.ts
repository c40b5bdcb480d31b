import { badStringReason } from './validate-strings.ts';

export const EMAIL_MAX = 254; // characters, RFC 5321 path limit

// Strict on purpose: dot-atom local part, LDH labels, alphabetic TLD. No quoted local parts or IP literals.
const EMAIL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
// Checked before lowercasing: toLowerCase maps some non-ASCII letters (U+212A KELVIN SIGN) onto ASCII ones.
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
// Trimming forgives pasted spaces, never control characters (a trailing "\n" or "\t" is refused too).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The one email rule, for email fields and accounts alike: trimmed and lower-cased, or null when not
 * an acceptable address (NUL, control characters, lone surrogates, non-ASCII, longer than 254).
 */
export function normalizeEmail(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > EMAIL_MAX * 4) return null; // cheap bound before trimming
  if (badStringReason(value) !== null || CONTROL.test(value)) return null;
  const trimmed = value.trim();
  if (trimmed.length > EMAIL_MAX || !PRINTABLE_ASCII.test(trimmed)) return null;
  const email = trimmed.toLowerCase();
  return EMAIL.test(email) ? email : null;
}
