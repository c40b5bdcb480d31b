import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KekProvider } from './kek/kek-provider.ts';
import { fieldKeyId, FieldDecryptError, openField, sealField, type FieldPlace } from './field-cipher.ts';
import { fieldResealPool, type FieldResealPool, type ResealPage } from './field-reseal-pool.ts';
import { macKey, sealingKey, signingKey, type MacKey, type SealingKey, type SigningKey } from './purpose-keys.ts';
import { publicKeyId } from './signature.ts';

/**
 * Every purpose a key can serve. One key never serves two: each (purpose, scope, version) is its
 * own random key, generated here and stored only wrapped by the KEK.
 */
export const KEY_PURPOSES = [
  'field-data', // AES-256-GCM data keys, one set per collection (scope = collection)
  'blind-index', // HMAC-SHA256 of searchable sensitive values, per collection
  'audit-hmac', // the audit chain
  'audit-signing', // Ed25519, audit checkpoints
  'backup-signing', // Ed25519, backup manifests
  'totp', // AES-256-GCM sealing of TOTP secrets
  'device-cookie', // HMAC, sign-in device cookies
  'csrf', // HMAC, CSRF tokens
] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];
export type MacPurpose = 'audit-hmac' | 'csrf' | 'device-cookie';
export type SigningPurpose = 'audit-signing' | 'backup-signing';
export type SealingPurpose = 'totp';

const SIGNING: ReadonlySet<KeyPurpose> = new Set(['audit-signing', 'backup-signing']);

/** A key as it is stored: only the wrapped bytes, and which KEK wrapped them. */
export interface WrappedKey {
  readonly purpose: KeyPurpose;
  /** '' for server-wide keys, the collection name for per-collection ones */
  readonly scope: string;
  readonly version: number;
  readonly kekId: string;
  readonly wrapped: Buffer;
}

/** The associated data of a wrapped key: a wrapped key copied to another row fails to unwrap. */
function wrapAad(purpose: KeyPurpose, scope: string, version: number): Buffer {
  return Buffer.from(`strongbox/key/v1\u0000${purpose}\u0000${scope}\u0000${version}`, 'utf8');
}

const slot = (purpose: KeyPurpose, scope: string, version: number): string => `${purpose}\u0000${scope}\u0000${version}`;

/** A handle's own copies of key material (a MAC key's pads) are zeroed with the key. */
function disposeHandle(h: MacKey | SigningKey | SealingKey | undefined): void {
  if (h !== undefined && 'dispose' in h) h.dispose?.();
}

export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringError';
  }
}

/**
 * The one holder of unwrapped key material. Keys come in through `load` (unwrapping stored
 * keys) or `generate` (a new random key, returned wrapped for storage); they leave only as
 * operations. `retire` and `close` zero the bytes.
 */
export class Keyring {
  private readonly keys = new Map<string, Buffer>();
  /** field-data keys by collection, then version: the per-field path looks up without building a slot string */
  private readonly fieldKeys = new Map<string, Map<number, Buffer>>();
  private readonly handles = new Map<string, MacKey | SigningKey | SealingKey>();

  constructor(private kek: KekProvider) {}

  get kekId(): string {
    return this.kek.id;
  }

  get kekIsDev(): boolean {
    return this.kek.dev;
  }

  has(purpose: KeyPurpose, scope: string, version: number): boolean {
    if (purpose === 'field-data') return this.fieldKeys.get(scope)?.has(version) === true;
    return this.keys.has(slot(purpose, scope, version));
  }

  private hold(purpose: KeyPurpose, scope: string, version: number, key: Buffer): void {
    this.keys.set(slot(purpose, scope, version), key);
    if (purpose !== 'field-data') return;
    let byVersion = this.fieldKeys.get(scope);
    if (!byVersion) this.fieldKeys.set(scope, (byVersion = new Map()));
    byVersion.set(version, key);
  }

  /** Unwraps a stored key and holds it. Throws (KekUnwrapError) when this KEK cannot. */
  async load(w: WrappedKey): Promise<void> {
    const id = slot(w.purpose, w.scope, w.version);
    if (this.keys.has(id)) return;
    const key = await this.kek.unwrap(w.wrapped, wrapAad(w.purpose, w.scope, w.version));
    this.hold(w.purpose, w.scope, w.version, key);
  }

  /** A new random key for (purpose, scope, version), held here and returned wrapped for storage. */
  async generate(purpose: KeyPurpose, scope: string, version: number): Promise<WrappedKey> {
    const id = slot(purpose, scope, version);
    if (this.keys.has(id)) throw new KeyringError(`key ${purpose}/${scope}/${version} already exists`);
    const key = SIGNING.has(purpose)
      ? generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' })
      : randomBytes(32);
    const wrapped = await this.kek.wrap(key, wrapAad(purpose, scope, version));
    this.hold(purpose, scope, version, key);
    return { purpose, scope, version, kekId: this.kek.id, wrapped };
  }

