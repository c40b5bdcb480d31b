import type { MacKey } from './auth-key-types.ts';

/**
 * HMAC-bound CSRF token: MAC(csrf key, the session's stored token hash). It is bound to one
 * session (a new session, including the one issued at a privilege change, has a new token) and
 * needs no storage. `v<keyVersion>.` first so a key rotation keeps old tokens readable.
 */
const TOKEN = /^v([1-9][0-9]{0,5})\.([A-Za-z0-9_-]{43})$/;
const signed = (sessionHash: string) => `strongbox-csrf\u0000${sessionHash}`;

export function csrfTokenFor(key: MacKey, sessionHash: string): string {
  return `v${key.version}.${key.mac(signed(sessionHash)).toString('base64url')}`;
}

export function verifyCsrfToken(keyFor: (version: number) => MacKey | undefined, token: unknown, sessionHash: string): boolean {
  if (typeof token !== 'string') return false;
  const m = TOKEN.exec(token);
  if (m === null) return false;
  const key = keyFor(Number(m[1]));
  return key !== undefined && key.verify(signed(sessionHash), Buffer.from(m[2], 'base64url'));
}
