import pg from 'pg';
import { poolConfig } from './connection-options.ts';
import { connectFailure } from './connect.ts';

/**
 * One dedicated PostgreSQL connection that holds session-level advisory locks (job
 * leadership). A lock lives exactly as long as this connection: when the process dies or the
 * network drops, the server ends the session and the lock goes to whoever asks next. Outside
 * the pool on purpose: a pooled connection would be lent to requests, and a lock must not be.
 */
export class AdvisoryLockSession {
  readonly #client: pg.Client;
  #lost = false;
  #onLost: (() => void) | null = null;

  private constructor(client: pg.Client) {
    this.#client = client;
    // a dropped connection must not crash the process: leadership is simply gone
    client.on('error', () => this.#markLost());
    client.on('end', () => this.#markLost());
  }

  static async open(url: string, password: string | undefined, opts: { requireVerifiedTls?: boolean } = {}): Promise<AdvisoryLockSession> {
    const cfg = poolConfig(url, password, { poolSize: 1, requireVerifiedTls: opts.requireVerifiedTls });
    const client = new pg.Client({ ...cfg, application_name: `${cfg.application_name ?? 'strongbox'}-jobs` });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw connectFailure(err);
    }
    return new AdvisoryLockSession(client);
  }

  get lost(): boolean {
    return this.#lost;
  }

  /** Called once when the connection is gone (every lock it held is released by the server). */
  onLost(fn: () => void): void {
    this.#onLost = fn;
    if (this.#lost) fn();
  }

  #markLost(): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#onLost?.();
  }

  /** pg_try_advisory_lock: true when this session now holds the lock. */
  async tryLock(key: bigint): Promise<boolean> {
    const { rows } = await this.#client.query<{ ok: boolean }>('select pg_try_advisory_lock($1::bigint) as ok', [key.toString()]);
    return rows[0]?.ok === true;
  }

  /** Whether this session still holds the lock (a cheap round trip that also notices a dead connection). */
  async holds(key: bigint): Promise<boolean> {
    const { rows } = await this.#client.query<{ n: string }>(
      `select count(*) as n from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() and granted
        and objsubid = 1 and ((classid::bigint << 32) | objid::bigint) = $1::bigint`, [key.toString()]);
    return Number(rows[0]?.n ?? 0) > 0;
  }

  /** Releases a lock taken once by tryLock (callers never stack a lock: they ask only when they do not hold it). */
  async unlock(key: bigint): Promise<void> {
    await this.#client.query('select pg_advisory_unlock($1::bigint)', [key.toString()]);
  }

  async close(): Promise<void> {
    this.#lost = true;
    await this.#client.end().catch(() => undefined);
  }
}
