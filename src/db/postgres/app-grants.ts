import { sql } from 'kysely';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { Executor } from '../migrate/introspect.ts';
import { SCHEMA, tableGrantStatements, type GrantRoles } from './role-sql.ts';

/** Tables in Strongbox's schema, by name. */
export async function schemaTables(exec: Executor): Promise<Set<string>> {
  const { rows } = await sql<{ name: string }>`select c.relname as name from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${SCHEMA} and c.relkind in ('r', 'p')`.execute(exec);
  return new Set(rows.map((r) => r.name));
}

/**
 * Re-applies the app role's table grants (role-sql.ts) inside `exec`'s transaction. The owner
 * runs it in the transaction of every migration, so a table a migration creates (say the audit
 * trail) is never committed with more rights than the policy gives.
 */
export async function applyAppGrants(exec: Executor, roles: GrantRoles): Promise<void> {
  for (const statement of tableGrantStatements(roles, await schemaTables(exec))) {
    try {
      await sql.raw(statement).execute(exec);
    } catch (cause) {
      throw new StrongboxError('ERR_MIGRATION',
        `The owner could not grant the app role "${roles.app}" its rights (does it exist? run 'strongbox db provision'); nothing was changed.`,
        undefined, { cause });
    }
  }
}
