import { readFileSync } from 'node:fs';
import type { PoolConfig } from 'pg';
import type { ConnectionOptions } from 'node:tls';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { pgTypeParsers } from './type-parsers.ts';

export const DEFAULT_POOL_SIZE = 10;
const CONNECT_TIMEOUT_MS = 10_000; // 10 s to open one connection
const IDLE_TIMEOUT_MS = 30_000; // 30 s before an idle pooled connection is closed

export interface PostgresOptions {
  /** Connections in the pool; default 10. */
  readonly poolSize?: number;
  /**
   * Production: refuse anything less than sslmode=verify-full over TCP (ERR_DB_TLS_REQUIRED).
   * A Unix socket never leaves the machine and is always allowed.
   */
  readonly requireVerifiedTls?: boolean;
}

type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';
const SSL_MODES: readonly string[] = ['disable', 'require', 'verify-ca', 'verify-full'];
const KNOWN_PARAMS = new Set(['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'application_name', 'connect_timeout']);

function configError(message: string): StrongboxError {
  // never echo the URL: it may hold a password
  return new StrongboxError('ERR_CONFIG', message, { param: 'database' });
}

/** libpq's rule: a host that starts with a slash is the folder of a Unix socket. */
export function isUnixSocketHost(host: string): boolean {
  return host.startsWith('/');
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new StrongboxError('ERR_CONFIG', `The database ${what} file cannot be read.`, { param: 'database' }, { cause });
  }
}

/**
 * TLS as libpq understands the URL, with one stricter default: without `sslmode`, every TCP
 * connection (loopback too) is verified in full (CA and host name), so forgetting the
 * parameter never sends credentials in the clear or to an impostor. `require` encrypts without checking the
 * certificate unless `sslrootcert` is given (then it acts as verify-ca, as in libpq).
 */
function tlsOptions(mode: SslMode, params: URLSearchParams): false | ConnectionOptions {
  if (mode === 'disable') return false;
  const rootcert = params.get('sslrootcert');
  const tls: ConnectionOptions = {};
  if (rootcert !== null && rootcert !== 'system') tls.ca = readPem(rootcert, 'CA (sslrootcert)');
  const cert = params.get('sslcert');
  const key = params.get('sslkey');
  if (cert !== null) tls.cert = readPem(cert, 'client certificate (sslcert)');
  if (key !== null) tls.key = readPem(key, 'client key (sslkey)');
  // pg sends SNI and checks the name against the host itself (never an IP as SNI: RFC 6066)
  if (mode === 'verify-full') return { ...tls, rejectUnauthorized: true };
  if (mode === 'verify-ca' || tls.ca !== undefined) {
    if (tls.ca === undefined) throw configError('sslmode=verify-ca needs sslrootcert naming the CA file.');
    return { ...tls, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  }
  return { ...tls, rejectUnauthorized: false };
}

/** Turns the configured URL and password into pg pool settings; errors never contain the URL. */
export function poolConfig(url: string, password: string | undefined, opts: PostgresOptions = {}): PoolConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw configError('The PostgreSQL database URL is malformed.');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw configError('The PostgreSQL database URL must start with postgres://.');
  }
  for (const key of parsed.searchParams.keys()) {
    if (!KNOWN_PARAMS.has(key)) throw configError(`The PostgreSQL database URL has an unsupported parameter "${key}".`);
  }
  const host = decodeURIComponent(parsed.hostname).replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw configError('The PostgreSQL database URL names no host.');
  const database = decodeURIComponent(parsed.pathname.slice(1));
  if (database === '') throw configError('The PostgreSQL database URL names no database.');
  const socket = isUnixSocketHost(host);
  const modeParam = parsed.searchParams.get('sslmode') ?? 'verify-full';
  if (!SSL_MODES.includes(modeParam)) throw configError(`sslmode must be one of ${SSL_MODES.join(', ')}.`);
  if (opts.requireVerifiedTls === true && !socket && modeParam !== 'verify-full') {
    throw new StrongboxError('ERR_DB_TLS_REQUIRED',
      `Production mode connects to PostgreSQL over TCP only with sslmode=verify-full (the server certificate and host name verified), not sslmode=${modeParam}; set sslmode=verify-full&sslrootcert=<CA file> in the URL, or connect over a Unix socket.`,
      { param: 'database' });
  }
  const poolSize = opts.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) throw configError('The pool size must be an integer from 1 to 1000.');
  const timeoutParam = parsed.searchParams.get('connect_timeout');
  const connectTimeout = timeoutParam === null ? CONNECT_TIMEOUT_MS : Number(timeoutParam) * 1000;
  if (!Number.isFinite(connectTimeout) || connectTimeout <= 0) throw configError('connect_timeout must be a positive number of seconds.');
  return {
    host,
    port: parsed.port === '' ? 5432 : Number(parsed.port),
    database,
    user: decodeURIComponent(parsed.username) || undefined,
    // the password from the secrets file/environment wins over one embedded in the URL
    password: password ?? (parsed.password === '' ? undefined : decodeURIComponent(parsed.password)),
    // PostgreSQL has no TLS on a Unix socket (libpq ignores sslmode there too)
    ssl: socket ? false : tlsOptions(modeParam as SslMode, parsed.searchParams),
    application_name: parsed.searchParams.get('application_name') ?? 'strongbox',
    // every session computes in UTC, whatever the server's default
    options: '-c timezone=UTC',
    types: pgTypeParsers,
    max: poolSize,
    connectionTimeoutMillis: connectTimeout,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    // idle pooled connections alone do not keep a CLI command's process alive
    allowExitOnIdle: true,
  };
}
