import type { ClientCertMapping } from '../../config/edge-config.ts';
import type { Database } from '../../db/database.ts';
import { CompiledQueryCache, slot } from '../../db/compiled-query-cache.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { ClientCaBundle } from '../../crypto/client-ca.ts';
import type { AccountService } from './account-service.ts';

/** The account a pinned client certificate signs in as, as rules see it (@auth.id, @auth.email, @auth.role). */
export interface ServiceAccount {
  readonly id: string;
  readonly email: string;
  readonly role: string;
}

/** Why a mapped certificate's account is not a caller right now. */
export type ServiceAccountRefusal = 'gone' | 'disabled' | 'admin';

/**
 * Service accounts behind pinned client certificates (listen.tls.clients). The accounts are
 * ordinary rows of _sb_accounts that must exist at start; an admin account may never be one
 * (a stolen client certificate must not bypass every rule). The row is read again on every
 * request that presents a mapped certificate, so disabling the account stops it at once.
 */
export class ServiceAccounts {
  readonly #db: Database;
  readonly #byFingerprint: ReadonlyMap<string, string>;
  readonly #queries = new CompiledQueryCache(2);
  #bundle: ClientCaBundle;
  #generation = 0;

  private constructor(db: Database, byFingerprint: ReadonlyMap<string, string>, bundle: ClientCaBundle) {
    this.#db = db;
    this.#byFingerprint = byFingerprint;
    this.#bundle = bundle;
  }

  /** Bumped by every reload of the CA bundle: connections verified under an older one are checked again. */
  get generation(): number {
    return this.#generation;
  }

  /** The reloaded listen.tls.clientCa (already checked by loadTls); a bundle that no longer parses trusts nothing. */
  trust(caPem: string, now = Date.now()): void {
    if (caPem === this.#bundle.pem) return;
    const next = ClientCaBundle.parse(caPem, now);
    this.#bundle = 'problem' in next ? ClientCaBundle.empty() : next;
    this.#generation++;
  }

  /** The peer's chain (DER, leaf first) checked against the current bundle (resumed sessions, reloads). */
  verifiesChain(chain: readonly Buffer[], now = Date.now()): boolean {
    return this.#bundle.verifiesChain(chain, now);
  }

  /** Resolves every mapping's email to its account; an unknown or admin account stops the start (ERR_TLS_CONFIG naming the key). */
  static async resolve(db: Database, accounts: AccountService, mappings: readonly ClientCertMapping[], caPem: string): Promise<ServiceAccounts> {
    const bundle = ClientCaBundle.parse(caPem, Date.now());
    if ('problem' in bundle) throw new StrongboxError('ERR_TLS_CONFIG', `listen.tls.clientCa: ${bundle.problem}`);
    const byFingerprint = new Map<string, string>();
    for (const m of mappings) {
      const row = await accounts.findByEmail(m.account);
      if (row === undefined) {
        throw new StrongboxError('ERR_TLS_CONFIG', `${m.keyPath}.account: there is no account ${m.account} (create it first; client certificates sign in as existing accounts)`);
      }
      if (String(row.role) === 'admin') {
        throw new StrongboxError('ERR_TLS_CONFIG', `${m.keyPath}.account: ${m.account} is an admin account; a client certificate may not carry admin rights`);
      }
      byFingerprint.set(m.fingerprint, String(row.id));
    }
    return new ServiceAccounts(db, byFingerprint, bundle);
  }

  /** The account id pinned to this certificate fingerprint (64 lower-case hex digits), if any. */
  accountFor(fingerprint: string): string | undefined {
    return this.#byFingerprint.get(fingerprint);
  }

  /** The account as it is now, or why it may not sign in (deleted, disabled, promoted to admin). */
  async current(id: string): Promise<ServiceAccount | ServiceAccountRefusal> {
    const k = this.#db.kysely;
    const { rows: [row] } = await this.#queries.execute(this.#db, 'serviceAccounts.byId', () => ({
      query: k.selectFrom('_sb_accounts').select(['id', 'email', 'role', 'disabled']).where('id', '=', slot(0)),
      meta: null,
    }), [id]);
    const r = row as { id: unknown; email: unknown; role: unknown; disabled: unknown } | undefined;
    if (r === undefined) return 'gone';
    if (Number(r.disabled) !== 0) return 'disabled';
    if (String(r.role) === 'admin') return 'admin';
    return Object.freeze({ id: String(r.id), email: String(r.email), role: String(r.role) });
  }
}
