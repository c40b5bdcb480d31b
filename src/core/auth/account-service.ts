import type { Compilable } from 'kysely';
import type { Database } from '../../db/database.ts';
import { CompiledQueryCache, slot } from '../../db/compiled-query-cache.ts';
import type { Caller } from '../caller.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { randomId } from '../../crypto/random-id.ts';
import { randomHex } from '../../crypto/random-hex.ts';
import type { PasswordHasher } from '../../crypto/password-hasher.ts';
import type { AuthKeys, MacKey } from '../../crypto/auth-key-types.ts';
import { issueDeviceCookie, verifyDeviceCookie } from '../../crypto/device-cookie.ts';
import { hashSessionToken } from '../../crypto/session-token.ts';
import { cacheShares } from '../../util/cache-budget.ts';
import { csrfTokenFor, verifyCsrfToken } from '../../crypto/csrf-token.ts';
import { validateNewAccount, normalizeEmail, EMAIL_MAX_LENGTH } from './account-input.ts';
import { checkNewPassword, normalizePassword, type PasswordPolicyOptions } from './password-policy.ts';
import { SessionStore, type SessionInfo, type SessionRow } from './session-store.ts';
import type { LoginThrottle } from './throttle/login-throttle.ts';
import type { RegistrationThrottle } from './throttle/registration-throttle.ts';
import { NO_AUTH_EVENTS, type AuthEvent, type AuthEventSink } from './auth-events.ts';
import { ApiTokens, isApiTokenShape } from './api-tokens.ts';
import { AccountAdmin } from './account-admin.ts';
import { PasswordService } from './password-service.ts';
import { MfaService } from './mfa-service.ts';

/** What an account looks like outside this service: never the password hash. */
export interface PublicAccount {
  readonly id: string;
  readonly email: string;
  readonly role: string;
}

/** Where a request comes from, as far as sign-in cares. */
export interface ClientInfo {
  readonly ip?: string | null;
  readonly userAgent?: string | null;
  /** the device cookie the client sent, if any (checked, never trusted as is) */
  readonly deviceCookie?: string | null;
  /** the HTTP request id, for the audit trail */
  readonly requestId?: string | null;
}

export interface LoginResult {
  /** The only time the raw token exists on the server; it is stored as SHA-256 only. */
  readonly token: string;
  readonly account: PublicAccount;
  readonly csrfToken: string;
  /** a new device cookie to set (the client's was missing or for another email) */
  readonly deviceCookie: string | null;
  /** true: the session may only complete the second factor (POST /api/auth/mfa/verify) */
  readonly mfaRequired: boolean;
}

/** An authenticated request: the caller plus how it authenticated. */
export interface AuthContext {
  readonly caller: Caller;
  /** client-cert: a pinned mTLS client certificate (src/http/edge/client-cert.ts) */
  readonly kind: 'session' | 'api-token' | 'client-cert';
  /** the session's stored token hash (CSRF binding, "current" in the session list) */
  readonly sessionHash: string | null;
  /** a session still owing its second factor: only the MFA routes accept it */
  readonly mfaPending: boolean;
  /** API tokens only: `collection:action` pairs it may use */
  readonly scopes: ReadonlySet<string> | null;
  readonly tokenId: string | null;
}

export interface AccountServiceOptions {
  readonly db: Database;
  readonly hasher: PasswordHasher;
  readonly throttle: LoginThrottle;
  /** the per-address bound on POST /api/auth/register (auth.registerPerIp) */
  readonly registration: RegistrationThrottle;
  readonly keys: AuthKeys;
  readonly sessionTtlSeconds: number; // absolute
  readonly sessionIdleSeconds: number;
  readonly maxSessions: number;
  readonly password: PasswordPolicyOptions;
  /** decides whether a signed-in account still owes a second factor (MFA service) */
  readonly needsMfa?: (account: { id: string; role: string }) => Promise<boolean>;
  readonly events?: AuthEventSink;
  /** roles whose sign-ins need a second factor */
  readonly mfaRequiredRoles?: Iterable<string>;
  /** collection names API tokens may be scoped to */
  readonly collections?: Iterable<string>;
  /** Clock, for tests. */
  readonly now?: () => Date;
  /** limits.cacheMemory: the session cache takes its share of it (util/cache-budget.ts) */
  readonly cacheBytes?: number;
}

