import { randomBytes } from 'node:crypto';

/** 15 bytes = 120 bits from the CSPRNG, which base64url-encodes to exactly 20 characters. */
const ID_BYTES = 15;
const ID_PATTERN = /^[A-Za-z0-9_-]{20}$/;

/**
 * CSPRNG bytes drawn 4 KiB at a time and handed out once each: one randomBytes call costs
 * about as much as the write it names. Only for values that are not secrets (ids, revisions).
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let at = 0;

function publicRandom(n: number): Buffer {
  if (at + n > pool.length) {
    pool = randomBytes(POOL_BYTES);
    at = 0;
  }
  const out = pool.subarray(at, at + n);
  at += n;
  return out;
}

/** A new record id: unpredictable and never sequential. */
export function randomId(): string {
  return publicRandom(ID_BYTES).toString('base64url');
}

/** True when `s` has the shape of a record id (checked before any query is built). */
export function isRecordId(s: unknown): s is string {
  return typeof s === 'string' && ID_PATTERN.test(s);
}

/** A record's sensitive revision: 96 random bits, new at every write of its sensitive fields. */
export function randomRevision(): string {
  return publicRandom(12).toString('base64url');
}
