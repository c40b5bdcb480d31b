/**
 * `strongbox db provision`, the SQL side: checks what the admin and the existing roles may do,
 * then creates or updates the owner, app and (optional) reader roles and the grants, all in
 * one transaction. Passwords arrive as SCRAM verifiers, so no plaintext reaches the server.
 */
import { sql } from 'kysely';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { Database } from '../database.ts';
import type { Executor } from '../migrate/introspect.ts';
import { schemaTables } from './app-grants.ts';
import { APP_PGAUDIT_LOG, SCHEMA, defaultPrivilegeStatements, ident, literal, tableGrantStatements } from './role-sql.ts';

export interface ProvisionRole {
  readonly name: string;
  /** SCRAM-SHA-256 verifier (src/crypto/scram-verifier.ts) */
  readonly verifier: string;
}

export interface ProvisionRequest {
  readonly owner: ProvisionRole;
  readonly app: ProvisionRole & {
    readonly connectionLimit: number;
    /** milliseconds */
    readonly statementTimeoutMs: number;
    /** milliseconds */
    readonly idleInTransactionTimeoutMs: number;
  };
  readonly reader: ProvisionRole | null;
  /** Proceed (without pgaudit settings) when the server has not loaded pgaudit. */
  readonly skipPgaudit: boolean;
  readonly dryRun: boolean;
}

export interface ProvisionStatement {
  /** What runs. */
  readonly text: string;
  /** What is printed: the same with any password verifier redacted. */
  readonly shown: string;
}

export interface ProvisionResult {
  readonly database: string;
  readonly statements: readonly ProvisionStatement[];
  /** role name → created or updated */
  readonly roles: Readonly<Record<string, 'created' | 'updated'>>;
  readonly pgaudit: boolean;
  readonly applied: boolean;
}

interface RoleRow {
  rolname: string;
  rolsuper: boolean;
  rolcreatedb: boolean;
  rolcreaterole: boolean;
  rolreplication: boolean;
  rolbypassrls: boolean;
}

export const PGAUDIT_CONF_HINT = "add to postgresql.conf: shared_preload_libraries = 'pgaudit' (Debian: apt-get install postgresql-15-pgaudit), then restart PostgreSQL";

function fail(code: 'ERR_PROVISION_ADMIN' | 'ERR_PROVISION_ROLE' | 'ERR_PROVISION_PGAUDIT', message: string, cause?: unknown): StrongboxError {
  return new StrongboxError(code, message, undefined, cause === undefined ? undefined : { cause });
}

async function checkAdmin(exec: Executor): Promise<void> {
  const { rows } = await sql<{ rolsuper: boolean; rolcreaterole: boolean }>`select rolsuper, rolcreaterole
    from pg_roles where rolname = current_user`.execute(exec);
  const admin = rows[0];
  if (!admin || (!admin.rolsuper && !admin.rolcreaterole)) {
    throw fail('ERR_PROVISION_ADMIN', 'The admin URL\'s role may not create roles (it needs SUPERUSER, or CREATEROLE and membership in the roles it manages); nothing was changed.');
  }
}

/** An existing role with any of these could do far more than its job; provision refuses rather than silently demote it. */
async function existingRoles(exec: Executor, req: ProvisionRequest): Promise<Map<string, RoleRow>> {
  const names = [req.owner.name, req.app.name, ...(req.reader ? [req.reader.name] : [])];
  const { rows } = await sql<RoleRow>`select rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls
    from pg_roles where rolname = any(${names}::text[])`.execute(exec);
  const found = new Map(rows.map((r) => [r.rolname, r]));
  for (const r of rows) {
    const wrong = [
      r.rolsuper && 'SUPERUSER', r.rolcreatedb && 'CREATEDB', r.rolcreaterole && 'CREATEROLE',
      r.rolreplication && 'REPLICATION', r.rolbypassrls && 'BYPASSRLS',
    ].filter(Boolean);
    if (wrong.length > 0) {
      throw fail('ERR_PROVISION_ROLE', `The role "${r.rolname}" already exists with ${wrong.join(', ')}; remove that (ALTER ROLE ${r.rolname} NO${String(wrong[0])}) or choose another name. Nothing was changed.`);
    }
  }
  for (const limited of [req.app.name, ...(req.reader ? [req.reader.name] : [])]) {
    if (!found.has(limited)) continue;
    const { rows: memberOf } = await sql<{ rolname: string }>`select g.rolname from pg_auth_members m
      join pg_roles g on g.oid = m.roleid join pg_roles u on u.oid = m.member where u.rolname = ${limited}`.execute(exec);
    if (memberOf.length > 0) {
      throw fail('ERR_PROVISION_ROLE', `The role "${limited}" already exists as a member of ${memberOf.map((m) => `"${m.rolname}"`).join(', ')}, which would give it their rights; revoke that membership first. Nothing was changed.`);
    }
    const { rows: owned } = await sql<{ n: string | number }>`select count(*) as n from pg_class c
      join pg_namespace n on n.oid = c.relnamespace join pg_roles o on o.oid = c.relowner
      where o.rolname = ${limited} and n.nspname not in ('pg_catalog', 'information_schema')`.execute(exec);
    if (Number(owned[0]?.n ?? 0) > 0) {
      throw fail('ERR_PROVISION_ROLE', `The role "${limited}" already owns ${Number(owned[0]?.n)} table(s) or other relations in this database; hand them to the owner role first (REASSIGN OWNED BY ${limited} TO ${req.owner.name}, as the admin). Nothing was changed.`);
    }
  }
  return found;
}

async function pgauditLoaded(exec: Executor): Promise<boolean> {
  const { rows } = await sql<{ n: string | number }>`select count(*) as n from pg_settings where name = 'pgaudit.log'`.execute(exec);
  return Number(rows[0]?.n ?? 0) > 0;
}

