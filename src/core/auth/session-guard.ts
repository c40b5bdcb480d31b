import { GuardScope, guardScopes } from '../../db/statement-guard.ts';

export { GuardScope };

/**
 * Runs a request's work in a fresh guard scope (db/statement-guard.ts), so a session the store
 * takes from its cache is vouched for by the request's first statement. The HTTP layer calls it
 * around each route handler on PostgreSQL and settles the scope before the answer goes out.
 */
export function inGuardScope<T>(scope: GuardScope, work: () => T): T {
  return guardScopes.run(scope, work);
}
