import { GuardScope, guardScopes, type StatementGuard } from '../../db/statement-guard.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';

export { GuardScope };

/**
 * Runs a request's work in a fresh guard scope (db/statement-guard.ts), so a session the store
 * takes from its cache is vouched for by the request's first statement. The HTTP layer calls it
 * around each route handler on PostgreSQL and settles the scope before the answer goes out.
 */
export function inGuardScope<T>(scope: GuardScope, work: () => T): T {
  return guardScopes.run(scope, work);
}

/** The columns that decide who a session is and what it may do: a re-read must find them unchanged. */
const IDENTITY = ['sid', 'mfa', 'id', 'email', 'role', 'disabled'] as const;

function sameIdentity(fresh: Record<string, unknown>, seen: Record<string, unknown>): boolean {
  // a guard's rows arrive as text (postgres/pipelining.ts), a loaded row typed: compare as text
  return IDENTITY.every((c) => (fresh[c] == null ? seen[c] == null : seen[c] != null && String(fresh[c]) === String(seen[c])));
}

/** What the session store lends the guard of one cached session. */
export interface CachedSessionChecks {
  /** the session lookup's own statement (its one parameter is the token hash) */
  readonly sql: string;
  looksLive(row: Record<string, unknown>): boolean;
  /** drops the cached entry */
  forget(): void;
  /** keeps the session's times as stored now */
  refresh(times: { last_seen: unknown; expires: unknown }): void;
  runAlone(): Promise<readonly Record<string, unknown>[]>;
}

/**
 * The guard of a session taken from the cache: its re-read must find the row, unchanged in who
 * the caller is and what it may do, and still live; otherwise the entry is dropped and the
 * request fails with ERR_UNAUTHENTICATED.
 */
export function cachedSessionGuard(tokenHash: string, seen: Record<string, unknown>, checks: CachedSessionChecks): StatementGuard {
  return {
    key: tokenHash,
    sql: checks.sql,
    parameters: [tokenHash],
    judge(rows) {
      const row = rows[0];
      if (row === undefined || !sameIdentity(row, seen) || !checks.looksLive(row)) {
        checks.forget();
        throw new StrongboxError('ERR_UNAUTHENTICATED', 'The session has ended.');
      }
      // another instance may have noted a later use (last_seen)
      if (row.last_seen !== seen.last_seen || row.expires !== seen.expires) checks.refresh({ last_seen: row.last_seen, expires: row.expires });
    },
    runAlone: () => checks.runAlone(),
  };
}
