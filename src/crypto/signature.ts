import { createHash, createPublicKey, verify } from 'node:crypto';

/**
 * Checks an Ed25519 signature with only the public key (PEM, SPKI): what an external verifier
 * of audit checkpoints or backup manifests holds. False for any malformed input.
 */
export function verifySignature(publicKeyPem: string, data: Buffer, signature: Buffer): boolean {
  try {
    const key = createPublicKey({ key: publicKeyPem, format: 'pem' });
    if (key.asymmetricKeyType !== 'ed25519') return false;
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}

/** The public identifier of a signing key: first 8 bytes of SHA-256 over its SPKI DER, hex. */
export function publicKeyId(spkiDer: Buffer): string {
  return createHash('sha256').update(spkiDer).digest('hex').slice(0, 16);
}
