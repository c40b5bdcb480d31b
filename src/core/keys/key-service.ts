import type { Database } from '../../db/database.ts';
import type { KekConfig } from '../../config/parse-keys.ts';
import { KekUnwrapError, type KekProvider } from '../../crypto/kek/kek-provider.ts';
import { FieldDecryptError, fieldKeyId, type FieldPlace } from '../../crypto/field-cipher.ts';
import { Keyring, type WrappedKey, type KeyPurpose, type MacPurpose, type SealingPurpose, type SigningPurpose } from '../../crypto/keyring.ts';
import type { MacKey, SealingKey, SigningKey } from '../../crypto/purpose-keys.ts';
import type { FieldResealPool, ResealPage } from '../../crypto/field-reseal-pool.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { insertKey, latestVersion, listKeys, replaceWrapped, retireKey, type StoredKey } from './key-store.ts';
import { openKek } from './open-kek.ts';
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Executor = Kysely<any>;

/** Server-wide keys, one purpose each, created on first start. */
const SERVER_PURPOSES: readonly KeyPurpose[] = ['audit-hmac', 'audit-signing', 'backup-signing', 'totp', 'device-cookie', 'csrf'];
/** How stale this process's view of the newest data key may get (another process may rotate). */
const REFRESH_MS = 1000;

export interface KeyServiceOptions {
  readonly kek: KekConfig;
  readonly dev: boolean;
  /** Production `serve`: a dev KEK is refused. */
  readonly serving?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** Collections that hold sensitive fields: each gets its data and blind-index keys. */
  readonly collections: readonly string[];
  /** Injected clock (ms); tests control it. */
  readonly now?: () => number;
}

/** Thrown for a ciphertext that does not open: callers log `reason` and answer ERR_INTERNAL. */
export { FieldDecryptError };

/**
 * The keyring as the rest of core sees it: purpose-bound operations over keys that are stored
 * only wrapped (`_sb_keys`) and held unwrapped only inside src/crypto/. Many instances agree
 * because every version lives in the database; a process picks up another's new version
 * within REFRESH_MS for writes and at once for reads (an unknown key id triggers a reload).
 */
export class KeyService {
  private readonly primary = new Map<string, number>();
  /** field-data entries of `primary` by collection alone (the per-field path) */
  private readonly fieldPrimary = new Map<string, number>();
  /** purpose NUL scope → active versions, oldest first */
  private live = new Map<string, number[]>();
  private readonly indexListeners: Array<() => void> = [];
  private timer: NodeJS.Timeout | null = null;
  private lastRefresh = 0;
  private refreshing: Promise<void> | null = null;
  private readonly now: () => number;

  private constructor(private readonly db: Database, private readonly ring: Keyring, private readonly opts: KeyServiceOptions) {
    this.now = opts.now ?? Date.now;
  }

  static async open(db: Database, opts: KeyServiceOptions): Promise<KeyService> {
    // A missing KEK file is created only for a database that holds no keys yet.
    const empty = (await listKeys(db.kysely)).length === 0;
    const kek = openKek(opts.kek, { dev: opts.dev, serving: opts.serving === true, env: opts.env, create: empty });
    const svc = new KeyService(db, new Keyring(kek), opts);
    try {
      await svc.reload(true);
      for (const p of SERVER_PURPOSES) await svc.ensure(p, '');
      for (const c of opts.collections) {
        await svc.ensure('field-data', c);
        await svc.ensure('blind-index', c);
      }
      if (opts.serving === true) {
        // A serving instance that only reads must still see another's blind-index rotation: its
        // filters look up every live index version, so the view may be at most REFRESH_MS old.
        svc.timer = setInterval(() => { svc.reload(false).catch(() => undefined); }, REFRESH_MS);
        svc.timer.unref();
      }
      return svc;
    } catch (err) {
      await svc.ring.close();
      throw err;
    }
  }

  get kekId(): string {
    return this.ring.kekId;
  }

