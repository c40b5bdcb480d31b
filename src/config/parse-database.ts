import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { DatabaseConfig, MigrateConfig, PostgresDatabaseConfig } from './config.ts';
import type { IssueSink, KeyPath } from './config-error.ts';

/** The database when the key is absent: a file next to the config. */
export const DEFAULT_DATABASE = 'sqlite:./data/strongbox.db';

/** Query parameters that carry secrets; they belong in the environment, like the password. */
const SECRET_PARAMS = ['password', 'sslpassword', 'passfile'];
/** libpq parameters naming files: resolved from the config's folder like every other path. */
const PATH_PARAMS = ['sslrootcert', 'sslcert', 'sslkey'];
// allow/prefer fall back to plain text when TLS fails, so they are refused (src/db/postgres/connection-options.ts agrees).
const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'];
const KNOWN_PARAMS = new Set(['sslmode', ...PATH_PARAMS, 'application_name', 'connect_timeout']);

const PATH = ['database'];

/** Where a PostgreSQL URL's password comes from: a file first, then a variable. */
interface SecretSource {
  readonly file: string;
  readonly variable: string;
}
const APP_SECRET: SecretSource = { file: 'STRONGBOX_DATABASE_PASSWORD_FILE', variable: 'STRONGBOX_DATABASE_PASSWORD' };
export const MIGRATE_SECRET: SecretSource = { file: 'STRONGBOX_MIGRATE_DATABASE_PASSWORD_FILE', variable: 'STRONGBOX_MIGRATE_DATABASE_PASSWORD' };
export const MIGRATE_URL_ENV = 'STRONGBOX_MIGRATE_DATABASE_URL';

/**
 * database: `sqlite:<path>` (relative to the config file's folder), `sqlite::memory:`, or
 * `postgres://user@host:port/db?sslmode=verify-full&sslrootcert=ca.pem`. A password in the URL is an
 * error: it comes from STRONGBOX_DATABASE_PASSWORD_FILE (first) or STRONGBOX_DATABASE_PASSWORD.
 */
export function parseDatabase(raw: unknown, baseDir: string, env: NodeJS.ProcessEnv, sink: IssueSink): DatabaseConfig {
  const text = raw === undefined ? DEFAULT_DATABASE : raw;
  const fallback: DatabaseConfig = { kind: 'sqlite', path: ':memory:' };
  if (typeof text !== 'string' || text.length === 0 || text.length > 4096 || text.includes('\0')) {
    sink.add(PATH, "expected a database URL such as 'sqlite:./data/strongbox.db' or 'postgres://user@host/db'");
    return fallback;
  }
  if (text.startsWith('sqlite:')) return parseSqlite(text.slice('sqlite:'.length), baseDir, sink) ?? fallback;
  if (/^postgres(ql)?:\/\//.test(text)) return parsePostgres(text, PATH, APP_SECRET, baseDir, env, sink) ?? fallback;
  sink.add(PATH, "unsupported database: use 'sqlite:<path>' or 'postgres://…'");
  return fallback;
}

function parseSqlite(rest: string, baseDir: string, sink: IssueSink): DatabaseConfig | null {
  if (rest === ':memory:') return { kind: 'sqlite', path: ':memory:' };
  // `sqlite://x` is ambiguous (host or path?), so only plain paths are accepted.
  if (rest === '' || rest.startsWith('//')) {
    sink.add(PATH, "expected 'sqlite:./relative/path.db', 'sqlite:/absolute/path.db' or 'sqlite::memory:'");
    return null;
  }
  return { kind: 'sqlite', path: isAbsolute(rest) ? rest : resolve(baseDir, rest) };
}

function parsePostgres(text: string, PATH: KeyPath, secret: SecretSource, baseDir: string, env: NodeJS.ProcessEnv, sink: IssueSink): PostgresDatabaseConfig | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    sink.add(PATH, 'is not a valid postgres:// URL'); // the text itself is not echoed: it may hold a secret
    return null;
  }
  let ok = true;
  if (url.password !== '' || SECRET_PARAMS.some((p) => url.searchParams.has(p))) {
    sink.add(PATH, `must not contain a password: set ${secret.file} or ${secret.variable}`);
    ok = false;
  }
  if (url.hostname === '') {
    sink.add(PATH, 'the postgres URL needs a host');
    ok = false;
  }
  if (url.pathname.length <= 1) {
    sink.add(PATH, 'the postgres URL needs a database name (postgres://user@host/dbname)');
    ok = false;
  }
  const unknown = [...new Set(url.searchParams.keys())].filter((k) => !KNOWN_PARAMS.has(k) && !SECRET_PARAMS.includes(k));
  if (unknown.length > 0) {
    sink.add(PATH, `unknown postgres URL parameter(s): ${unknown.join(', ')} (allowed: ${[...KNOWN_PARAMS].join(', ')})`);
    ok = false;
  }
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode !== null && !SSL_MODES.includes(sslmode)) {
    sink.add(PATH, `sslmode must be one of ${SSL_MODES.join(', ')}`);
    ok = false;
  }
  for (const p of PATH_PARAMS) {
    const file = url.searchParams.get(p);
    if (file !== null && file !== '' && !isAbsolute(file)) url.searchParams.set(p, resolve(baseDir, file));
  }
  const password = readPassword(env, secret, PATH, sink);
  if (!ok) return null;
  return password === undefined ? { kind: 'postgres', url: url.toString() } : { kind: 'postgres', url: url.toString(), password };
}

