/**
 * The parts of the keyring (src/core/keys/key-service.ts) the audit trail uses, by the
 * keyring's own contract: the chain's HMAC key and the checkpoint signing key. Any KeyService
 * satisfies this structurally.
 */
export interface MacKey {
  readonly purpose: string;
  readonly version: number;
  mac(data: Buffer | string): Buffer;
  /** constant time */
  verify(data: Buffer | string, tag: Buffer): boolean;
}

export interface SigningKey {
  readonly keyId: string;
  readonly publicKeyPem: string;
  sign(data: Buffer): Buffer;
}

export interface AuditKeyring {
  mac(purpose: 'audit-hmac', version?: number): MacKey;
  signer(purpose: 'audit-signing'): SigningKey;
}
