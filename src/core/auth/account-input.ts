import { StrongboxError } from '../../errors/strongbox-error.ts';
import { EMAIL_MAX, normalizeEmail } from '../../config/field-values/validate-email.ts';

// The same email rule as email fields: one validator, so an address accepted here is one every dialect can store.
export { normalizeEmail };

export const PASSWORD_MIN_LENGTH = 8; // characters
export const PASSWORD_MAX_LENGTH = 1024; // characters; argon2 pre-hashes, this only bounds work
export const EMAIL_MAX_LENGTH = EMAIL_MAX; // characters, RFC 5321 path limit
/** Role names follow collection-name rules so they are safe in rules and logs. */
export const ROLE_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;

export function isAcceptablePassword(value: unknown): value is string {
  return typeof value === 'string' && value.length >= PASSWORD_MIN_LENGTH && value.length <= PASSWORD_MAX_LENGTH;
}

/** Validates registration input; ERR_VALIDATION lists every bad field. */
export function validateNewAccount(email: unknown, password: unknown, role: unknown): string {
  const fields: Record<string, string> = {};
  const normalized = normalizeEmail(email);
  if (normalized === null) fields.email = 'must be a valid email address';
  if (!isAcceptablePassword(password)) {
    fields.password = `must be a string of ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`;
  }
  if (typeof role !== 'string' || !ROLE_PATTERN.test(role)) fields.role = 'must be a role name';
  if (normalized === null || Object.keys(fields).length > 0) {
    throw new StrongboxError('ERR_VALIDATION', 'The account details are invalid.', { fields });
  }
  return normalized;
}