/** The file wins over the variable, so a secret mounted as a file is never shadowed by a stale env value. */
function readPassword(env: NodeJS.ProcessEnv, secret: SecretSource, PATH: KeyPath, sink: IssueSink): string | undefined {
  const file = env[secret.file];
  if (file !== undefined && file !== '') {
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch {
      sink.add(PATH, `the file named by ${secret.file} cannot be read`);
      return undefined;
    }
    const password = content.replace(/\r?\n$/, ''); // editors add one trailing newline
    if (password === '') sink.add(PATH, `the file named by ${secret.file} is empty`);
    return password === '' ? undefined : password;
  }
  const value = env[secret.variable];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * migrate: { database: postgres://owner@host/db… } or STRONGBOX_MIGRATE_DATABASE_URL (not
 * both): the schema owner's URL, which `strongbox migrate` and start-up migrations use instead
 * of `database`. Its password comes from STRONGBOX_MIGRATE_DATABASE_PASSWORD_FILE (first) or
 * STRONGBOX_MIGRATE_DATABASE_PASSWORD. PostgreSQL only, and the same database as `database`.
 */
export function parseMigrate(raw: unknown, database: DatabaseConfig, baseDir: string, env: NodeJS.ProcessEnv, sink: IssueSink): MigrateConfig {
  const path = ['migrate', 'database'];
  let text: unknown;
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      sink.add(['migrate'], 'expected a mapping such as { database: postgres://strongbox_owner@host/db }');
      return { database: null };
    }
    const map = raw as Record<string, unknown>;
    for (const key of Object.keys(map)) {
      if (key !== 'database') sink.add(['migrate', key], 'unknown key in migrate (allowed: database)', 'key');
    }
    text = Object.hasOwn(map, 'database') ? map.database : undefined;
  }
  const fromEnv = env[MIGRATE_URL_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (text !== undefined) {
      sink.add(path, `set either migrate.database or ${MIGRATE_URL_ENV}, not both`);
      return { database: null };
    }
    text = fromEnv;
  }
  if (text === undefined || text === null) return { database: null };
  if (typeof text !== 'string' || text.length === 0 || text.length > 4096 || text.includes('\0') || !/^postgres(ql)?:\/\//.test(text)) {
    sink.add(path, "expected the schema owner's URL, postgres://owner@host/db?sslmode=verify-full…");
    return { database: null };
  }
  if (database.kind !== 'postgres') {
    sink.add(path, 'migrate.database is for PostgreSQL only; `database` is SQLite here');
    return { database: null };
  }
  const parsed = parsePostgres(text, path, MIGRATE_SECRET, baseDir, env, sink);
  if (parsed === null) return { database: null };
  const dbName = (u: string): string => decodeURIComponent(new URL(u).pathname.slice(1));
  if (dbName(parsed.url) !== dbName(database.url)) {
    sink.add(path, 'must name the same database as `database` (the owner migrates the database the app role serves)');
  }
  return { database: parsed };
}

/** The role name in a postgres URL (its user part), or null when it names none. */
export function urlRole(url: string): string | null {
  const user = decodeURIComponent(new URL(url).username);
  return user === '' ? null : user;
}
