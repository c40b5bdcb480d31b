import { randomBytes } from 'node:crypto';
import type { MacKey } from './auth-key-types.ts';

/**
 * OWASP device cookies: `v<keyVersion>.<nonce>.<HMAC(key, nonce, email)>`. A browser that
 * signed in as `email` holds one; it proves "this client succeeded before" for that email only.
 */
const COOKIE = /^v([1-9][0-9]{0,5})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

const signed = (nonce: string, email: string) => `strongbox-device-cookie\u0000${nonce}\u0000${email}`;

export function issueDeviceCookie(key: MacKey, email: string): string {
  const nonce = randomBytes(16).toString('base64url');
  return `v${key.version}.${nonce}.${key.mac(signed(nonce, email)).toString('base64url')}`;
}

/** The cookie's nonce when it is genuine and for `email`; null for anything else (forged, foreign, malformed). */
export function verifyDeviceCookie(keyFor: (version: number) => MacKey | undefined, cookie: unknown, email: string): string | null {
  if (typeof cookie !== 'string') return null;
  const m = COOKIE.exec(cookie);
  if (m === null) return null;
  const key = keyFor(Number(m[1]));
  if (key === undefined) return null;
  return key.verify(signed(m[2], email), Buffer.from(m[3], 'base64url')) ? m[2] : null;
}
