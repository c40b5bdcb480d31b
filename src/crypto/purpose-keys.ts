import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, createSecretKey, randomBytes, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { padMac } from './hmac-pads.ts';

/**
 * Handles for the purpose-bound keys of the keyring. Each wraps one key of one purpose; none
 * exposes the key's bytes.
 */
export interface MacKey {
  readonly purpose: string;
  readonly version: number;
  mac(data: Buffer | string): Buffer;
  /** Constant-time comparison; false for a tag of the wrong length. */
  verify(data: Buffer | string, tag: Buffer): boolean;
  /**
   * The key as a secret KeyObject, for a worker thread of src/crypto (the audit verify workers
   * receive it by structured clone). Optional: a handle without it is used on its own thread only.
   */
  unsafeKeyObject?(): KeyObject;
  /** Zeroes what the handle derived from the key (the keyring calls it when the key is retired). */
  dispose?(): void;
}

export interface SigningKey {
  /** Short public identifier: the first 8 bytes of SHA-256 over the public key, hex. */
  readonly keyId: string;
  readonly publicKeyPem: string;
  sign(data: Buffer): Buffer;
}

export interface SealingKey {
  seal(plaintext: Buffer, aad: string): Buffer;
  /** Throws SealOpenError on any failure. */
  open(sealed: Buffer, aad: string): Buffer;
}

export class SealOpenError extends Error {
  constructor() {
    super('sealed value could not be opened');
    this.name = 'SealOpenError';
  }
}

export function macKey(purpose: string, version: number, key: Buffer): MacKey {
  let keyObject: KeyObject | undefined;
  const pads = padMac(key);
  return {
    purpose,
    version,
    unsafeKeyObject: () => (keyObject ??= createSecretKey(key)),
    mac: (data) => pads.mac(data),
    verify(data, tag) {
      const expected = pads.mac(data);
      return tag.length === expected.length && timingSafeEqual(expected, tag);
    },
    dispose: () => pads.dispose(),
  };
}

/** `pkcs8` is an Ed25519 private key in PKCS#8 DER form. */
export function signingKey(pkcs8: Buffer, keyIdOf: (spki: Buffer) => string): SigningKey {
  const priv: KeyObject = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const pub = createPublicKey(priv);
  const spki = pub.export({ format: 'der', type: 'spki' });
  return {
    keyId: keyIdOf(spki),
    publicKeyPem: pub.export({ format: 'pem', type: 'spki' }).toString(),
    sign: (data) => sign(null, data, priv),
  };
}

const SEAL_VERSION = 1;
const NONCE = 12;
const TAG = 16;

/** AES-256-GCM: version byte, nonce, ciphertext, tag; the version byte and `aad` are authenticated. */
export function sealingKey(key: Buffer): SealingKey {
  return {
    seal(plaintext, aad) {
      const header = Buffer.from([SEAL_VERSION]);
      const nonce = randomBytes(NONCE);
      const c = createCipheriv('aes-256-gcm', key, nonce);
      c.setAAD(Buffer.concat([header, Buffer.from(aad, 'utf8')]));
      const body = Buffer.concat([c.update(plaintext), c.final()]);
      return Buffer.concat([header, nonce, body, c.getAuthTag()]);
    },
    open(sealed, aad) {
      if (sealed.length < 1 + NONCE + TAG || sealed[0] !== SEAL_VERSION) throw new SealOpenError();
      try {
        const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + NONCE));
        d.setAAD(Buffer.concat([sealed.subarray(0, 1), Buffer.from(aad, 'utf8')]));
        d.setAuthTag(sealed.subarray(sealed.length - TAG));
        return Buffer.concat([d.update(sealed.subarray(1 + NONCE, sealed.length - TAG)), d.final()]);
      } catch {
        throw new SealOpenError();
      }
    },
  };
}