  /** The same key wrapped by another KEK (KEK rotation: the keys themselves do not change). */
  async rewrap(purpose: KeyPurpose, scope: string, version: number, to: KekProvider): Promise<WrappedKey> {
    const wrapped = await to.wrap(this.key(purpose, scope, version), wrapAad(purpose, scope, version));
    return { purpose, scope, version, kekId: to.id, wrapped };
  }

  /** Switches to another KEK after a rewrap; the old provider is closed (and zeroed). */
  async useKek(kek: KekProvider): Promise<void> {
    const old = this.kek;
    this.kek = kek;
    if (old !== kek) await old.close();
  }

  sealField(collection: string, version: number, place: FieldPlace, plaintext: Buffer): Buffer {
    const key = this.fieldKeys.get(collection)?.get(version);
    if (!key) throw new KeyringError(`no live key field-data/${collection}/v${version}`);
    return sealField(key, version, place, plaintext);
  }

  /** Decrypts with whichever live data key the ciphertext names. */
  openField(collection: string, place: FieldPlace, stored: Buffer): Buffer {
    const version = fieldKeyId(stored);
    if (version === null) throw new FieldDecryptError('not a Strongbox field ciphertext (truncated or foreign)');
    const key = this.fieldKeys.get(collection)?.get(version);
    if (!key) throw new FieldDecryptError(`no live data key ${collection}/v${version}`);
    return openField(key, place, stored);
  }

  /**
   * Re-seals a page of stored values under data key `target` on the re-encryption thread. The
   * live data keys of the collection go with the page in a fresh buffer that is transferred to
   * the thread (no copy stays here) and zeroed there when the page is done.
   */
  resealFields(page: ResealPage, target: number, pool: FieldResealPool = fieldResealPool): Promise<string[]> {
    const byVersion = this.fieldKeys.get(page.collection);
    if (!byVersion?.has(target)) return Promise.reject(new KeyringError(`no live key field-data/${page.collection}/v${target}`));
    const versions = [...byVersion.keys()];
    const keys = new ArrayBuffer(32 * versions.length);
    const view = Buffer.from(keys);
    versions.forEach((v, i) => (byVersion.get(v) as Buffer).copy(view, 32 * i));
    return pool.reseal(page, target, versions, keys);
  }

  /** HMAC-SHA256 of a normalized value under the collection's blind-index key, base64url. */
  blindIndex(collection: string, version: number, normalized: string): string {
    return (this.handle('blind-index', collection, version, (k) => macKey('blind-index', version, k)) as MacKey)
      .mac(normalized).toString('base64url');
  }

  mac(purpose: MacPurpose, version: number): MacKey {
    return this.handle(purpose, '', version, (k) => macKey(purpose, version, k)) as MacKey;
  }

  signer(purpose: SigningPurpose, version: number): SigningKey {
    return this.handle(purpose, '', version, (k) => signingKey(k, publicKeyId)) as SigningKey;
  }

  sealer(purpose: SealingPurpose, version: number): SealingKey {
    return this.handle(purpose, '', version, (k) => sealingKey(k)) as SealingKey;
  }

  /** Drops a key and zeroes its bytes; ciphertexts under it no longer open. */
  retire(purpose: KeyPurpose, scope: string, version: number): void {
    const id = slot(purpose, scope, version);
    this.keys.get(id)?.fill(0);
    this.keys.delete(id);
    disposeHandle(this.handles.get(id));
    this.handles.delete(id);
    if (purpose === 'field-data') this.fieldKeys.get(scope)?.delete(version);
  }

  async close(): Promise<void> {
    for (const key of this.keys.values()) key.fill(0);
    for (const h of this.handles.values()) disposeHandle(h);
    this.keys.clear();
    this.fieldKeys.clear();
    this.handles.clear();
    await this.kek.close();
  }

  private key(purpose: KeyPurpose, scope: string, version: number): Buffer {
    const key = this.keys.get(slot(purpose, scope, version));
    if (!key) throw new KeyringError(`no live key ${purpose}/${scope || '-'}/v${version}`);
    return key;
  }

  private handle(purpose: KeyPurpose, scope: string, version: number, make: (key: Buffer) => MacKey | SigningKey | SealingKey): MacKey | SigningKey | SealingKey {
    const id = slot(purpose, scope, version);
    let h = this.handles.get(id);
    if (!h) this.handles.set(id, (h = make(this.key(purpose, scope, version))));
    return h;
  }
}
