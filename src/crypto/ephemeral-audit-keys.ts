import { createHmac, generateKeyPairSync, randomBytes, sign, timingSafeEqual } from 'node:crypto';

/**
 * Stand-in for the keyring (src/core/keys/) until it is on main: per-process random keys that
 * are never stored, so a trail written with them cannot be verified after a restart. Named
 * unsafe… because it bypasses the keyring; the engine uses the keyring as soon as it exists.
 */
export function unsafeEphemeralAuditKeys(): {
  mac(purpose: 'audit-hmac', version?: number): { purpose: string; version: number; mac(d: Buffer | string): Buffer; verify(d: Buffer | string, t: Buffer): boolean };
  signer(purpose: 'audit-signing'): { keyId: string; publicKeyPem: string; sign(d: Buffer): Buffer };
} {
  const secret = randomBytes(32);
  const pair = generateKeyPairSync('ed25519');
  const macKey = {
    purpose: 'audit-hmac',
    version: 1,
    mac: (d: Buffer | string) => createHmac('sha256', secret).update(d).digest(),
    verify: (d: Buffer | string, t: Buffer) => {
      const m = createHmac('sha256', secret).update(d).digest();
      return t.length === m.length && timingSafeEqual(m, t);
    },
  };
  const signer = {
    keyId: `audit-signing-${randomBytes(4).toString('hex')}`,
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (d: Buffer) => sign(null, d, pair.privateKey),
  };
  return {
    mac(_purpose, version) {
      if (version !== undefined && version !== 1) throw new Error('no such audit key version');
      return macKey;
    },
    signer: () => signer,
  };
}
