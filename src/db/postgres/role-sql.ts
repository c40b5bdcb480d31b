/**
 * The privilege policy for Strongbox's PostgreSQL roles, as SQL text. One source for
 * `strongbox db provision` (run by the admin) and for the grants the owner re-applies after
 * each migration, so both always agree. Names are checked before they are quoted.
 */
import { StrongboxError } from '../../errors/strongbox-error.ts';

/** The schema Strongbox's tables live in. */
export const SCHEMA = 'public';

/** The audit trail: the app role may add and read entries, never change or remove them. */
export const APPEND_ONLY_TABLES: readonly string[] = ['_sb_audit'];
/** Written only by migrations (the owner); the app role reads them. */
export const READ_ONLY_TABLES: readonly string[] = ['_sb_migrations', '_sb_collections'];

/** pgaudit classes logged for the app role (docs/postgres.md): schema changes, role changes, every write. */
export const APP_PGAUDIT_LOG = 'ddl, role, write';

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A role name from a URL, checked (lower case, no reserved prefix) so quoting it is exact. */
export function checkRoleName(name: string, what: string): string {
  if (!ROLE_NAME.test(name) || name.startsWith('pg_') || name === 'public' || name === 'none') {
    throw new StrongboxError('ERR_CONFIG',
      `The ${what} role name must be 1 to 63 of a-z, 0-9 and _, start with a letter or _, and not start with pg_.`);
  }
  return name;
}

/** A checked identifier in double quotes. */
export function ident(name: string): string {
  if (!/^[A-Za-z0-9_$]{1,63}$/.test(name)) throw new StrongboxError('ERR_CONFIG', 'An identifier has characters Strongbox does not quote.');
  return `"${name}"`;
}

/** A string literal (standard_conforming_strings is on since PostgreSQL 9.1). */
export function literal(text: string): string {
  if (text.includes('\0')) throw new StrongboxError('ERR_CONFIG', 'A value holds a NUL byte.');
  return `'${text.replace(/'/g, "''")}'`;
}

export interface GrantRoles {
  readonly app: string;
  /** Read-only role for backups and verification; null when not provisioned. */
  readonly reader?: string | null;
}

/**
 * GRANTs on the tables that exist now (`tables`: names in the schema). The app role gets
 * SELECT, INSERT, UPDATE, DELETE (never TRUNCATE, REFERENCES or TRIGGER), except on the
 * append-only and read-only tables; the reader gets SELECT.
 */
export function tableGrantStatements(roles: GrantRoles, tables: ReadonlySet<string>): string[] {
  const app = ident(roles.app);
  const s = ident(SCHEMA);
  const out = [
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${app}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${app}`,
  ];
  for (const t of APPEND_ONLY_TABLES) {
    if (tables.has(t)) out.push(`REVOKE UPDATE, DELETE, TRUNCATE ON ${s}.${ident(t)} FROM ${app}`);
  }
  for (const t of READ_ONLY_TABLES) {
    if (tables.has(t)) out.push(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${s}.${ident(t)} FROM ${app}`);
  }
  if (roles.reader) {
    out.push(`GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${ident(roles.reader)}`);
    out.push(`GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${ident(roles.reader)}`);
  }
  return out;
}

/**
 * What tables the owner creates later get at once. The append-only revoke for a table created
 * later runs in the migration transaction that creates it (app-grants.ts), so no committed
 * state ever lets the app role change the audit trail.
 */
export function defaultPrivilegeStatements(owner: string, roles: GrantRoles): string[] {
  const forOwner = `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(owner)} IN SCHEMA ${ident(SCHEMA)}`;
  const app = ident(roles.app);
  const out = [
    `${forOwner} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app}`,
    `${forOwner} GRANT USAGE, SELECT ON SEQUENCES TO ${app}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(owner)} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC`,
  ];
  if (roles.reader) {
    out.push(`${forOwner} GRANT SELECT ON TABLES TO ${ident(roles.reader)}`);
    out.push(`${forOwner} GRANT SELECT ON SEQUENCES TO ${ident(roles.reader)}`);
  }
  return out;
}
