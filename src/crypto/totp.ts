import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/** RFC 6238 TOTP: SHA-1, 6 digits, 30 s steps (what every authenticator app supports). */
export const TOTP_PARAMS = Object.freeze({
  secretBytes: 20, // 160 bits, RFC 4226's recommendation
  digits: 6,
  periodS: 30, // seconds per step
  window: 1, // steps either side accepted (clock drift)
});

export function newTotpSecret(): Buffer {
  return randomBytes(TOTP_PARAMS.secretBytes);
}

function totp(secret: Buffer, label = 'account', issuer = 'Strongbox'): TOTP {
  return new TOTP({
    issuer, label, algorithm: 'SHA1', digits: TOTP_PARAMS.digits, period: TOTP_PARAMS.periodS,
    secret: new Secret({ buffer: new Uint8Array(secret).buffer }),
  });
}

/** The `otpauth://totp/…` URI an authenticator app scans. It contains the secret: shown once. */
export function totpUri(secret: Buffer, label: string, issuer: string): string {
  return totp(secret, label, issuer).toString();
}

/** The time step the code belongs to when it is valid now (±1 step), else null. */
export function matchTotp(secret: Buffer, code: unknown, nowMs: number): number | null {
  if (typeof code !== 'string' || !/^[0-9]{6}$/.test(code)) return null;
  const delta = totp(secret).validate({ token: code, timestamp: nowMs, window: TOTP_PARAMS.window });
  return delta === null ? null : Math.floor(nowMs / 1000 / TOTP_PARAMS.periodS) + delta;
}

/** The current code (tests and documentation only: a server never needs to show one). */
export function unsafeCurrentTotp(secret: Buffer, nowMs: number): string {
  return totp(secret).generate({ timestamp: nowMs });
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i

/** `n` recovery codes like `k7m2-p9qx-4hzt` (≈ 59 bits each). */
export function newRecoveryCodes(n: number): string[] {
  return Array.from({ length: n }, () => {
    const bytes = randomBytes(12);
    const chars = [...bytes].map((b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join('');
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
  });
}
