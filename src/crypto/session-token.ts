import { randomBytes } from 'node:crypto';
import { sha256Hex } from './hash.ts';

/** 256 bits from the CSPRNG. */
export const SESSION_TOKEN_BYTES = 32;
/** base64url of 32 bytes, no padding. */
export const SESSION_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function generateSessionToken(): string {
  return randomBytes(SESSION_TOKEN_BYTES).toString('base64url');
}

/**
 * The only form a token is stored in. A plain hash is enough: the token has 256 bits of
 * entropy, so there is nothing to brute-force, and a stolen database holds no usable token.
 */
export function hashSessionToken(token: string): string {
  return sha256Hex(token);
}

/** Cheap shape check so garbage never reaches the database. */
export function isWellFormedSessionToken(token: unknown): token is string {
  return typeof token === 'string' && SESSION_TOKEN_PATTERN.test(token);
}
