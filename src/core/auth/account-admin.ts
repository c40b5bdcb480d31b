import { sql } from 'kysely';
import type { Database } from '../../db/database.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { ROLE_PATTERN, normalizeEmail } from './account-input.ts';
import type { AccountService } from './account-service.ts';

export interface AdminAccount {
  readonly id: string;
  readonly email: string;
  readonly role: string;
  readonly disabled: boolean;
  readonly created: string;
  readonly updated: string;
}

export interface AccountPage {
  readonly items: AdminAccount[];
  readonly page: number;
  readonly perPage: number;
  readonly totalItems: number;
  readonly totalPages: number;
}

export interface AccountFilter {
  /** substring of the email, case-insensitive */
  readonly email?: string;
  readonly role?: string;
  readonly disabled?: boolean;
  readonly page: number;
  readonly perPage: number;
}

export interface AccountChange {
  readonly role?: string;
  readonly disabled?: boolean;
}

const COLUMNS = ['id', 'email', 'role', 'disabled', 'created', 'updated'] as const;

function toAdmin(r: Record<string, unknown>): AdminAccount {
  return {
    id: String(r.id), email: String(r.email), role: String(r.role), disabled: Number(r.disabled) !== 0,
    created: String(r.created), updated: String(r.updated),
  };
}

/** Role changes, disabling, listing (admins and the CLI). Every change ends the account's other sessions. */
export class AccountAdmin {
  readonly #db: Database;
  readonly #accounts: AccountService;
  readonly #now: () => Date;

  constructor(db: Database, accounts: AccountService, now: () => Date) {
    this.#db = db;
    this.#accounts = accounts;
    this.#now = now;
  }

  async list(f: AccountFilter): Promise<AccountPage> {
    const k = this.#db.kysely;
    let q = k.selectFrom('_sb_accounts');
    if (f.email !== undefined && f.email !== '') {
      // LIKE metacharacters in the filter are matched literally.
      const escaped = f.email.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
      q = q.where(sql<boolean>`lower(email) like ${`%${escaped}%`} escape '\\'`);
    }
    if (f.role !== undefined) q = q.where('role', '=', f.role);
    if (f.disabled !== undefined) q = q.where('disabled', '=', f.disabled ? 1 : 0);
    const total = await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const rows = await q.select([...COLUMNS]).orderBy('created').orderBy('id')
      .limit(f.perPage).offset((f.page - 1) * f.perPage).execute();
    const totalItems = Number(total.n);
    return { items: rows.map(toAdmin), page: f.page, perPage: f.perPage, totalItems, totalPages: Math.ceil(totalItems / f.perPage) };
  }

  async get(id: string): Promise<AdminAccount> {
    const row = await this.#db.kysely.selectFrom('_sb_accounts').select([...COLUMNS]).where('id', '=', id).executeTakeFirst();
    if (!row) throw new StrongboxError('ERR_NOT_FOUND', 'The account was not found.');
    return toAdmin(row);
  }

  async idOfEmail(email: string): Promise<string> {
    const normalized = normalizeEmail(email);
    const row = normalized === null ? undefined : await this.#db.kysely.selectFrom('_sb_accounts').select('id').where('email', '=', normalized).executeTakeFirst();
    if (!row) throw new StrongboxError('ERR_NOT_FOUND', 'The account was not found.');
    return String(row.id);
  }

  /**
   * Changes role and/or disabled. Refuses to leave no enabled admin (ERR_LAST_ADMIN). Ends every
   * session of the account except `keepSessionHash` (the admin's own, when they change themselves).
   */
  async change(id: string, change: AccountChange, actor: { id: string | null; keepSessionHash: string | null }): Promise<AdminAccount> {
    if (change.role !== undefined && !ROLE_PATTERN.test(change.role)) {
      throw new StrongboxError('ERR_VALIDATION', 'The role is invalid.', { fields: { role: 'must be a lower-case name: a letter, then up to 31 letters, digits or _' } });
    }
    const before = await this.get(id);
    const after: AdminAccount = { ...before, role: change.role ?? before.role, disabled: change.disabled ?? before.disabled };
    if (after.role === before.role && after.disabled === before.disabled) return before;
    const losesAdmin = before.role === 'admin' && !before.disabled && (after.role !== 'admin' || after.disabled);
    await this.#db.kysely.transaction().execute(async (trx) => {
      if (losesAdmin) {
        const others = await trx.selectFrom('_sb_accounts').select((eb) => eb.fn.countAll().as('n'))
          .where('role', '=', 'admin').where('disabled', '=', 0).where('id', '!=', id).executeTakeFirstOrThrow();
        if (Number(others.n) === 0) throw new StrongboxError('ERR_LAST_ADMIN');
      }
      await trx.updateTable('_sb_accounts')
        .set({ role: after.role, disabled: after.disabled ? 1 : 0, updated: this.#now().toISOString() })
        .where('id', '=', id).execute();
    });
    const keep = actor.id === id ? actor.keepSessionHash : null;
    await this.#accounts.sessions.revokeOthers(id, keep);
    if (after.role !== before.role) {
      await this.#accounts.audit({ type: 'auth.account.role_changed', accountId: id, actorId: actor.id, detail: { from: before.role, to: after.role } });
    }
    if (after.disabled !== before.disabled) {
      await this.#accounts.audit({ type: after.disabled ? 'auth.account.disabled' : 'auth.account.enabled', accountId: id, actorId: actor.id });
    }
    return { ...after, updated: this.#now().toISOString() };
  }

  /** Ends the account's untrusted-client sign-in lock. */
  async unlock(id: string, actorId: string | null): Promise<void> {
    const account = await this.get(id);
    await this.#accounts.throttle.clearAccount(account.email);
    await this.#accounts.audit({ type: 'auth.account.unlocked', accountId: id, actorId });
  }
}
