import { randomFillSync } from 'node:crypto';

/**
 * CSPRNG bytes drawn 6 KiB at a time and handed out once each: one randomBytes call costs about
 * as much as the write or encryption it serves. Only for values that are not secrets but must
 * never repeat or be guessed: record ids, revisions, GCM nonces. Keys and tokens never come
 * from here. Every read copies out of the pool before the next refill can happen (synchronous).
 */
const pool = Buffer.allocUnsafe(6144);
let at = pool.length;

function reserve(n: number): number {
  if (at + n > pool.length) {
    randomFillSync(pool);
    at = 0;
  }
  const start = at;
  at += n;
  return start;
}

/** Copies n fresh random bytes into `into` at `offset`. */
export function fillPublicRandom(into: Buffer, offset: number, n: number): void {
  const start = reserve(n);
  pool.copy(into, offset, start, start + n);
}

/** n fresh random bytes as base64url text. */
export function publicRandomText(n: number): string {
  const start = reserve(n);
  return pool.toString('base64url', start, start + n);
}
