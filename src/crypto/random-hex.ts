import { randomBytes } from 'node:crypto';

/** `bytes` random bytes from the CSPRNG as lower-case hex (backup ids). */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