  mac(purpose: MacPurpose, version?: number): MacKey {
    return this.ring.mac(purpose, version ?? this.current(purpose, ''));
  }

  signer(purpose: SigningPurpose): SigningKey {
    return this.ring.signer(purpose, this.current(purpose, ''));
  }

  sealer(purpose: SealingPurpose): SealingKey {
    return this.ring.sealer(purpose, this.current(purpose, ''));
  }

  /** The data-key version new writes of `collection` use. */
  fieldVersion(collection: string): number {
    const v = this.fieldPrimary.get(collection);
    return v === undefined ? this.current('field-data', collection) : v;
  }

  /**
   * Keeps the newest-version view fresh (cheap: at most one query per REFRESH_MS). Call it
   * outside a transaction, or pass the transaction as `exec`: SQLite has one connection, and a
   * query on it from inside another's transaction would wait forever.
   */
  async fresh(exec?: Executor): Promise<void> {
    if (this.now() - this.lastRefresh >= REFRESH_MS) await this.reload(false, exec);
  }

  /** AES-256-GCM under the collection's current data key; base64 of the documented layout. */
  sealField(collection: string, field: string, recordId: string, revision: string, plaintext: Buffer): string {
    const v = this.fieldVersion(collection);
    return this.ring.sealField(collection, v, { collection, field, recordId, revision }, plaintext).toString('base64');
  }

  /** Opens a stored value with whichever live key it names; throws FieldDecryptError otherwise. */
  async openField(collection: string, field: string, recordId: string, revision: unknown, stored: unknown, exec?: Executor): Promise<Buffer> {
    const bytes = typeof stored === 'string' ? Buffer.from(stored, 'base64') : Buffer.alloc(0);
    const v = fieldKeyId(bytes);
    if (v !== null && !this.ring.has('field-data', collection, v)) {
      await this.reload(false, exec);
      // The reload above is skipped within 50 ms of the last one, or joins one already under way
      // that may predate the key: a key added meanwhile (a rotation by another instance) must not
      // fail the read, so one more reload, started now.
      if (!this.ring.has('field-data', collection, v)) await this.reload(true, exec);
    }
    return this.#open(collection, field, recordId, revision, bytes);
  }

  /**
   * openField without waiting: null when the value names a key version this process does not
   * hold yet (openField then loads it). The read path's common case costs no promise.
   */
  openFieldNow(collection: string, field: string, recordId: string, revision: unknown, stored: unknown): Buffer | null {
    const bytes = typeof stored === 'string' ? Buffer.from(stored, 'base64') : Buffer.alloc(0);
    const v = fieldKeyId(bytes);
    if (v !== null && !this.ring.has('field-data', collection, v)) return null;
    return this.#open(collection, field, recordId, revision, bytes);
  }

