import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Pkcs11Module from 'pkcs11js';
import { KekUnwrapError, type KekProvider } from './kek-provider.ts';

const NONCE_BYTES = 12;
const TAG_BITS = 128;
const WRAP_VERSION = 2; // 1 is the local KEK's format; the version byte says which wrapped a key

/** Why a token could not be used; messages name the module, token and key label, never the PIN. */
export class Pkcs11KekError extends Error {
  constructor(readonly reason: 'module' | 'token' | 'pin' | 'key', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Pkcs11KekError';
  }
}

const requireCjs = createRequire(import.meta.url);

interface Pkcs11Spec { module: string; token: string; key: string; pin: string }

/**
 * A KEK that never leaves a PKCS#11 token: wrapping is AES-256-GCM computed inside the token
 * (C_Encrypt with CKM_AES_GCM), with a random 96-bit nonce made here and the place as AAD.
 */
export class Pkcs11Kek implements KekProvider {
  readonly kind = 'pkcs11' as const;
  readonly dev = false;
  readonly id: string;
  private closed = false;

  private constructor(
    private readonly lib: typeof Pkcs11Module,
    private readonly p11: Pkcs11Module.PKCS11,
    private readonly session: Pkcs11Module.Handle,
    private readonly keyHandle: Pkcs11Module.Handle,
    spec: Pkcs11Spec,
  ) {
    this.id = `pkcs11:${createHash('sha256').update(`${spec.token}\u0000${spec.key}`).digest('hex').slice(0, 16)}`;
  }

  static open(spec: Pkcs11Spec): Pkcs11Kek {
    const lib = requireCjs('pkcs11js') as typeof Pkcs11Module;
    const p11 = new lib.PKCS11();
    try {
      p11.load(spec.module);
    } catch (err) {
      throw new Pkcs11KekError('module', `cannot load the PKCS#11 module ${spec.module}`, { cause: err });
    }
    let initialized = false;
    try {
      p11.C_Initialize();
      initialized = true;
      const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === spec.token);
      if (slot === undefined) throw new Pkcs11KekError('token', `no PKCS#11 token labelled '${spec.token}' is present`);
      const session = p11.C_OpenSession(slot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
      try {
        p11.C_Login(session, lib.CKU_USER, spec.pin);
      } catch (err) {
        throw new Pkcs11KekError('pin', `the PIN for PKCS#11 token '${spec.token}' was refused`, { cause: err });
      }
      p11.C_FindObjectsInit(session, [
        { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
        { type: lib.CKA_LABEL, value: spec.key },
      ]);
      const found = p11.C_FindObjects(session, 2);
      p11.C_FindObjectsFinal(session);
      if (found.length !== 1) {
        throw new Pkcs11KekError('key', found.length === 0
          ? `token '${spec.token}' has no secret key labelled '${spec.key}'`
          : `token '${spec.token}' has more than one key labelled '${spec.key}'`);
      }
      return new Pkcs11Kek(lib, p11, session, found[0], spec);
    } catch (err) {
      if (initialized) {
        try { p11.C_Finalize(); } catch { /* already failing */ }
      }
      if (err instanceof Pkcs11KekError) throw err;
      throw new Pkcs11KekError('token', `the PKCS#11 token '${spec.token}' could not be used`, { cause: err });
    }
  }

  private mechanism(nonce: Buffer, aad: Buffer): Pkcs11Module.Mechanism {
    const parameter: Pkcs11Module.AesGCM = { type: this.lib.CK_PARAMS_AES_GCM_v240, iv: nonce, aad, ivBits: NONCE_BYTES * 8, tagBits: TAG_BITS };
    return { mechanism: this.lib.CKM_AES_GCM, parameter };
  }

  async wrap(plain: Buffer, aad: Buffer): Promise<Buffer> {
    const nonce = randomBytes(NONCE_BYTES);
    const header = Buffer.from([WRAP_VERSION]);
    this.p11.C_EncryptInit(this.session, this.mechanism(nonce, Buffer.concat([header, aad])), this.keyHandle);
    const out = this.p11.C_Encrypt(this.session, plain, Buffer.alloc(plain.length + TAG_BITS / 8));
    return Buffer.concat([header, nonce, out]);
  }

  async unwrap(wrapped: Buffer, aad: Buffer): Promise<Buffer> {
    if (wrapped.length < 1 + NONCE_BYTES + TAG_BITS / 8 || wrapped[0] !== WRAP_VERSION) throw new KekUnwrapError('malformed wrapped key');
    const nonce = wrapped.subarray(1, 1 + NONCE_BYTES);
    try {
      this.p11.C_DecryptInit(this.session, this.mechanism(Buffer.from(nonce), Buffer.concat([wrapped.subarray(0, 1), aad])), this.keyHandle);
      const body = wrapped.subarray(1 + NONCE_BYTES);
      return Buffer.from(this.p11.C_Decrypt(this.session, body, Buffer.alloc(body.length)));
    } catch {
      throw new KekUnwrapError('the token refused to unwrap (wrong KEK or tampered key)');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.p11.C_Logout(this.session);
      this.p11.C_CloseSession(this.session);
    } finally {
      this.p11.C_Finalize();
    }
  }
}
