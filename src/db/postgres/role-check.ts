import { sql } from 'kysely';
import type { Executor } from '../migrate/introspect.ts';
import { APPEND_ONLY_TABLES, SCHEMA } from './role-sql.ts';

interface RoleFacts {
  role: string;
  rolsuper: boolean;
  rolbypassrls: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  rolreplication: boolean;
  schema_create: boolean;
  schema_owner: boolean;
  db_create: boolean;
  owned_tables: string | number;
  audit_changes: boolean;
}

/**
 * What the connected role may do beyond serving, one reason per problem (empty: none).
 * Ownership counts through membership too (a member can SET ROLE to the owner).
 */
export async function servingRoleProblems(exec: Executor): Promise<{ role: string; problems: string[] }> {
  const audit = APPEND_ONLY_TABLES.map((t) => `${SCHEMA}.${t}`);
  const { rows } = await sql<RoleFacts>`select r.rolname as role, r.rolsuper, r.rolbypassrls, r.rolcreaterole,
      r.rolcreatedb, r.rolreplication,
      has_schema_privilege(${SCHEMA}, 'CREATE') as schema_create,
      pg_has_role(n.nspowner, 'MEMBER') as schema_owner,
      has_database_privilege(current_database(), 'CREATE') as db_create,
      (select count(*) from pg_class c join pg_namespace cn on cn.oid = c.relnamespace
        where cn.nspname = ${SCHEMA} and pg_has_role(c.relowner, 'MEMBER')) as owned_tables,
      coalesce((select bool_or(has_table_privilege(t.oid, 'UPDATE') or has_table_privilege(t.oid, 'DELETE')
          or has_table_privilege(t.oid, 'TRUNCATE'))
        from unnest(${audit}::text[]) as a(name) join pg_class t on t.oid = to_regclass(a.name)), false) as audit_changes
    from pg_roles r, pg_namespace n where r.rolname = current_user and n.nspname = ${SCHEMA}`.execute(exec);
  const f = rows[0];
  if (f === undefined) return { role: '?', problems: [`the schema ${SCHEMA} does not exist`] };
  const problems: string[] = [];
  if (f.rolsuper) problems.push('it is a superuser');
  if (f.rolbypassrls) problems.push('it bypasses row-level security (BYPASSRLS)');
  if (f.rolcreaterole) problems.push('it may create roles (CREATEROLE)');
  if (f.rolcreatedb) problems.push('it may create databases (CREATEDB)');
  if (f.rolreplication) problems.push('it is a replication role');
  if (f.schema_owner) problems.push(`it owns the schema ${SCHEMA}`);
  if (Number(f.owned_tables) > 0) problems.push(`it owns ${Number(f.owned_tables)} table(s) or other relations in ${SCHEMA}`);
  if (f.schema_create) problems.push(`it has CREATE on the schema ${SCHEMA}`);
  if (f.db_create) problems.push('it has CREATE on the database');
  if (f.audit_changes) problems.push('it may UPDATE, DELETE or TRUNCATE the audit trail');
  return { role: f.role, problems };
}

/** Whether the connected role may delete audit events (only the owner: the documented prune path). */
export async function mayPruneAudit(exec: Executor): Promise<{ role: string; may: boolean }> {
  const { rows } = await sql<{ role: string; may: boolean | null }>`select current_user as role,
    has_table_privilege(to_regclass(${`${SCHEMA}._sb_audit`}), 'DELETE') as may`.execute(exec);
  return { role: rows[0]?.role ?? '?', may: rows[0]?.may === true };
}
