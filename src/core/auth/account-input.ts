import { StrongboxError } from '../../errors/strongbox-error.ts';

export const PASSWORD_MIN_LENGTH = 8; // characters
export const PASSWORD_MAX_LENGTH = 1024; // characters; argon2 pre-hashes, this only bounds work
export const EMAIL_MAX_LENGTH = 254; // RFC 5321 path limit
const EMAIL_PATTERN = /^[^\s@"<>()[\]\\,;:]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
/** Role names follow collection-name rules so they are safe in rules and logs. */
export const ROLE_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;

/** Trimmed and lowercased, or null when not an acceptable address. */
export function normalizeEmail(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const email = value.trim().toLowerCase();
  if (email.length === 0 || email.length > EMAIL_MAX_LENGTH) return null;
  return EMAIL_PATTERN.test(email) ? email : null;
}

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
