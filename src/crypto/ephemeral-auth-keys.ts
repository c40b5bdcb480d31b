import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { StrongboxError } from '../errors/strongbox-error.ts';
import type { AuthKeys, MacKey, SealingKey } from './auth-key-types.ts';

/**
 * Stand-in for the keyring until it is on main: per-process random keys, so device cookies,
 * CSRF tokens and TOTP secrets made by one process are refused by another (safe, not durable).
 * Replaced by engine.keys once the keyring lands; nothing else creates key material.
 */
export function unsafeEphemeralAuthKeys(): AuthKeys {
  const macs = new Map<string, MacKey>();
  const sealers = new Map<string, SealingKey>();
  return {
    mac(purpose, version) {
      if (version !== undefined && version !== 1) throw new StrongboxError('ERR_INTERNAL', 'No such key version.');
      let k = macs.get(purpose);
      if (k === undefined) {
        const secret = randomBytes(32);
        k = {
          purpose,
          version: 1,
          mac: (data) => createHmac('sha256', secret).update(data).digest(),
          verify(data, tag) {
            const want = createHmac('sha256', secret).update(data).digest();
            return tag.length === want.length && timingSafeEqual(tag, want);
          },
        };
        macs.set(purpose, k);
      }
      return k;
    },
    sealer(purpose) {
      let s = sealers.get(purpose);
      if (s === undefined) {
        const key = randomBytes(32);
        s = {
          seal(plaintext, aad) {
            const iv = randomBytes(12);
            const c = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad));
            const body = Buffer.concat([c.update(plaintext), c.final()]);
            return Buffer.concat([iv, c.getAuthTag(), body]);
          },
          open(sealed, aad) {
            try {
              const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12)).setAAD(Buffer.from(aad));
              d.setAuthTag(sealed.subarray(12, 28));
              return Buffer.concat([d.update(sealed.subarray(28)), d.final()]);
            } catch {
              throw new StrongboxError('ERR_INTERNAL', 'A sealed value could not be opened.');
            }
          },
        };
        sealers.set(purpose, s);
      }
      return s;
    },
  };
}
