import type { Compilable } from 'kysely';
import type { Database } from '../../db/database.ts';
import { CompiledQueryCache, slot } from '../../db/compiled-query-cache.ts';
import { randomId } from '../../crypto/random-id.ts';
import { generateSessionToken, hashSessionToken, isWellFormedSessionToken } from '../../crypto/session-token.ts';
import { LruMap } from '../../util/lru-map.ts';
import { CACHE_BUDGET, stringBytes } from '../../util/cache-budget.ts';
import { activeGuardScope, type StatementGuard } from '../../db/statement-guard.ts';
import { cachedSessionGuard } from './session-guard.ts';

export interface SessionLimits {
  readonly absoluteMs: number; // a session ends this long after it began, used or not
  readonly idleMs: number; // … or this long after it was last used
  readonly maxPerAccount: number; // the oldest ends first
}

export interface NewSession {
  /** The only time the raw token exists on the server; it is stored as SHA-256 only. */
  readonly token: string;
  readonly id: string;
  readonly tokenHash: string;
}

export interface SessionRow {
  readonly accountId: string;
  readonly id: string;
  readonly tokenHash: string;
  readonly email: string;
  readonly role: string;
  readonly mfaPending: boolean;
}

export interface SessionInfo {
  readonly id: string;
  readonly created: string;
  readonly lastSeen: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly current: boolean;
}

// Writing last_seen on every request would make every read a write: it is written when the
// minute changes, comparing the first 16 characters of the ISO text (`YYYY-MM-DDTHH:MM`).
// The idle timeout is therefore exact to one minute.
const LAST_SEEN_RESOLUTION = 16;
const USER_AGENT_MAX = 256; // characters kept for the session list

/** A session row as read, under the change stamp it was read at, and the session it describes. */
interface SeenSession {
  readonly stamp: number;
  readonly row: Record<string, unknown>;
  readonly session: SessionRow;
}

function sessionOf(row: Record<string, unknown>, tokenHash: string): SessionRow {
  return Object.freeze({
    accountId: String(row.id), id: String(row.sid ?? ''), tokenHash, email: String(row.email), role: String(row.role),
    mfaPending: row.mfa === 'pending',
  });
}

/** Server-side sessions (_sb_sessions): lifetimes enforced here, on every lookup. */
export class SessionStore {
  readonly #db: Database;
  readonly #limits: SessionLimits;
  readonly #now: () => Date;
  readonly #queries = new CompiledQueryCache(16);
  /**
   * Sessions read while the database kept one change stamp (SQLite): any write of this process
   * and any commit of another (a revocation from the CLI) moves the stamp, so nothing stale is
   * ever used. Known tokens only; bounded by entries and bytes.
   */
  readonly #seen: LruMap<string, SeenSession>;

