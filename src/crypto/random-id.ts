import { publicRandomText } from './public-random.ts';

/** 15 bytes = 120 bits from the CSPRNG, which base64url-encodes to exactly 20 characters. */
const ID_BYTES = 15;
const ID_PATTERN = /^[A-Za-z0-9_-]{20}$/;

/** A new record id: unpredictable and never sequential. */
export function randomId(): string {
  return publicRandomText(ID_BYTES);
}

/** True when `s` has the shape of a record id (checked before any query is built). */
export function isRecordId(s: unknown): s is string {
  return typeof s === 'string' && ID_PATTERN.test(s);
}

/** A record's sensitive revision: 96 random bits, new at every write of its sensitive fields. */
export function randomRevision(): string {
  return publicRandomText(12);
}
