import { randomBytes } from 'node:crypto';

/** 15 bytes = 120 bits from the CSPRNG, which base64url-encodes to exactly 20 characters. */
const ID_BYTES = 15;
const ID_PATTERN = /^[A-Za-z0-9_-]{20}$/;

/** A new record id: unpredictable and never sequential. */
export function randomId(): string {
  return randomBytes(ID_BYTES).toString('base64url');
}

/** True when `s` has the shape of a record id (checked before any query is built). */
export function isRecordId(s: unknown): s is string {
  return typeof s === 'string' && ID_PATTERN.test(s);
}

/** A record's sensitive revision: 96 random bits, new at every write of its sensitive fields. */
export function randomRevision(): string {
  return randomBytes(12).toString('base64url');
}