  #open(collection: string, field: string, recordId: string, revision: unknown, bytes: Buffer): Buffer {
    if (typeof revision !== 'string') throw new FieldDecryptError('the record has no sensitive revision');
    return this.ring.openField(collection, { collection, field, recordId, revision }, bytes);
  }

  /** Whether this process holds data key `version` of `collection` (reload first when not). */
  hasFieldKey(collection: string, version: number): boolean {
    return this.ring.has('field-data', collection, version);
  }

  /** Reloads the key view now (e.g. when a batch meets a key id this process does not hold). */
  async reloadKeys(): Promise<void> {
    await this.reload(true);
  }

  /** Synchronous open of decoded bytes for the re-encryption job (which reloads keys before its batch). */
  openAt(place: FieldPlace, bytes: Buffer): Buffer {
    return this.ring.openField(place.collection, place, bytes);
  }

  /** `sealField` for a place the caller already holds (the re-encryption job, once per field of a row). */
  sealAt(place: FieldPlace, plaintext: Buffer): string {
    return this.ring.sealField(place.collection, this.fieldVersion(place.collection), place, plaintext).toString('base64');
  }

  /**
   * `sealAt` for a whole page on the re-encryption thread (src/crypto/field-reseal-pool.ts):
   * every item opened with the key it names and sealed under the current data key, in order.
   */
  resealFields(page: ResealPage, pool?: FieldResealPool): Promise<string[]> {
    return this.ring.resealFields(page, this.fieldVersion(page.collection), pool);
  }

  /** The key id a stored value names (null for a foreign value). */
  storedVersion(stored: unknown): number | null {
    return typeof stored === 'string' ? fieldKeyId(Buffer.from(stored, 'base64')) : null;
  }

  /** The blind index new writes store: under the collection's newest index key. */
  blindIndex(collection: string, normalized: string): string {
    return this.ring.blindIndex(collection, this.current('blind-index', collection), normalized);
  }

  /** The blind index under one given index-key version (the re-encryption job compares with it). */
  blindIndexAt(collection: string, version: number, normalized: string): string {
    return this.ring.blindIndex(collection, version, normalized);
  }

  /**
   * The value's blind index under every live index key, newest first: while a rotation of the
   * index key is under way, rows hold either, so `=` looks for all of them.
   */
  blindIndexes(collection: string, normalized: string): string[] {
    const versions = this.indexVersions(collection);
    const out: string[] = [];
    for (let i = versions.length - 1; i >= 0; i--) {
      // a version retired here but not yet seen retired in the view is skipped, not an error
      if (this.ring.has('blind-index', collection, versions[i])) out.push(this.ring.blindIndex(collection, versions[i], normalized));
    }
    return out;
  }

  /** The index-key version new writes use. */
  indexVersion(collection: string): number {
    return this.current('blind-index', collection);
  }

  /** Live index-key versions of a collection, oldest first. */
  indexVersions(collection: string): readonly number[] {
    return this.live.get(`blind-index\u0000${collection}`) ?? [this.current('blind-index', collection)];
  }

  /** Called whenever the set of live index keys changes (compiled filters hold index values). */
  onIndexKeysChange(fn: () => void): void {
    this.indexListeners.push(fn);
  }

  /** Adds a new blind-index key version per collection; writes use it at once, filters look up every live one. */
  async rotateIndexKeys(collections: readonly string[]): Promise<Record<string, number>> {
    return this.rotate('blind-index', collections);
  }

  /** Retires an index-key version no row uses any more: its row loses the wrapped key, the bytes here are zeroed. */
  async retireIndexKey(collection: string, version: number): Promise<void> {
    if (version >= this.indexVersion(collection)) throw new StrongboxError('ERR_KEY_ROTATION', 'the current blind-index key cannot be retired');
    await retireKey(this.db.kysely, 'blind-index', collection, version, new Date(this.now()).toISOString());
    this.ring.retire('blind-index', collection, version);
    await this.reload(true);
  }

  /** Adds a new data-key version per collection; every write from now on uses it. */
  async rotateDataKeys(collections: readonly string[]): Promise<Record<string, number>> {
    return this.rotate('field-data', collections);
  }

  private async rotate(purpose: 'field-data' | 'blind-index', collections: readonly string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const c of collections) {
      const next = (await latestVersion(this.db.kysely, purpose, c)) + 1;
      const w = await this.ring.generate(purpose, c, next);
      if (!(await insertKey(this.db.kysely, w, new Date(this.now()).toISOString()))) {
        this.ring.retire(purpose, c, next);
      }
      await this.reload(true);
      out[c] = this.current(purpose, c);
    }
    return out;
  }

  /** Retires a data-key version: its row loses the wrapped key and the bytes here are zeroed. */
  async retireDataKey(collection: string, version: number): Promise<void> {
    if (version >= this.fieldVersion(collection)) throw new StrongboxError('ERR_KEY_ROTATION', 'the current data key cannot be retired');
    await retireKey(this.db.kysely, 'field-data', collection, version, new Date(this.now()).toISOString());
    this.ring.retire('field-data', collection, version);
  }

  /** Live data-key versions of a collection, oldest first. */
  dataKeyVersions(collection: string, stored: readonly StoredKey[]): number[] {
    return stored.filter((k) => k.purpose === 'field-data' && k.scope === collection && k.state === 'active').map((k) => k.version);
  }

  /** Re-wraps every live key under `to` in one transaction, then uses `to`. The keys do not change. */
  async rotateKek(to: KekProvider): Promise<number> {
    const keys = (await listKeys(this.db.kysely)).filter((k) => k.state === 'active');
    const rewrapped: WrappedKey[] = [];
    for (const k of keys) rewrapped.push(await this.ring.rewrap(k.purpose, k.scope, k.version, to));
    await this.db.kysely.transaction().execute(async (trx) => {
      for (const w of rewrapped) await replaceWrapped(trx, w);
    });
    await this.ring.useKek(to);
    return rewrapped.length;
  }

  async stored(): Promise<StoredKey[]> {
    return listKeys(this.db.kysely);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ring.close();
  }

  private current(purpose: KeyPurpose, scope: string): number {
    const v = this.primary.get(`${purpose}\u0000${scope}`);
    if (v === undefined) throw new StrongboxError('ERR_KEY_ROTATION', `no key for ${purpose}${scope ? ` of ${scope}` : ''}`);
    return v;
  }

  private async ensure(purpose: KeyPurpose, scope: string): Promise<void> {
    if (this.primary.has(`${purpose}\u0000${scope}`)) return;
    const w = await this.ring.generate(purpose, scope, 1);
    if (!(await insertKey(this.db.kysely, w, new Date(this.now()).toISOString()))) {
      // another instance stored version 1 first: use theirs
      this.ring.retire(purpose, scope, 1);
    }
    await this.reload(true);
  }

  /** Loads every live key this process does not hold yet and zeroes the ones retired elsewhere. */
  private reload(force: boolean, exec?: Executor): Promise<void> {
    if (this.refreshing) return this.refreshing;
    if (!force && this.now() - this.lastRefresh < 50) return Promise.resolve();
    this.refreshing = (async () => {
      try {
        const rows = await listKeys(exec ?? this.db.kysely);
        const live = new Map<string, number[]>();
        for (const k of rows) {
          if (k.state === 'retired' || k.wrapped === null) {
            this.ring.retire(k.purpose, k.scope, k.version);
            continue;
          }
          try {
            await this.ring.load({ purpose: k.purpose, scope: k.scope, version: k.version, kekId: k.kekId, wrapped: k.wrapped });
          } catch (err) {
            if (!(err instanceof KekUnwrapError)) throw err;
            throw new StrongboxError('ERR_KEK_MISMATCH', k.kekId === this.ring.kekId
              ? `the stored key ${k.purpose}${k.scope ? `/${k.scope}` : ''} v${k.version} does not unwrap with the configured KEK (tampered or damaged)`
              : `the stored keys were wrapped by KEK ${k.kekId}, but keys.kek is KEK ${this.ring.kekId}; nothing was changed`, undefined, { cause: err });
          }
          const slot = `${k.purpose}\u0000${k.scope}`;
          if ((this.primary.get(slot) ?? 0) < k.version) {
            this.primary.set(slot, k.version);
            if (k.purpose === 'field-data') this.fieldPrimary.set(k.scope, k.version);
          }
          const versions = live.get(slot);
          if (versions) versions.push(k.version);
          else live.set(slot, [k.version]);
        }
        const before = this.live;
        this.live = live;
        this.lastRefresh = this.now();
        if (indexKeysDiffer(before, live)) for (const fn of this.indexListeners) fn();
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }
}

function indexKeysDiffer(a: ReadonlyMap<string, number[]>, b: ReadonlyMap<string, number[]>): boolean {
  const text = (m: ReadonlyMap<string, number[]>) => [...m].filter(([k]) => k.startsWith('blind-index\u0000')).map(([k, v]) => `${k}=${v.join(',')}`).sort().join(';');
  return text(a) !== text(b);
}
