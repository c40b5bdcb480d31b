/**
 * The keys sign-in needs, as the keyring (engine.keys, src/core/keys/) hands them out. Sign-in
 * codes against this narrow view so the keyring is the only place key material lives.
 */
export interface MacKey {
  readonly purpose: string;
  readonly version: number;
  mac(data: Buffer | string): Buffer;
  /** constant time */
  verify(data: Buffer | string, tag: Buffer): boolean;
}

export interface SealingKey {
  seal(plaintext: Buffer, aad: string): Buffer;
  /** throws one opaque StrongboxError on any failure */
  open(sealed: Buffer, aad: string): Buffer;
}

export interface AuthKeys {
  mac(purpose: 'csrf' | 'device-cookie', version?: number): MacKey;
  sealer(purpose: 'totp'): SealingKey;
}
