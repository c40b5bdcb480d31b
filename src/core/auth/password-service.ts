import type { Database } from '../../db/database.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { generateSessionToken, hashSessionToken, isWellFormedSessionToken } from '../../crypto/session-token.ts';
import type { AccountService, AuthContext, ClientInfo } from './account-service.ts';
import { requireAccount } from './account-service.ts';
import { normalizePassword } from './password-policy.ts';
import type { NewSession } from './session-store.ts';

export const RESET_TOKEN_TTL_MS = 15 * 60_000; // 15 min, single use

/** Password change (needs the current password) and admin-issued, single-use reset tokens. */
export class PasswordService {
  readonly #db: Database;
  readonly #accounts: AccountService;
  readonly #maxBytes: number;
  readonly #now: () => Date;

  constructor(db: Database, accounts: AccountService, maxBytes: number, now: () => Date) {
    this.#db = db;
    this.#accounts = accounts;
    this.#maxBytes = maxBytes;
    this.#now = now;
  }

  /**
   * Checks the current password (throttled like a sign-in: a stolen session cannot brute-force
   * it), applies the policy to the new one, ends every other session and gives this one a new
   * token (a privilege change).
   */
  async change(ctx: AuthContext, current: unknown, next: unknown, client: ClientInfo): Promise<NewSession> {
    const accountId = requireAccount(ctx);
    const pw = normalizePassword(current, this.#maxBytes, 'currentPassword');
    const row = await this.#row(accountId);
    const attempt = await this.#accounts.throttle.begin({ email: row.email, ip: client.ip ?? 'unknown', device: null });
    const check = await this.#accounts.hasher.verify(row.password_hash, pw);
    if (!check.ok) {
      await this.#accounts.throttle.failed(attempt);
      throw new StrongboxError('ERR_INVALID_CREDENTIALS', 'The current password is incorrect.');
    }
    await this.#accounts.throttle.succeeded(attempt);
    const fresh = this.#accounts.checkNewPassword(next, row.email);
    await this.#setHash(accountId, fresh);
    await this.#accounts.sessions.revokeOthers(accountId, ctx.sessionHash);
    const rotated = ctx.sessionHash === null ? null : await this.#accounts.sessions.rotate(ctx.sessionHash);
    if (rotated === null) throw new StrongboxError('ERR_UNAUTHENTICATED');
    await this.#accounts.audit({ type: 'auth.password.changed', accountId, ip: client.ip ?? null });
    return rotated;
  }

  /** An admin's reset: a token valid 15 minutes, once; earlier tokens of the account end. Stored as SHA-256. */
  async issueReset(accountId: string, actorId: string | null): Promise<{ token: string; expires: string }> {
    await this.#row(accountId);
    const token = generateSessionToken();
    const now = this.#now();
    const expires = new Date(now.getTime() + RESET_TOKEN_TTL_MS).toISOString();
    const k = this.#db.kysely;
    await k.deleteFrom('_sb_reset_tokens').where('account_id', '=', accountId).execute();
    await k.insertInto('_sb_reset_tokens').values({ token_hash: hashSessionToken(token), account_id: accountId, created: now.toISOString(), expires }).execute();
    await this.#accounts.audit({ type: 'auth.password.reset_issued', accountId, actorId });
    return { token, expires };
  }

  /**
   * Sets a new password with a reset token. The token is deleted before the password is set, so
   * two concurrent uses cannot both succeed. Every session of the account ends.
   * A missing, used, expired or forged token is one error.
   */
  async reset(token: unknown, password: unknown, client: ClientInfo): Promise<void> {
    normalizePassword(password, this.#maxBytes);
    if (!isWellFormedSessionToken(token)) throw invalidToken();
    const k = this.#db.kysely;
    const hash = hashSessionToken(token);
    const row = await k.selectFrom('_sb_reset_tokens').select(['account_id', 'expires']).where('token_hash', '=', hash).executeTakeFirst();
    if (!row || String(row.expires) <= this.#now().toISOString()) throw invalidToken();
    const account = await this.#row(String(row.account_id));
    // Policy first: a refused password leaves the token usable for a better one.
    const fresh = this.#accounts.checkNewPassword(password, account.email);
    const del = await k.deleteFrom('_sb_reset_tokens').where('token_hash', '=', hash).executeTakeFirst();
    if (Number(del.numDeletedRows) !== 1) throw invalidToken();
    await this.#setHash(account.id, fresh);
    await this.#accounts.sessions.revokeOthers(account.id, null);
    await this.#accounts.throttle.clearAccount(account.email);
    await this.#accounts.audit({ type: 'auth.password.reset_used', accountId: account.id, ip: client.ip ?? null });
  }

  async #setHash(accountId: string, password: string): Promise<void> {
    await this.#db.kysely.updateTable('_sb_accounts')
      .set({ password_hash: await this.#accounts.hasher.hash(password), updated: this.#now().toISOString() })
      .where('id', '=', accountId).execute();
  }

  async #row(accountId: string): Promise<{ id: string; email: string; password_hash: string }> {
    const row = await this.#db.kysely.selectFrom('_sb_accounts').select(['id', 'email', 'password_hash']).where('id', '=', accountId).executeTakeFirst();
    if (!row) throw new StrongboxError('ERR_NOT_FOUND', 'The account was not found.');
    return { id: String(row.id), email: String(row.email), password_hash: String(row.password_hash) };
  }
}

function invalidToken(): StrongboxError {
  return new StrongboxError('ERR_INVALID_TOKEN');
}
