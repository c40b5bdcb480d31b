import type { Database } from '../../db/database.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { SealingKey } from '../../crypto/auth-key-types.ts';
import { sha256Hex } from '../../crypto/hash.ts';
import { matchTotp, newRecoveryCodes, newTotpSecret, totpUri } from '../../crypto/totp.ts';
import type { LoginThrottle } from './throttle/login-throttle.ts';

export const RECOVERY_CODES = 10; // single use each, stored as SHA-256

export interface MfaPolicy {
  /** roles that must use a second factor (production default: admin) */
  readonly requiredRoles: ReadonlySet<string>;
}

/**
 * TOTP second factor (_sb_mfa). The secret is sealed with the keyring's `totp` key, bound to the
 * account id; a code is accepted once (its time step must be newer than the last accepted one).
 */
export class MfaService {
  readonly #db: Database;
  readonly #sealer: () => SealingKey;
  readonly #throttle: LoginThrottle;
  readonly #policy: MfaPolicy;
  readonly #now: () => Date;

  constructor(db: Database, sealer: () => SealingKey, throttle: LoginThrottle, policy: MfaPolicy, now: () => Date) {
    this.#db = db;
    this.#sealer = sealer;
    this.#throttle = throttle;
    this.#policy = policy;
    this.#now = now;
  }

  /** A sign-in owes a second factor when the account enrolled one or its role requires one. */
  async needed(account: { id: string; role: string }): Promise<boolean> {
    if (this.#policy.requiredRoles.has(account.role)) return true;
    return (await this.#row(account.id))?.confirmed != null;
  }

  async enrolled(accountId: string): Promise<boolean> {
    return (await this.#row(accountId))?.confirmed != null;
  }

  /** Starts (or restarts, while unconfirmed) an enrolment; returns the otpauth URI once. */
  async enrol(accountId: string, email: string): Promise<string> {
    const existing = await this.#row(accountId);
    if (existing?.confirmed != null) throw new StrongboxError('ERR_CONFLICT', 'A second factor is already set up.');
    const secret = newTotpSecret();
    const sealed = this.#sealer().seal(secret, aad(accountId)).toString('base64');
    const k = this.#db.kysely;
    await k.deleteFrom('_sb_mfa').where('account_id', '=', accountId).execute();
    await k.insertInto('_sb_mfa').values({ account_id: accountId, secret: sealed, confirmed: null, last_step: 0, recovery: '[]' }).execute();
    return totpUri(secret, email, 'Strongbox');
  }

  /** Confirms the enrolment with a current code; returns the 10 recovery codes, shown once. */
  async confirm(accountId: string, code: unknown, ip: string): Promise<string[]> {
    const row = await this.#row(accountId);
    if (!row || row.confirmed != null) throw new StrongboxError('ERR_CONFLICT', 'There is no enrolment to confirm.');
    await this.#checkCode(accountId, row, code, ip);
    const codes = newRecoveryCodes(RECOVERY_CODES);
    await this.#db.kysely.updateTable('_sb_mfa')
      .set({ confirmed: this.#now().toISOString(), recovery: JSON.stringify(codes.map((c) => sha256Hex(c))) })
      .where('account_id', '=', accountId).execute();
    return codes;
  }

  /** Checks a TOTP code or a recovery code (used up) for a pending sign-in. ERR_INVALID_CREDENTIALS otherwise. */
  async verify(accountId: string, input: { code?: unknown; recoveryCode?: unknown }, ip: string): Promise<'totp' | 'recovery'> {
    const row = await this.#row(accountId);
    if (!row || row.confirmed == null) throw new StrongboxError('ERR_MFA_REQUIRED', 'Set up a second factor first (POST /api/auth/mfa/enrol).');
    if (input.recoveryCode !== undefined) {
      const attempt = await this.#throttle.begin({ email: `mfa:${accountId}`, ip, device: null });
      const hash = typeof input.recoveryCode === 'string' && input.recoveryCode.length <= 64 ? sha256Hex(input.recoveryCode.trim().toLowerCase()) : '';
      const left = JSON.parse(row.recovery) as string[];
      if (!left.includes(hash)) {
        await this.#throttle.failed(attempt);
        throw new StrongboxError('ERR_INVALID_CREDENTIALS', 'The code is incorrect.');
      }
      // Compare-and-swap on the list: two uses of one code cannot both pass.
      const r = await this.#db.kysely.updateTable('_sb_mfa').set({ recovery: JSON.stringify(left.filter((h) => h !== hash)) })
        .where('account_id', '=', accountId).where('recovery', '=', row.recovery).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new StrongboxError('ERR_INVALID_CREDENTIALS', 'The code is incorrect.');
      await this.#throttle.succeeded(attempt);
      return 'recovery';
    }
    await this.#checkCode(accountId, row, input.code, ip);
    return 'totp';
  }

  async #checkCode(accountId: string, row: MfaRow, code: unknown, ip: string): Promise<void> {
    const attempt = await this.#throttle.begin({ email: `mfa:${accountId}`, ip, device: null });
    const secret = this.#sealer().open(Buffer.from(row.secret, 'base64'), aad(accountId));
    const step = matchTotp(secret, code, this.#now().getTime());
    secret.fill(0);
    // No replay: the step must be newer than the last accepted one, set atomically.
    const fresh = step !== null && step > Number(row.last_step) && Number((await this.#db.kysely.updateTable('_sb_mfa')
      .set({ last_step: step }).where('account_id', '=', accountId).where('last_step', '<', step).executeTakeFirst()).numUpdatedRows) === 1;
    if (!fresh) {
      await this.#throttle.failed(attempt);
      throw new StrongboxError('ERR_INVALID_CREDENTIALS', 'The code is incorrect.');
    }
    await this.#throttle.succeeded(attempt);
  }

  async #row(accountId: string): Promise<MfaRow | undefined> {
    const row = await this.#db.kysely.selectFrom('_sb_mfa').select(['secret', 'confirmed', 'last_step', 'recovery'])
      .where('account_id', '=', accountId).executeTakeFirst();
    return row ? { secret: String(row.secret), confirmed: row.confirmed == null ? null : String(row.confirmed), last_step: Number(row.last_step), recovery: String(row.recovery) } : undefined;
  }
}

interface MfaRow { secret: string; confirmed: string | null; last_step: number; recovery: string }

const aad = (accountId: string) => `_sb_mfa.secret:${accountId}`;
