import { createHash, createPublicKey } from 'node:crypto';

/**
 * The 4-byte key hash of a C2SP signed note: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ Ed25519 public key)[:4],
 * so a verifier can tell which key a signature line claims before checking it.
 */
export function noteKeyHash(name: string, publicKeyPem: string): Buffer {
  const jwk = createPublicKey(publicKeyPem).export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new TypeError('not an Ed25519 public key');
  const raw = Buffer.from(jwk.x, 'base64url');
  return createHash('sha256').update(name).update(Buffer.from([0x0a, 0x01])).update(raw).digest().subarray(0, 4);
}
