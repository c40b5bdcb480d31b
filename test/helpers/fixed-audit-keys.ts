/**
 * Audit keys from a seed, so separate test processes (a server killed and restarted, two
 * instances on one database) chain and sign with the same keys. Tests only: the product takes
 * its keys from the keyring.
 */
import { createHmac, createPrivateKey, createPublicKey, createSecretKey, sign, timingSafeEqual } from 'node:crypto';
import type { AuditKeyring } from '../../src/core/audit/audit-keys.ts';

export function fixedAuditKeys(seedHex: string): AuditKeyring {
  const seed = Buffer.from(seedHex.padEnd(64, '0').slice(0, 64), 'hex');
  const secret = createHmac('sha256', seed).update('audit-hmac').digest();
  const edSeed = createHmac('sha256', seed).update('audit-signing').digest();
  const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), edSeed]), format: 'der', type: 'pkcs8' });
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  const macKey = {
    purpose: 'audit-hmac',
    version: 1,
    mac: (d: Buffer | string) => createHmac('sha256', secret).update(d).digest(),
    verify(d: Buffer | string, t: Buffer) {
      const m = createHmac('sha256', secret).update(d).digest();
      return t.length === m.length && timingSafeEqual(m, t);
    },
    unsafeKeyObject: () => createSecretKey(secret),
  };
  const signer = { keyId: `test-${seedHex.slice(0, 8)}`, publicKeyPem, sign: (d: Buffer) => sign(null, d, privateKey) };
  return {
    mac(_p, version) {
      if (version !== undefined && version !== 1) throw new Error('no such audit key version');
      return macKey;
    },
    signer: () => signer,
  };
}