  constructor(db: Database, limits: SessionLimits, now: () => Date, cacheBytes: number = CACHE_BUDGET.sessions) {
    this.#seen = new LruMap<string, SeenSession>(4096, {
      maxBytes: cacheBytes, sizeOf: (key, v) => stringBytes(key) + 160 + Object.values(v.row).reduce<number>((n, x) => n + (typeof x === 'string' ? stringBytes(x) : 16), 0),
    });
    this.#db = db;
    this.#limits = limits;
    this.#now = now;
  }

  async create(accountId: string, client: { ip?: string | null; userAgent?: string | null }, mfaPending = false): Promise<NewSession> {
    const k = this.#db.kysely;
    const now = this.#now();
    const iso = now.toISOString();
    await this.#endStale(accountId, now);
    const token = generateSessionToken();
    const tokenHash = hashSessionToken(token);
    const id = randomId();
    await this.#run('sessions.insert', () => k.insertInto('_sb_sessions').values({
      token_hash: slot(0), account_id: slot(1), created: slot(2), expires: slot(3), last_seen: slot(2),
      id: slot(4), ip: slot(5), user_agent: slot(6), mfa: slot(7),
    }), [tokenHash, accountId, iso, new Date(now.getTime() + this.#limits.absoluteMs).toISOString(), id,
      client.ip ?? null, client.userAgent == null ? null : client.userAgent.slice(0, USER_AGENT_MAX), mfaPending ? 'pending' : null]);
    // At most maxPerAccount live sessions: the oldest beyond it end now.
    const rows = await k.selectFrom('_sb_sessions').select(['token_hash']).where('account_id', '=', accountId)
      .orderBy('created', 'desc').orderBy('token_hash').offset(this.#limits.maxPerAccount).limit(1000).execute();
    if (rows.length > 0) {
      await k.deleteFrom('_sb_sessions').where('token_hash', 'in', rows.map((r) => String(r.token_hash))).execute();
    }
    return { token, id, tokenHash };
  }

  /**
   * The live session behind a token, or null (unknown, malformed, expired, idle: ended ones are
   * deleted). Synchronous when the session was seen under the current change stamp and needs no
   * write (a promise only when it must read or write the database).
   */
  lookup(token: unknown, connection?: object): SessionRow | null | Promise<SessionRow | null> {
    if (!isWellFormedSessionToken(token)) return null;
    const tokenHash = this.#hashOf(token, connection);
    // A session seen under the database's current change stamp is the row the query would return.
    const stamp = this.#db.changeStamp?.();
    if (stamp === undefined) return this.#vouched(tokenHash) ?? this.#load(tokenHash, undefined);
    const seen = this.#seen.get(tokenHash);
    if (seen !== undefined && seen.stamp === stamp) return this.#live(seen, tokenHash);
    return this.#load(tokenHash, stamp);
  }

  /**
   * PostgreSQL (no change stamp; another instance may end a session at any time): a session this
   * instance has seen is used at once, on the condition that the request's first statement re-reads
   * it in the same round trip and finds it unchanged (a guard, db/statement-guard.ts); otherwise the
   * request fails with ERR_UNAUTHENTICATED before any of its statements takes effect or its answer
   * goes out. So a logout, revocation, disable or role change on any instance is effective for the
   * very next request every instance serves, and a request costs no round trip for its session.
   * Only inside a request scope (src/http/session-guard-hooks.ts); elsewhere the session is read first.
   */
  #vouched(tokenHash: string): SessionRow | null | Promise<SessionRow | null> | undefined {
    const scope = activeGuardScope();
    if (scope === undefined) return undefined;
    const seen = this.#seen.get(tokenHash);
    // one that looks ended is read again: another instance may have used it since (last_seen)
    if (seen === undefined || !this.#looksLive(seen.row)) return undefined;
    if (!scope.set(this.#guard(tokenHash, seen))) return undefined;
    return this.#live(seen, tokenHash);
  }

  #looksLive(row: Record<string, unknown>): boolean {
    const { iso, idleLimit } = this.#times(this.#now());
    return String(row.expires) > iso && String(row.last_seen) > idleLimit && Number(row.disabled) === 0;
  }

  /** The re-read that vouches for a cached session: the lookup's own statement (session-guard.ts). */
  #guard(tokenHash: string, seen: SeenSession): StatementGuard {
    this.#sessionSql ??= this.#sessionQuery().compile().sql;
    return cachedSessionGuard(tokenHash, seen.row, {
      sql: this.#sessionSql,
      looksLive: (row) => this.#looksLive(row),
      forget: () => this.#seen.delete(tokenHash),
      refresh: (times) => this.#seen.set(tokenHash, { ...seen, row: { ...seen.row, ...times } }),
      runAlone: async () => (await this.#queries.execute(this.#db, 'session', () => ({ query: this.#sessionQuery(), meta: null }), [tokenHash])).rows as Record<string, unknown>[],
    });
  }

  #sessionSql: string | undefined;

  #sessionQuery() {
    return this.#db.kysely.selectFrom('_sb_sessions as s')
      .innerJoin('_sb_accounts as a', 'a.id', 's.account_id')
      .select(['s.expires', 's.last_seen', 's.id as sid', 's.mfa', 'a.id', 'a.email', 'a.role', 'a.disabled'])
      .where('s.token_hash', '=', slot(0));
  }

  /**
   * A keep-alive connection usually sends the same token on every request: its hash is kept with
   * the connection (until it closes or sends another token) instead of computed again each time.
   */
  #hashOf(token: string, connection: object | undefined): string {
    if (connection === undefined) return hashSessionToken(token);
    const last = this.#connections.get(connection);
    if (last !== undefined && last.token === token) return last.hash;
    const hash = hashSessionToken(token);
    this.#connections.set(connection, { token, hash });
    return hash;
  }

  readonly #connections = new WeakMap<object, { readonly token: string; readonly hash: string }>();

  async #load(tokenHash: string, stamp: number | undefined): Promise<SessionRow | null> {
    const { rows: [row] } = await this.#queries.execute(this.#db, 'session', () => ({ query: this.#sessionQuery(), meta: null }), [tokenHash]);
    if (!row) {
      this.#seen.delete(tokenHash);
      return null;
    }
    const entry: SeenSession = { stamp: stamp ?? -1, row, session: sessionOf(row, tokenHash) };
    // without a stamp (PostgreSQL) the entry is only ever used under a guard (#vouched)
    this.#seen.set(tokenHash, entry);
    return this.#live(entry, tokenHash);
  }

  /** The session if its row is still live now; ends it (deleted) or notes its use (last_seen) when due. */
  #live(entry: SeenSession, tokenHash: string): SessionRow | null | Promise<SessionRow | null> {
    const { row } = entry;
    const { iso, idleLimit } = this.#times(this.#now());
    // Session times are stored as toISOString() text (both dialects), so text order is time order.
    if (String(row.expires) <= iso || String(row.last_seen) <= idleLimit || Number(row.disabled) !== 0) {
      this.#seen.delete(tokenHash);
      return this.#run('sessions.delete', () => this.#db.kysely.deleteFrom('_sb_sessions').where('token_hash', '=', slot(0)), [tokenHash])
        .then(() => null);
    }
    if (String(row.last_seen).slice(0, LAST_SEEN_RESOLUTION) !== iso.slice(0, LAST_SEEN_RESOLUTION)) {
      return this.#run('sessions.seen', () => this.#db.kysely.updateTable('_sb_sessions').set({ last_seen: slot(0) })
        .where('token_hash', '=', slot(1)), [iso, tokenHash]).then(() => {
        // without a change stamp (PostgreSQL) the entry is what is cached: note the use in it too
        if (entry.stamp === -1 && this.#seen.get(tokenHash) === entry) this.#seen.set(tokenHash, { ...entry, row: { ...row, last_seen: iso } });
        return entry.session;
      });
    }
    return entry.session;
  }

  /** Now and the idle limit as stored text; formatted once per millisecond, not once per request. */
  #times(now: Date): { iso: string; idleLimit: string } {
    const ms = now.getTime();
    const last = this.#lastTimes;
    if (last.ms === ms) return last;
    this.#lastTimes = { ms, iso: now.toISOString(), idleLimit: new Date(ms - this.#limits.idleMs).toISOString() };
    return this.#lastTimes;
  }

  #lastTimes = { ms: Number.NaN, iso: '', idleLimit: '' };

  /**
   * A privilege change (MFA completed, password changed, role changed) gets a new token for the
   * same session: the old token stops working at once, the session keeps its id and start.
   */
  async rotate(tokenHash: string, opts: { mfaDone?: boolean } = {}): Promise<NewSession | null> {
    const token = generateSessionToken();
    const next = hashSessionToken(token);
    const set: Record<string, unknown> = { token_hash: next };
    if (opts.mfaDone) set.mfa = null;
    const k = this.#db.kysely;
    const r = await k.updateTable('_sb_sessions').set(set).where('token_hash', '=', tokenHash).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return null;
    const row = await k.selectFrom('_sb_sessions').select('id').where('token_hash', '=', next).executeTakeFirst();
    return { token, id: String(row?.id ?? ''), tokenHash: next };
  }

  async delete(tokenHash: string): Promise<void> {
    const k = this.#db.kysely;
    this.#seen.delete(tokenHash);
    await this.#run('sessions.delete', () => k.deleteFrom('_sb_sessions').where('token_hash', '=', slot(0)), [tokenHash]);
  }

  /** The account whose session ended, or null when there was none. */
  async deleteByToken(token: unknown): Promise<string | null> {
    if (!isWellFormedSessionToken(token)) return null;
    const gone = await this.#db.kysely.deleteFrom('_sb_sessions').where('token_hash', '=', hashSessionToken(token))
      .returning('account_id').executeTakeFirst();
    return gone ? String(gone.account_id) : null;
  }

  async list(accountId: string, currentHash: string | null): Promise<SessionInfo[]> {
    await this.#endStale(accountId, this.#now());
    const rows = await this.#db.kysely.selectFrom('_sb_sessions')
      .select(['id', 'token_hash', 'created', 'last_seen', 'ip', 'user_agent'])
      .where('account_id', '=', accountId).where('mfa', 'is', null).orderBy('created', 'desc').execute();
    return rows.map((r) => ({
      id: String(r.id ?? ''), created: String(r.created), lastSeen: String(r.last_seen),
      ip: r.ip == null ? null : String(r.ip), userAgent: r.user_agent == null ? null : String(r.user_agent),
      current: r.token_hash === currentHash,
    }));
  }

  /** Ends one session of the account; false when it has no such session. */
  async revoke(accountId: string, id: string): Promise<boolean> {
    const r = await this.#db.kysely.deleteFrom('_sb_sessions').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Ends every session of the account except `keepHash` (null: all of them). */
  async revokeOthers(accountId: string, keepHash: string | null): Promise<number> {
    let q = this.#db.kysely.deleteFrom('_sb_sessions').where('account_id', '=', accountId);
    if (keepHash !== null) q = q.where('token_hash', '!=', keepHash);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async #endStale(accountId: string, now: Date): Promise<void> {
    const k = this.#db.kysely;
    const idleLimit = new Date(now.getTime() - this.#limits.idleMs).toISOString();
    await this.#run('sessions.expire', () => k.deleteFrom('_sb_sessions').where('account_id', '=', slot(0))
      .where((eb) => eb.or([eb('expires', '<=', slot(1)), eb('last_seen', '<=', slot(2))])), [accountId, now.toISOString(), idleLimit]);
  }

  async #run(key: string, build: () => Compilable<unknown>, values: readonly unknown[]): Promise<void> {
    await this.#queries.execute(this.#db, key, () => ({ query: build(), meta: null }), values);
  }
}
