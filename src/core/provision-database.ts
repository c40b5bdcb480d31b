/**
 * `strongbox db provision`: the roles come from the config (`database` names the app role,
 * `migrate.database` the owner), their passwords from the same secret files serving and
 * migrating read, so one set of secrets drives all three. The admin's password never comes
 * from argv.
 */
import type { PostgresDatabaseConfig, StrongboxConfig } from '../config/config.ts';
import { urlRole } from '../config/parse-database.ts';
import { scramSha256Verifier } from '../crypto/scram-verifier.ts';
import { openDatabase } from '../db/open-database.ts';
import { provisionRoles, type ProvisionResult } from '../db/postgres/provision.ts';

export { PGAUDIT_CONF_HINT } from '../db/postgres/provision.ts';
import { checkRoleName } from '../db/postgres/role-sql.ts';
import { StrongboxError, isStrongboxError } from '../errors/strongbox-error.ts';

/** Below this a role password is refused: these are machine secrets, not something typed. */
export const MIN_ROLE_PASSWORD = 16; // characters

export const PROVISION_DEFAULTS = {
  connectionLimit: 50, // connections: 5 instances × the default pool of 10
  statementTimeoutMs: 30_000, // 30 s: no API request needs longer
  idleInTransactionTimeoutMs: 60_000, // 60 s
} as const;

export interface ProvisionOptions {
  /** postgres://admin@host/… (no password in it) */
  readonly adminUrl: string;
  readonly adminPassword: string;
  /** Optional read-only role for backups and verification. */
  readonly readerRole?: string | null;
  readonly readerPassword?: string | null;
  readonly connectionLimit?: number;
  readonly statementTimeoutMs?: number;
  readonly skipPgaudit?: boolean;
  readonly dryRun: boolean;
}

function need(cond: unknown, message: string, param?: string): asserts cond {
  if (!cond) throw new StrongboxError('ERR_CONFIG', message, param === undefined ? undefined : { param });
}

function rolePassword(password: string | null | undefined, secret: string, param: string): string {
  need(password !== undefined && password !== null && password !== '', `no password for this role: set ${secret}`, param);
  need(password.length >= MIN_ROLE_PASSWORD, `the password in ${secret} is shorter than ${MIN_ROLE_PASSWORD} characters`, param);
  return password;
}

/** The admin URL aimed at the served database: same server, TLS and user; `database`'s database name. */
export function adminTarget(adminUrl: string, database: PostgresDatabaseConfig): string {
  let url: URL;
  try {
    url = new URL(adminUrl);
  } catch {
    throw new StrongboxError('ERR_USAGE', '--admin-url is not a valid postgres:// URL');
  }
  if (!/^postgres(ql)?:$/.test(url.protocol)) throw new StrongboxError('ERR_USAGE', '--admin-url must start with postgres://');
  if (url.password !== '' || url.searchParams.has('password')) {
    throw new StrongboxError('ERR_USAGE', '--admin-url must not contain a password (argv is visible to every user of the machine); use STRONGBOX_ADMIN_DATABASE_PASSWORD_FILE or the prompt');
  }
  if (url.username === '') throw new StrongboxError('ERR_USAGE', '--admin-url needs the admin role as its user part (postgres://postgres@host/)');
  url.pathname = new URL(database.url).pathname;
  return url.toString();
}

export async function provisionDatabase(config: StrongboxConfig, opts: ProvisionOptions): Promise<ProvisionResult> {
  const app = config.database;
  need(app.kind === 'postgres', '`database` must be a postgres:// URL naming the app role', 'database');
  const owner = config.migrate?.database ?? null;
  need(owner !== null, 'set migrate.database (or STRONGBOX_MIGRATE_DATABASE_URL) to the owner role\'s URL', 'migrate.database');
  const appName = checkRoleName(urlRole(app.url) ?? '', 'app (user part of `database`)');
  const ownerName = checkRoleName(urlRole(owner.url) ?? '', 'owner (user part of migrate.database)');
  const readerName = opts.readerRole ? checkRoleName(opts.readerRole, 'reader') : null;
  const names = [appName, ownerName, ...(readerName ? [readerName] : [])];
  need(new Set(names).size === names.length, 'the owner, app and reader roles must be three different roles');
  const adminName = decodeURIComponent(new URL(opts.adminUrl).username);
  need(!names.includes(adminName), 'the admin role must not be one of the roles it provisions');
  const limit = opts.connectionLimit ?? PROVISION_DEFAULTS.connectionLimit;
  need(Number.isInteger(limit) && limit >= 1 && limit <= 10_000, 'the connection limit must be an integer from 1 to 10000');
  const timeout = opts.statementTimeoutMs ?? PROVISION_DEFAULTS.statementTimeoutMs;
  need(Number.isInteger(timeout) && timeout >= 1000 && timeout <= 3_600_000, 'the statement timeout must be from 1s to 1h');
  const request = {
    owner: { name: ownerName, verifier: scramSha256Verifier(rolePassword(owner.password, 'STRONGBOX_MIGRATE_DATABASE_PASSWORD_FILE', 'migrate.database')) },
    app: {
      name: appName,
      verifier: scramSha256Verifier(rolePassword(app.password, 'STRONGBOX_DATABASE_PASSWORD_FILE', 'database')),
      connectionLimit: limit,
      statementTimeoutMs: timeout,
      idleInTransactionTimeoutMs: PROVISION_DEFAULTS.idleInTransactionTimeoutMs,
    },
    reader: readerName
      ? { name: readerName, verifier: scramSha256Verifier(rolePassword(opts.readerPassword, 'STRONGBOX_READER_DATABASE_PASSWORD_FILE', 'reader')) }
      : null,
    skipPgaudit: opts.skipPgaudit === true,
    dryRun: opts.dryRun,
  };
  const target: PostgresDatabaseConfig = { kind: 'postgres', url: adminTarget(opts.adminUrl, app), password: opts.adminPassword };
  const admin = await openDatabase(target, { poolSize: 1, requireVerifiedTls: true }).catch((err: unknown) => {
    throw missingDatabase(err, app.url) ?? err;
  });
  try {
    return await provisionRoles(admin, request);
  } finally {
    await admin.close();
  }
}

/** A connection refused because the database is not there (SQLSTATE 3D000) gets its own code. */
function missingDatabase(err: unknown, url: string): StrongboxError | null {
  if (!isStrongboxError(err) || (err.cause as { code?: unknown } | undefined)?.code !== '3D000') return null;
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  return new StrongboxError('ERR_PROVISION_DATABASE',
    `The database "${name}" (named by \`database\`) does not exist on that server; create it first (as the admin: CREATE DATABASE ${name}). Nothing was changed.`,
    { param: 'database' }, { cause: err });
}
