import type { Database } from '../../db/database.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { randomId } from '../../crypto/random-id.ts';
import { generateSessionToken, hashSessionToken } from '../../crypto/session-token.ts';
import type { RuleName } from '../../config/schema.ts';

/** `sbt_<id>_<secret>`: the id names the token in lists, the 256-bit secret is what is checked. */
const TOKEN = /^sbt_([A-Za-z0-9_-]{20})_([A-Za-z0-9_-]{43})$/;
export const API_TOKEN_ACTIONS: readonly RuleName[] = ['list', 'view', 'create', 'update', 'delete'];
export const API_TOKEN_LIMITS = Object.freeze({
  perAccount: 50, // live tokens per account
  nameMax: 64, // characters
  scopesMax: 200, // collection × action pairs
  maxLifetimeDays: 366, // an expiry may be at most this far ahead
});
const NAME = /^[\p{L}\p{N} ._:/-]{1,64}$/u;
const LAST_USED_RESOLUTION = 16; // ISO prefix: written once a minute, not on every request

export interface ApiTokenInfo {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly created: string;
  readonly expires: string | null;
  readonly lastUsed: string | null;
}

export interface ApiTokenOwner {
  readonly accountId: string;
  readonly email: string;
  readonly role: string;
  readonly tokenId: string;
  readonly scopes: ReadonlySet<string>;
}

export function isApiTokenShape(token: unknown): token is string {
  return typeof token === 'string' && TOKEN.test(token);
}

/** Named, scoped, optionally expiring tokens (_sb_api_tokens); stored as SHA-256 only. */
export class ApiTokens {
  readonly #db: Database;
  readonly #collections: ReadonlySet<string>;
  readonly #now: () => Date;

  constructor(db: Database, collections: Iterable<string>, now: () => Date) {
    this.#db = db;
    this.#collections = new Set(collections);
    this.#now = now;
  }

  /** Validates `{name, scopes: {collection: [actions]}, expires?}`; returns the token once. */
  async create(accountId: string, input: Record<string, unknown>): Promise<ApiTokenInfo & { token: string }> {
    const fields: Record<string, string> = {};
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!NAME.test(name)) fields.name = `must be 1 to ${API_TOKEN_LIMITS.nameMax} letters, digits, spaces or . _ : / -`;
    const scopes = this.#scopes(input.scopes, fields);
    const now = this.#now();
    let expires: string | null = null;
    if (input.expires !== undefined && input.expires !== null) {
      const t = typeof input.expires === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?Z$/.test(input.expires) ? Date.parse(input.expires) : NaN;
      if (!Number.isFinite(t) || t <= now.getTime() || t > now.getTime() + API_TOKEN_LIMITS.maxLifetimeDays * 86_400_000) {
        fields.expires = `must be a UTC datetime (…Z) in the future, at most ${API_TOKEN_LIMITS.maxLifetimeDays} days ahead`;
      } else expires = new Date(t).toISOString();
    }
    if (Object.keys(fields).length > 0) throw new StrongboxError('ERR_VALIDATION', 'The API token is invalid.', { fields });
    const k = this.#db.kysely;
    const live = await k.selectFrom('_sb_api_tokens').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
    if (Number(live.n) >= API_TOKEN_LIMITS.perAccount) {
      throw new StrongboxError('ERR_VALIDATION', 'Too many API tokens.', { fields: { name: `at most ${API_TOKEN_LIMITS.perAccount} tokens per account; revoke one first` } });
    }
    const id = randomId();
    const token = `sbt_${id}_${generateSessionToken()}`;
    const created = now.toISOString();
    await k.insertInto('_sb_api_tokens').values({
      id, account_id: accountId, name, token_hash: hashSessionToken(token), scopes: JSON.stringify(scopes), created, expires, last_used: null,
    }).execute();
    return { token, id, name, scopes, created, expires, lastUsed: null };
  }

  async list(accountId: string): Promise<ApiTokenInfo[]> {
    const rows = await this.#db.kysely.selectFrom('_sb_api_tokens').select(['id', 'name', 'scopes', 'created', 'expires', 'last_used'])
      .where('account_id', '=', accountId).orderBy('created', 'desc').execute();
    return rows.map((r) => ({
      id: String(r.id), name: String(r.name), scopes: JSON.parse(String(r.scopes)) as string[], created: String(r.created),
      expires: r.expires == null ? null : String(r.expires), lastUsed: r.last_used == null ? null : String(r.last_used),
    }));
  }

  async revoke(accountId: string, id: string): Promise<boolean> {
    const r = await this.#db.kysely.deleteFrom('_sb_api_tokens').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** The owner of a live token, or null (unknown, malformed, expired, disabled account). Records last use. */
  async lookup(token: unknown): Promise<ApiTokenOwner | null> {
    if (!isApiTokenShape(token)) return null;
    const k = this.#db.kysely;
    const row = await k.selectFrom('_sb_api_tokens as t').innerJoin('_sb_accounts as a', 'a.id', 't.account_id')
      .select(['t.id as tid', 't.scopes', 't.expires', 't.last_used', 'a.id', 'a.email', 'a.role', 'a.disabled'])
      .where('t.token_hash', '=', hashSessionToken(token)).executeTakeFirst();
    if (!row || Number(row.disabled) !== 0) return null;
    const now = this.#now().toISOString();
    if (row.expires != null && String(row.expires) <= now) return null;
    if (row.last_used == null || String(row.last_used).slice(0, LAST_USED_RESOLUTION) !== now.slice(0, LAST_USED_RESOLUTION)) {
      await k.updateTable('_sb_api_tokens').set({ last_used: now }).where('id', '=', String(row.tid)).execute();
    }
    return {
      accountId: String(row.id), email: String(row.email), role: String(row.role), tokenId: String(row.tid),
      scopes: new Set(JSON.parse(String(row.scopes)) as string[]),
    };
  }

  #scopes(raw: unknown, fields: Record<string, string>): string[] {
    const out = new Set<string>();
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      fields.scopes = 'must be an object: {"<collection>": ["list", "view", "create", "update", "delete"]}';
      return [];
    }
    for (const [collection, actions] of Object.entries(raw)) {
      if (!this.#collections.has(collection)) {
        fields.scopes = 'names an unknown collection';
        return [];
      }
      if (!Array.isArray(actions) || actions.length === 0 || !actions.every((a) => API_TOKEN_ACTIONS.includes(a as RuleName))) {
        fields.scopes = `each collection takes a non-empty list of ${API_TOKEN_ACTIONS.join(', ')}`;
        return [];
      }
      for (const a of actions) out.add(`${collection}:${a as string}`);
    }
    if (out.size === 0 || out.size > API_TOKEN_LIMITS.scopesMax) fields.scopes = `must grant 1 to ${API_TOKEN_LIMITS.scopesMax} collection actions`;
    return [...out].sort();
  }
}