interface AccountRow { id: string; email: string; role: string; password_hash: string; disabled: unknown }

/** Accounts (_sb_accounts): registration, sign-in and the caller behind a token. */
export class AccountService {
  readonly #db: Database;
  readonly #hasher: PasswordHasher;
  readonly #throttle: LoginThrottle;
  readonly #registration: RegistrationThrottle;
  readonly #keys: AuthKeys;
  readonly #policy: PasswordPolicyOptions;
  readonly #needsMfa: (account: { id: string; role: string }) => Promise<boolean>;
  readonly #events: AuthEventSink;
  readonly #now: () => Date;
  readonly sessions: SessionStore;
  readonly tokens: ApiTokens;
  readonly admin: AccountAdmin;
  readonly passwords: PasswordService;
  readonly mfa: MfaService;
  readonly #queries = new CompiledQueryCache(16);

  constructor(opts: AccountServiceOptions) {
    for (const n of [opts.sessionTtlSeconds, opts.sessionIdleSeconds, opts.maxSessions]) {
      if (!Number.isInteger(n) || n <= 0) throw new StrongboxError('ERR_CONFIG', 'Session limits must be positive whole numbers.');
    }
    this.#db = opts.db;
    this.#hasher = opts.hasher;
    this.#throttle = opts.throttle;
    this.#registration = opts.registration;
    this.#keys = opts.keys;
    this.#policy = opts.password;
    this.mfa = new MfaService(opts.db, () => opts.keys.sealer('totp'), opts.throttle, { requiredRoles: new Set(opts.mfaRequiredRoles ?? []) }, opts.now ?? (() => new Date()));
    this.#needsMfa = opts.needsMfa ?? ((a) => this.mfa.needed(a));
    this.#events = opts.events ?? NO_AUTH_EVENTS;
    this.#now = opts.now ?? (() => new Date());
    this.sessions = new SessionStore(opts.db, {
      absoluteMs: opts.sessionTtlSeconds * 1000, idleMs: opts.sessionIdleSeconds * 1000, maxPerAccount: opts.maxSessions,
    }, this.#now, cacheShares(opts.cacheBytes).sessions);
    this.tokens = new ApiTokens(opts.db, opts.collections ?? [], this.#now);
    this.admin = new AccountAdmin(opts.db, this, this.#now);
    this.passwords = new PasswordService(opts.db, this, opts.password.maxBytes, this.#now);
  }

  get hasher(): PasswordHasher {
    return this.#hasher;
  }

  get throttle(): LoginThrottle {
    return this.#throttle;
  }

  /** The one call site per event type (see auth-events.ts). */
  audit(event: AuthEvent): Promise<void> {
    return this.#events.emit(event);
  }

  /**
   * POST /api/auth/register. A taken email answers exactly as a fresh registration would (same
   * status, same shape, same argon2 work) and creates nothing: registration cannot be used to
   * learn who has an account. The HTTP route never passes `role`. Each valid request counts
   * against its address's registration bound before the email is looked up, so that bound
   * treats a taken email and a fresh one alike; refused input (policy, shape) costs no slot.
   */
  async register(email: unknown, password: unknown, client: ClientInfo = {}): Promise<PublicAccount> {
    const normalized = validateNewAccount(email, password, 'user');
    const pw = checkNewPassword(password, normalized, this.#policy);
    try {
      await this.#registration.count(client.ip ?? 'unknown');
    } catch (err) {
      if (err instanceof StrongboxError && err.code === 'ERR_THROTTLED') {
        await this.audit({ type: 'auth.register.throttled', accountId: null, ip: client.ip, requestId: client.requestId, detail: { route: 'register' } });
      }
      throw err;
    }
    const hash = await this.#hasher.hash(pw);
    const existing = await this.#findByEmail(normalized);
    const id = randomId();
    if (existing === undefined) {
      const inserted = await this.#insert(id, normalized, hash, 'user');
      if (inserted) await this.audit({ type: 'auth.account.registered', accountId: id, ip: client.ip, requestId: client.requestId, detail: { role: 'user', email: normalized } });
    } else {
      // A write that changes nothing but costs what the INSERT costs (a committed row write):
      // without it a taken email answered ~12 ms faster on SQLite.
      await this.#db.kysely.updateTable('_sb_accounts').set((eb) => ({ updated: eb.ref('updated') }))
        .where('id', '=', existing.id).execute();
      // Audited like a fresh one is (admins see it; the client does not), which also keeps the work equal.
      await this.audit({ type: 'auth.account.register_taken', accountId: existing.id, ip: client.ip, requestId: client.requestId });
    }
    return { id, email: normalized, role: 'user' };
  }

  /** `strongbox admin create` (an operator, who may be told the email is taken). */
  async createAdmin(email: string, password: string): Promise<PublicAccount> {
    const { normalized, hash } = await this.#prepare(email, password, 'admin');
    const id = randomId();
    if (await this.#findByEmail(normalized) || !(await this.#insert(id, normalized, hash, 'admin'))) {
      throw new StrongboxError('ERR_CONFLICT', 'An account with this email already exists.', { fields: { email: 'already registered' } });
    }
    await this.audit({ type: 'auth.account.registered', accountId: id, detail: { role: 'admin' } });
    return { id, email: normalized, role: 'admin' };
  }

  /**
   * `strongbox admin create-service`: an account for a pinned client certificate (docs/edge.md).
   * Its password is 32 random bytes that are hashed and never shown, so nobody can sign in with
   * one; never an admin (a stolen client certificate must not bypass every rule).
   */
  async createService(email: string, role: string): Promise<PublicAccount> {
    if (role === 'admin') throw new StrongboxError('ERR_VALIDATION', 'A service account cannot be an admin.', { fields: { role: 'must not be admin' } });
    const { normalized, hash } = await this.#prepare(email, randomHex(32), role);
    const id = randomId();
    if (await this.#findByEmail(normalized) || !(await this.#insert(id, normalized, hash, role))) {
      throw new StrongboxError('ERR_CONFLICT', 'An account with this email already exists.', { fields: { email: 'already registered' } });
    }
    await this.audit({ type: 'auth.account.registered', accountId: id, detail: { role, service: true } });
    return { id, email: normalized, role };
  }

  /** A new password for `email` checked against the policy; NFKC form returned. */
  checkNewPassword(password: unknown, email: string): string {
    return checkNewPassword(password, email, this.#policy);
  }

  /**
   * Wrong password, unknown account, disabled account and malformed email all give the same
   * error after the same argon2 work and the same throttle bookkeeping (keyed by the email as
   * typed, known or not), so nothing tells them apart. Every login creates a new session.
   */
  async login(email: unknown, password: unknown, client: ClientInfo = {}): Promise<LoginResult> {
    // Shape errors depend on the input only, never on the account: safe to report as such.
    const pw = normalizePassword(password, this.#policy.maxBytes);
    const normalized = normalizeEmail(email);
    const key = normalized ?? (typeof email === 'string' ? email.slice(0, EMAIL_MAX_LENGTH).toLowerCase() : '');
    const device = verifyDeviceCookie((v) => this.#mac('device-cookie', v), client.deviceCookie, key);
    const ip = client.ip ?? 'unknown';
    const requestId = client.requestId ?? null;
    let attempt;
    try {
      attempt = await this.#throttle.begin({ email: key, ip, device });
    } catch (err) {
      if (!(err instanceof StrongboxError) || err.code !== 'ERR_THROTTLED') throw err;
      await this.audit({ type: 'auth.login.throttled', accountId: null, ip, requestId, detail: { trustedDevice: device !== null } });
      throw err;
    }
    const row = normalized === null ? undefined : await this.#findByEmail(normalized);
    const check = row ? await this.#hasher.verify(row.password_hash, pw) : { ok: await this.#hasher.dummyVerify(pw), rehash: false };
    if (!row || !check.ok || Number(row.disabled) !== 0) {
      await this.#throttle.failed(attempt);
      // The email as typed only when it is one (a password pasted into it must not be logged).
      await this.audit({ type: 'auth.login.failed', accountId: row?.id ?? null, ip, requestId, detail: normalized === null ? { emailMalformed: true } : { email: normalized } });
      throw new StrongboxError('ERR_INVALID_CREDENTIALS');
    }
    await this.#throttle.succeeded(attempt);
    if (check.rehash) {
      // Old pepper or weaker parameters: upgraded now, while the plaintext is at hand.
      await this.#db.kysely.updateTable('_sb_accounts')
        .set({ password_hash: await this.#hasher.hash(pw), updated: this.#now().toISOString() })
        .where('id', '=', row.id).execute();
    }
    const mfaRequired = await this.#needsMfa({ id: row.id, role: row.role });
    const session = await this.sessions.create(row.id, client, mfaRequired);
    // Fail-closed: without its event the token is never handed out.
    await this.audit({ type: 'auth.login.succeeded', accountId: row.id, ip, requestId, role: row.role, tokenId: sessionIdOf(session.token), detail: { mfaPending: mfaRequired, trustedDevice: device !== null } });
    return {
      token: session.token,
      account: { id: row.id, email: row.email, role: row.role },
      csrfToken: this.csrfToken(session.tokenHash),
      deviceCookie: device === null ? issueDeviceCookie(this.#mac('device-cookie')!, key) : null,
      mfaRequired,
    };
  }

  /** Deletes the session, so the token stops working at once. Unknown tokens are a no-op. */
  async logout(token: unknown, client: ClientInfo = {}): Promise<void> {
    if (isApiTokenShape(token)) return; // an API token is revoked by id, never by logout
    const accountId = await this.sessions.deleteByToken(token);
    if (accountId !== null) {
      await this.audit({ type: 'auth.logout', accountId, ip: client.ip, requestId: client.requestId, tokenId: sessionIdOf(String(token)) });
    }
  }

  /**
   * The request's authentication, or null (unknown, malformed, expired, idle, disabled).
   * Synchronous for a session the store has just seen (the common case), else a promise.
   * `connection` (the client's socket) lets a keep-alive client's repeated token be hashed once.
   */
  authenticate(token: unknown, connection?: object): AuthContext | null | Promise<AuthContext | null> {
    if (isApiTokenShape(token)) return this.#apiTokenContext(token);
    const s = this.sessions.lookup(token, connection);
    return s instanceof Promise ? s.then(sessionContext) : sessionContext(s);
  }

  async #apiTokenContext(token: string): Promise<AuthContext | null> {
    const t = await this.tokens.lookup(token);
    if (t === null) return null;
    const caller = Object.freeze({ id: t.accountId, email: t.email, role: t.role });
    return { caller, kind: 'api-token', sessionHash: null, mfaPending: false, scopes: t.scopes, tokenId: t.tokenId };
  }

  csrfToken(sessionHash: string): string {
    return csrfTokenFor(this.#mac('csrf')!, sessionHash);
  }

  verifyCsrf(sessionHash: string, token: unknown): boolean {
    return verifyCsrfToken((v) => this.#mac('csrf', v), token, sessionHash);
  }

  async listSessions(ctx: AuthContext): Promise<SessionInfo[]> {
    return this.sessions.list(requireAccount(ctx), ctx.sessionHash);
  }

  /** The signed-in caller's account; ERR_UNAUTHENTICATED for anonymous or deleted accounts. */
  async me(caller: Caller): Promise<PublicAccount> {
    if (caller.id === null) throw new StrongboxError('ERR_UNAUTHENTICATED');
    const row = await this.#db.kysely.selectFrom('_sb_accounts')
      .select(['id', 'email', 'role']).where('id', '=', caller.id).executeTakeFirst();
    if (!row) throw new StrongboxError('ERR_UNAUTHENTICATED');
    return { id: String(row.id), email: String(row.email), role: String(row.role) };
  }

  async findByEmail(email: string): Promise<AccountRow | undefined> {
    const normalized = normalizeEmail(email);
    return normalized === null ? undefined : this.#findByEmail(normalized);
  }

  #mac(purpose: 'csrf' | 'device-cookie', version?: number): MacKey | undefined {
    try {
      return this.#keys.mac(purpose, version);
    } catch {
      return undefined; // an unknown key version: the token is refused like a forged one
    }
  }

  async #prepare(email: unknown, password: unknown, role: string): Promise<{ normalized: string; hash: string }> {
    const normalized = validateNewAccount(email, password, role);
    const pw = checkNewPassword(password, normalized, this.#policy);
    return { normalized, hash: await this.#hasher.hash(pw) };
  }

  /** False when the email was taken meanwhile (the unique index said no). */
  async #insert(id: string, email: string, passwordHash: string, role: string): Promise<boolean> {
    const now = this.#now().toISOString();
    try {
      await this.#db.kysely.insertInto('_sb_accounts')
        .values({ id, email, password_hash: passwordHash, role, created: now, updated: now, disabled: 0 }).execute();
      return true;
    } catch (err) {
      if (await this.#findByEmail(email)) return false;
      throw err;
    }
  }

  async #findByEmail(email: string): Promise<AccountRow | undefined> {
    const k = this.#db.kysely;
    const { rows: [row] } = await this.#queries.execute(this.#db, 'accounts.byEmail', () => ({
      query: k.selectFrom('_sb_accounts').select(['id', 'email', 'role', 'password_hash', 'disabled']).where('email', '=', slot(0)),
      meta: null,
    }), [email]);
    return row as AccountRow | undefined;
  }

  /** A statement compiled once and then only re-bound. */
  async run(key: string, build: () => Compilable<unknown>, values: readonly unknown[]): Promise<void> {
    await this.#queries.execute(this.#db, key, () => ({ query: build(), meta: null }), values);
  }
}

/** A session's id in the audit trail: a prefix of its token's SHA-256, which names it but cannot be used. */
export function sessionIdOf(token: string): string {
  return sessionIdOfHash(hashSessionToken(token));
}

/** sessionIdOf from the token's stored hash. */
export function sessionIdOfHash(tokenHash: string): string {
  return `s-${tokenHash.slice(0, 16)}`;
}

/** One context per session row the store hands out (it hands out the same row while it is fresh). */
const sessionContexts = new WeakMap<SessionRow, AuthContext>();

function sessionContext(s: SessionRow | null): AuthContext | null {
  if (s === null) return null;
  let ctx = sessionContexts.get(s);
  if (ctx === undefined) {
    const caller = Object.freeze({ id: s.accountId, email: s.email, role: s.role });
    ctx = Object.freeze({ caller, kind: 'session', sessionHash: s.tokenHash, mfaPending: s.mfaPending, scopes: null, tokenId: null });
    sessionContexts.set(s, ctx);
  }
  return ctx;
}

/** The account id of a full (not MFA-pending) session; API tokens may not manage the account. */
export function requireAccount(ctx: AuthContext | null): string {
  if (ctx === null || ctx.mfaPending || ctx.caller.id === null) throw new StrongboxError('ERR_UNAUTHENTICATED');
  if (ctx.kind !== 'session') throw new StrongboxError('ERR_FORBIDDEN', 'API tokens and client certificates cannot manage the account.');
  return ctx.caller.id;
}