function roleStatements(role: ProvisionRole, exists: boolean, extra: string): ProvisionStatement[] {
  const name = ident(role.name);
  const attrs = 'LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';
  const out: ProvisionStatement[] = [];
  if (!exists) out.push(plain(`CREATE ROLE ${name} ${attrs}`));
  const head = `ALTER ROLE ${name} WITH ${attrs}${extra} PASSWORD `;
  out.push({ text: head + literal(role.verifier), shown: `${head}'…'  -- SCRAM-SHA-256 verifier from the secret file` });
  return out;
}

const plain = (text: string): ProvisionStatement => ({ text, shown: text });

function settingStatements(role: string, db: string, settings: Record<string, string>): ProvisionStatement[] {
  return Object.entries(settings).map(([k, v]) => plain(`ALTER ROLE ${ident(role)} IN DATABASE ${ident(db)} SET ${k} = ${literal(v)}`));
}

async function buildStatements(exec: Executor, req: ProvisionRequest, db: string, roles: Map<string, RoleRow>, pgaudit: boolean): Promise<ProvisionStatement[]> {
  const s = ident(SCHEMA);
  const { owner, app, reader } = req;
  const grantees = [app.name, ...(reader ? [reader.name] : [])].map(ident).join(', ');
  const out: ProvisionStatement[] = [
    ...roleStatements(owner, roles.has(owner.name), ''),
    ...roleStatements(app, roles.has(app.name), ` CONNECTION LIMIT ${app.connectionLimit}`),
    ...(reader ? roleStatements(reader, roles.has(reader.name), '') : []),
    ...settingStatements(owner.name, db, { search_path: SCHEMA }),
    ...settingStatements(app.name, db, {
      search_path: SCHEMA,
      statement_timeout: `${app.statementTimeoutMs}ms`,
      idle_in_transaction_session_timeout: `${app.idleInTransactionTimeoutMs}ms`,
    }),
    ...(reader ? settingStatements(reader.name, db, { search_path: SCHEMA, default_transaction_read_only: 'on' }) : []),
  ];
  if (pgaudit) {
    // log_parameter stays off: bound values may be personal data and belong in no log.
    out.push(...settingStatements(app.name, db, { 'pgaudit.log': APP_PGAUDIT_LOG, 'pgaudit.log_parameter': 'off', 'pgaudit.log_relation': 'on' }));
    out.push(...settingStatements(owner.name, db, { 'pgaudit.log': APP_PGAUDIT_LOG, 'pgaudit.log_parameter': 'off' }));
  }
  out.push(
    plain(`REVOKE ALL ON DATABASE ${ident(db)} FROM PUBLIC`),
    plain(`GRANT CONNECT ON DATABASE ${ident(db)} TO ${ident(owner.name)}, ${grantees}`),
    plain(`REVOKE CREATE, TEMPORARY ON DATABASE ${ident(db)} FROM ${ident(owner.name)}, ${grantees}`),
    plain(`ALTER SCHEMA ${s} OWNER TO ${ident(owner.name)}`),
    plain(`REVOKE ALL ON SCHEMA ${s} FROM PUBLIC`),
    plain(`REVOKE CREATE ON SCHEMA ${s} FROM PUBLIC`),
    plain(`REVOKE CREATE ON SCHEMA ${s} FROM ${grantees}`),
    plain(`GRANT USAGE ON SCHEMA ${s} TO ${grantees}`),
    ...defaultPrivilegeStatements(owner.name, { app: app.name, reader: reader?.name ?? null }).map(plain),
    ...tableGrantStatements({ app: app.name, reader: reader?.name ?? null }, await schemaTables(exec)).map(plain),
  );
  return out;
}

/** Runs the checks, then (unless a dry run) every statement in one transaction: all of it or nothing. */
export async function provisionRoles(admin: Database, req: ProvisionRequest): Promise<ProvisionResult> {
  if (admin.dialect !== 'postgres') throw new StrongboxError('ERR_CONFIG', 'db provision is for PostgreSQL only.');
  return admin.kysely.transaction().execute(async (trx) => {
    await checkAdmin(trx);
    const { rows } = await sql<{ db: string }>`select current_database() as db`.execute(trx);
    const db = rows[0]!.db;
    const roles = await existingRoles(trx, req);
    const pgaudit = await pgauditLoaded(trx);
    if (!pgaudit && !req.skipPgaudit) {
      throw fail('ERR_PROVISION_PGAUDIT', `pgaudit is not loaded on this PostgreSQL server, so database writes would not be audited natively; ${PGAUDIT_CONF_HINT}; or pass --skip-pgaudit to provision without it. Nothing was changed.`);
    }
    const statements = await buildStatements(trx, req, db, roles, pgaudit);
    const result = {
      database: db,
      statements,
      roles: Object.fromEntries([req.owner, req.app, ...(req.reader ? [req.reader] : [])]
        .map((r) => [r.name, roles.has(r.name) ? 'updated' as const : 'created' as const])),
      pgaudit,
      applied: !req.dryRun,
    };
    if (req.dryRun) return result;
    for (const st of statements) {
      try {
        await sql.raw(st.text).execute(trx);
      } catch (cause) {
        const code = (cause as { code?: unknown }).code;
        if (code === '42501') {
          throw fail('ERR_PROVISION_ADMIN', `The admin role lacks a privilege this needs: ${st.shown}; nothing was changed.`, cause);
        }
        throw new StrongboxError('ERR_MIGRATION', `Provisioning failed at: ${st.shown}; nothing was changed.`, undefined, { cause });
      }
    }
    return result;
  });
}
