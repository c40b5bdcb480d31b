import { StrongboxError } from '../../errors/strongbox-error.ts';
import { EMAIL_MAX, normalizeEmail } from '../../config/field-values/validate-email.ts';

// The same email rule as email fields: one validator, so an address accepted here is one every dialect can store.
export { normalizeEmail };

export const EMAIL_MAX_LENGTH = EMAIL_MAX; // characters, RFC 5321 path limit
/** Role names follow collection-name rules so they are safe in rules and logs. */
export const ROLE_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;

/**
 * Validates the email and role of a new account; ERR_VALIDATION lists every bad field. The
 * password is the policy's job (password-policy.ts), checked after this.
 */
export function validateNewAccount(email: unknown, password: unknown, role: unknown): string {
  const fields: Record<string, string> = {};
  const normalized = normalizeEmail(email);
  if (normalized === null) fields.email = 'must be a valid email address';
  if (typeof password !== 'string') fields.password = 'must be a string';
  if (typeof role !== 'string' || !ROLE_PATTERN.test(role)) fields.role = 'must be a role name';
  if (normalized === null || Object.keys(fields).length > 0) {
    throw new StrongboxError('ERR_VALIDATION', 'The account details are invalid.', { fields });
  }
  return normalized;
}
