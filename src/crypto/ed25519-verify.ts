import { createPublicKey, verify } from 'node:crypto';

/**
 * Checks an Ed25519 signature against a PEM public key, without any secret (a verifier's
 * view). Any malformed key or signature is simply false.
 * TODO(keys): replace with verifySignature from src/crypto/signature.ts when the keyring lands.
 */
export function verifyEd25519(publicKeyPem: string, data: Buffer, signature: Buffer): boolean {
  try {
    const key = createPublicKey(publicKeyPem);
    if (key.asymmetricKeyType !== 'ed25519') return false;
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}
