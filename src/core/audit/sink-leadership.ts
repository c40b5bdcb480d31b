import type { DatabaseConfig } from '../../config/config.ts';
import { AdvisoryLockSession } from '../../db/postgres/advisory-lock-session.ts';
import { jobLockKey } from '../jobs/job-lock-key.ts';

/** Which instance forwards the trail to a sink (syslog-forwarder.ts). */
export interface SinkLeadership {
  /** Whether this instance leads now: asks for the lock when it does not hold it, checks it when it does. */
  lead(): Promise<boolean>;
  /** Gives leadership up (the lock is released with its connection). */
  close(): Promise<void>;
}

export interface PgLeadershipOptions {
  /** Production: the lock connection needs verified TLS like every other. */
  readonly requireVerifiedTls?: boolean;
  /** How often a leader asks PostgreSQL whether it still holds the lock (ms); default 2000. */
  readonly checkMs?: number;
  readonly now?: () => number;
}

/** SQLite is one instance per database file: it always leads. */
export const SOLE_LEADER: SinkLeadership = { lead: async () => true, close: async () => undefined };

/**
 * PostgreSQL: a session advisory lock on a dedicated connection (outside the pool, so no request
 * ever borrows it). The lock lives exactly as long as that connection: when the leader dies its
 * session ends, the server releases the lock, and the next instance to ask takes over.
 */
export function pgSinkLeadership(db: Extract<DatabaseConfig, { kind: 'postgres' }>, sink: string, opts: PgLeadershipOptions = {}): SinkLeadership {
  const key = jobLockKey(`audit-sink-${sink}`);
  const now = opts.now ?? Date.now;
  let session: AdvisoryLockSession | null = null;
  let leading = false;
  let checked = 0;
  return {
    async lead() {
      if (session === null || session.lost) {
        leading = false;
        await session?.close();
        session = null;
        session = await AdvisoryLockSession.open(db.url, db.password, { requireVerifiedTls: opts.requireVerifiedTls });
      }
      if (!leading) {
        leading = await session.tryLock(key);
        checked = now();
      } else if (now() - checked >= (opts.checkMs ?? 2000)) {
        leading = await session.holds(key);
        checked = now();
      }
      return leading && !session.lost;
    },
    async close() {
      leading = false;
      await session?.close();
      session = null;
    },
  };
}
