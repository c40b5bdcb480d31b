import type { Compilable } from 'kysely';
import type { Database } from '../../db/database.ts';
import { CompiledQueryCache, slot } from '../../db/compiled-query-cache.ts';
import type { Caller, RequestContext } from '../caller.ts';
import type { AuditInput } from '../audit/audit-types.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { randomId } from '../../crypto/random-id.ts';
import { hashPassword, verifyPassword, verifyDummyPassword, needsRehash } from '../../crypto/password.ts';
import { generateSessionToken, hashSessionToken, isWellFormedSessionToken } from '../../crypto/session-token.ts';
import { validateNewAccount, normalizeEmail, isAcceptablePassword } from './account-input.ts';

/** What an account looks like outside this service: never the password hash. */
export interface PublicAccount {
  readonly id: string;
  readonly email: string;
  readonly role: string;
}

export interface LoginResult {
  /** The only time the raw token exists on the server; it is stored as SHA-256 only. */
  readonly token: string;
  readonly account: PublicAccount;
}

export interface AccountServiceOptions {
  readonly db: Database;
  readonly sessionTtlSeconds: number;
  /** Clock, for tests. */
  readonly now?: () => Date;
  /** The audit trail (engine.audit); events are written fail-closed. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly audit?: { append(event: AuditInput, trx?: any): Promise<void> };
}

// Writing last_seen on every request would make every read a write: it is written when the
// minute changes, comparing the first 16 characters of the ISO text (`YYYY-MM-DDTHH:MM`).
const LAST_SEEN_RESOLUTION = 16;

/** Accounts (_sb_accounts) and server-side sessions (_sb_sessions). */
export class AccountService {
  readonly #db: Database;
  readonly #ttlMs: number;
  readonly #now: () => Date;
  readonly #audit: AccountServiceOptions['audit'];
  // The session lookup runs on every authenticated request, the rest on every sign-in: keep their SQL.
  readonly #queries = new CompiledQueryCache(16);

  constructor(opts: AccountServiceOptions) {
    if (!Number.isInteger(opts.sessionTtlSeconds) || opts.sessionTtlSeconds <= 0) {
      throw new StrongboxError('ERR_CONFIG', 'The session lifetime must be a positive whole number of seconds.');
    }
    this.#db = opts.db;
    this.#ttlMs = opts.sessionTtlSeconds * 1000;
    this.#now = opts.now ?? (() => new Date());
    this.#audit = opts.audit;
  }

  /**
   * Creates an account. The HTTP route never passes `role`, so a client cannot choose it.
   * A taken email gives ERR_CONFLICT (account enumeration is the hardening issue's job).
   */
  async register(email: string, password: string, role = 'user', ctx?: RequestContext): Promise<PublicAccount> {
    const normalized = validateNewAccount(email, password, role);
    const passwordHash = await hashPassword(password);
    const k = this.#db.kysely;
    if (await this.#findByEmail(normalized)) throw conflict();
    const now = this.#now().toISOString();
    const id = randomId();
    try {
      await k.transaction().execute(async (trx) => {
        await trx.insertInto('_sb_accounts')
          .values({ id, email: normalized, password_hash: passwordHash, role, created: now, updated: now })
          .execute();
        await this.#audit?.append({
          action: 'account.create', outcome: 'success', request: requestOf(ctx),
          target: { collection: '_sb_accounts', recordId: id }, details: { role, email: normalized },
        }, trx);
      });
    } catch (err) {
      // Lost a race with a concurrent register: the unique index said no.
      if (await this.#findByEmail(normalized)) throw conflict();
      throw err;
    }
    return { id, email: normalized, role };
  }

  /** Used by `strongbox admin create`. */
  createAdmin(email: string, password: string): Promise<PublicAccount> {
    return this.register(email, password, 'admin');
  }

  /**
   * Wrong password, unknown account and malformed input all give the same error after the
   * same argon2 work, so nothing tells them apart. Every login creates a new session.
   */
  async login(email: unknown, password: unknown, ctx?: RequestContext): Promise<LoginResult> {
    const normalized = normalizeEmail(email);
    const row = normalized === null ? undefined : await this.#findByEmail(normalized);
    const pw = typeof password === 'string' ? password : '';
    let ok = false;
    if (row && isAcceptablePassword(password)) ok = await verifyPassword(row.password_hash, pw);
    else await verifyDummyPassword(pw.slice(0, 1024));
    if (!row || !ok) {
      // The email as typed only when it is one (a password pasted into it must not be logged).
      await this.#audit?.append({
        action: 'auth.login', outcome: 'failure', request: requestOf(ctx),
        actor: { accountId: row?.id ?? null, role: row?.role ?? null },
        details: normalized === null ? { emailMalformed: true } : { email: normalized, known: row !== undefined },
      });
      throw new StrongboxError('ERR_INVALID_CREDENTIALS');
    }

