/**
 * The key-encryption key (KEK): the one key that lives outside the database. It only wraps and
 * unwraps the keyring's keys; it never encrypts data. Implementations keep the key bytes to
 * themselves (a PKCS#11 token never lets them out at all).
 */
export interface KekProvider {
  readonly kind: 'file' | 'env' | 'pkcs11';
  /** Not secret: tells which KEK wrapped a key, so a wrong KEK is named before any unwrap. */
  readonly id: string;
  /** True for the key `serve --dev` made: production refuses it. */
  readonly dev: boolean;
  /** `aad` binds the wrapped key to its place (purpose, scope, version). */
  wrap(key: Buffer, aad: Buffer): Promise<Buffer>;
  /** Throws KekUnwrapError on any failure; never returns a partial key. */
  unwrap(wrapped: Buffer, aad: Buffer): Promise<Buffer>;
  /** Zeroes what it holds and releases the token session. */
  close(): Promise<void>;
}

/** Where the KEK comes from, as the config names it (`keys.kek`). */
export type KekSpec =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'env'; readonly name: string }
  | {
      readonly kind: 'pkcs11';
      /** absolute path of the PKCS#11 module (.so) */
      readonly module: string;
      readonly token: string;
      /** label of the AES key object inside the token */
      readonly key: string;
      /** the user PIN, read from a *_FILE secret by the config loader; never in the YAML */
      readonly pin: string;
    };

/** One opaque failure for every unwrap problem: wrong KEK, tampered blob, wrong place. */
export class KekUnwrapError extends Error {
  constructor(reason: string) {
    super(`key unwrap failed: ${reason}`);
    this.name = 'KekUnwrapError';
  }
}
