import { createPublicKey, verify } from 'node:crypto';

/** Ed25519 verification with only a public key (PEM): a verifier needs no secret. Never throws. */
export function verifySignature(publicKeyPem: string, data: Buffer, signature: Buffer): boolean {
  try {
    return verify(null, data, createPublicKey(publicKeyPem), signature);
  } catch {
    return false;
  }
}