    const k = this.#db.kysely;
    const now = this.#now();
    if (needsRehash(row.password_hash)) {
      const upgraded = await hashPassword(pw);
      await k.updateTable('_sb_accounts').set({ password_hash: upgraded, updated: now.toISOString() })
        .where('id', '=', row.id).execute();
    }
    const token = generateSessionToken();
    const iso = now.toISOString();
    await this.#run('sessions.expire', () => k.deleteFrom('_sb_sessions')
      .where('account_id', '=', slot(0)).where('expires', '<=', slot(1)), [row.id, iso]);
    await this.#run('sessions.insert', () => k.insertInto('_sb_sessions').values({
      token_hash: slot(0), account_id: slot(1), created: slot(2), expires: slot(3), last_seen: slot(2),
    }), [hashSessionToken(token), row.id, iso, new Date(now.getTime() + this.#ttlMs).toISOString()]);
    // Fail-closed: without its event the token is never handed out.
    await this.#audit?.append({
      action: 'auth.login', outcome: 'success', request: requestOf(ctx),
      actor: { accountId: row.id, role: row.role, tokenId: sessionIdOf(token) },
    });
    return { token, account: { id: row.id, email: row.email, role: row.role } };
  }

  /** Deletes the session, so the token stops working at once. Unknown tokens are a no-op. */
  async logout(token: unknown, ctx?: RequestContext): Promise<void> {
    if (!isWellFormedSessionToken(token)) return;
    const k = this.#db.kysely;
    const gone = await k.deleteFrom('_sb_sessions').where('token_hash', '=', hashSessionToken(token))
      .returning('account_id').executeTakeFirst();
    if (gone) {
      await this.#audit?.append({
        action: 'auth.logout', outcome: 'success', request: requestOf(ctx),
        actor: { accountId: String(gone.account_id), tokenId: sessionIdOf(token) },
      });
    }
  }

  /** The caller behind a session token, or null (unknown, malformed, expired; expired rows are deleted). */
  async authenticate(token: unknown): Promise<Caller | null> {
    if (!isWellFormedSessionToken(token)) return null;
    const k = this.#db.kysely;
    const tokenHash = hashSessionToken(token);
    const { rows: [row] } = await this.#queries.execute(this.#db, 'session', () => ({
      query: k.selectFrom('_sb_sessions as s')
        .innerJoin('_sb_accounts as a', 'a.id', 's.account_id')
        .select(['s.expires', 's.last_seen', 'a.id', 'a.email', 'a.role'])
        .where('s.token_hash', '=', slot(0)),
      meta: null,
    }), [tokenHash]);
    if (!row) return null;
    // Session times are stored as toISOString() text (both dialects), so text order is time order.
    const now = this.#now().toISOString();
    if (String(row.expires) <= now) {
      await this.#run('sessions.delete', () => k.deleteFrom('_sb_sessions').where('token_hash', '=', slot(0)), [tokenHash]);
      return null;
    }
    if (String(row.last_seen).slice(0, LAST_SEEN_RESOLUTION) !== now.slice(0, LAST_SEEN_RESOLUTION)) {
      await this.#run('sessions.seen', () => k.updateTable('_sb_sessions').set({ last_seen: slot(0) })
        .where('token_hash', '=', slot(1)), [now, tokenHash]);
    }
    return Object.freeze({ id: String(row.id), email: String(row.email), role: String(row.role) });
  }

  /** The signed-in caller's account; ERR_UNAUTHENTICATED for anonymous or deleted accounts. */
  async me(caller: Caller): Promise<PublicAccount> {
    if (caller.id === null) throw new StrongboxError('ERR_UNAUTHENTICATED');
    const row = await this.#db.kysely.selectFrom('_sb_accounts')
      .select(['id', 'email', 'role']).where('id', '=', caller.id).executeTakeFirst();
    if (!row) throw new StrongboxError('ERR_UNAUTHENTICATED');
    return { id: String(row.id), email: String(row.email), role: String(row.role) };
  }

  async #findByEmail(email: string): Promise<{ id: string; email: string; role: string; password_hash: string } | undefined> {
    const k = this.#db.kysely;
    const { rows: [row] } = await this.#queries.execute(this.#db, 'accounts.byEmail', () => ({
      query: k.selectFrom('_sb_accounts').select(['id', 'email', 'role', 'password_hash']).where('email', '=', slot(0)),
      meta: null,
    }), [email]);
    return row as { id: string; email: string; role: string; password_hash: string } | undefined;
  }

  /** A statement compiled once and then only re-bound: login and session checks run on every sign-in. */
  async #run(key: string, build: () => Compilable<unknown>, values: readonly unknown[]): Promise<void> {
    await this.#queries.execute(this.#db, key, () => ({ query: build(), meta: null }), values);
  }
}

function requestOf(ctx: RequestContext | undefined): AuditInput['request'] {
  return ctx === undefined ? undefined : { ip: ctx.ip, id: ctx.id };
}

/** A session's id in the audit trail: a prefix of its token's SHA-256, which names it but cannot be used. */
export function sessionIdOf(token: string): string {
  return `s-${hashSessionToken(token).slice(0, 16)}`;
}

function conflict(): StrongboxError {
  return new StrongboxError('ERR_CONFLICT', 'An account with this email already exists.', { fields: { email: 'already registered' } });
}
