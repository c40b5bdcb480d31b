/**
 * A throwaway PostgreSQL 15 cluster for tests: initdb in a temp folder, scram-sha-256, TLS
 * only (a CA made here with the openssl CLI), a random port on 127.0.0.1. As root it runs as
 * the `postgres` user. stop() removes every trace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PgCluster {
  /** Connection URL for the app role (no password; TLS verify-full) to database `dbName`. */
  url(dbName: string): string;
  /** Superuser URL to the `postgres` database (no password; TLS verify-full). */
  readonly adminUrl: string;
  /** PEM file of the CA that signed the server certificate. */
  readonly caFile: string;
  /** Password of both the superuser and the app role. */
  readonly password: string;
  /** The server log (pgaudit writes there); null when attached without one. */
  readonly logFile: string | null;
  /** Whether the server loaded pgaudit (shared_preload_libraries), or why not. */
  readonly pgaudit: { loaded: true } | { loaded: false; reason: string };
  /** CREATE DATABASE with a random name owned by the app role; resolves to its url(). */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

export const PG_MAJOR = 15;
export const APP_ROLE = 'strongbox_test';
/** The one role pg_hba.conf authenticates by client certificate (CN = role name) instead of a password. */
export const CERT_AUTH_ROLE = 'sb_cert_app';
const ADMIN_ROLE = 'postgres';
const WAIT_SECONDS = 30;

/** Environment a test run hands to its test processes (see test/run.ts, test/helpers/dialects.ts). */
export const PG_ENV = {
  url: 'STRONGBOX_TEST_PG_URL', // admin URL, database `postgres`
  password: 'STRONGBOX_TEST_PG_PASSWORD',
  ca: 'STRONGBOX_TEST_PG_CA',
  unavailable: 'STRONGBOX_TEST_PG_UNAVAILABLE', // set to the reason when the run has no cluster
  binDir: 'STRONGBOX_TEST_PG_BINDIR', // optional: where initdb and pg_ctl are, instead of searching
  log: 'STRONGBOX_TEST_PG_LOG', // the server log file
  noPgaudit: 'STRONGBOX_TEST_PG_NO_PGAUDIT', // set to the reason when the cluster runs without pgaudit
} as const;

/** Where Debian's postgresql-15-pgaudit puts the library, next to the server binaries. */
function pgauditLibrary(binDir: string): string {
  return join(binDir, '..', 'lib', 'pgaudit.so');
}

/** The folder holding initdb/pg_ctl for PostgreSQL 15, or null with why. */
export function findPgBinDir(): { dir: string } | { dir: null; reason: string } {
  const override = process.env[PG_ENV.binDir];
  const candidates = override ? [override] : [`/usr/lib/postgresql/${PG_MAJOR}/bin`];
  if (!override) {
    try {
      candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    } catch {
      // no pg_config on PATH
    }
  }
  for (const dir of candidates) {
    if (!existsSync(join(dir, 'initdb')) || !existsSync(join(dir, 'pg_ctl'))) continue;
    const version = spawnSync(join(dir, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout ?? '';
    const major = Number(/(\d+)\.\d+/.exec(version)?.[1]);
    if (major >= PG_MAJOR) return { dir };
  }
  return { dir: null, reason: `PostgreSQL ${PG_MAJOR} server binaries not found (apt-get install postgresql-${PG_MAJOR})` };
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** Runs a PostgreSQL tool, as the postgres user when we are root (postgres refuses to run as root). */
function runPg(bin: string, args: string[], cwd: string): void {
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const res = spawnSync(cmd, argv, { cwd, encoding: 'utf8', timeout: (WAIT_SECONDS + 5) * 1000 });
  if (res.status !== 0) {
    const out = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().slice(-2000);
    throw new Error(`${bin.split('/').pop()} failed (${res.error?.message ?? `exit ${res.status}`}): ${out}`);
  }
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: WAIT_SECONDS * 1000 });
}

/** A test CA and a server certificate for localhost and 127.0.0.1 (EC P-256: fast to make). */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const subjCa = '/CN=Strongbox test CA';
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', subjCa, '-keyout', 'ca.key', '-out', 'ca.crt',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost',
    '-keyout', 'server.key', '-out', 'server.csr'], dir);
  writeFileSync(join(dir, 'server.ext'), [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ].join('\n'));
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-extfile', 'server.ext', '-out', 'server.crt'], dir);
  chmodSync(join(dir, 'server.key'), 0o600);
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
}

/** A port free right now on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownTree(child, uid, gid);
    else chownSync(child, uid, gid);
  }
}

function postgresIds(): { uid: number; gid: number } {
  const out = execFileSync('id', ['postgres'], { encoding: 'utf8' });
  const uid = Number(/uid=(\d+)/.exec(out)?.[1]);
  const gid = Number(/gid=(\d+)/.exec(out)?.[1]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('cannot resolve the postgres user');
  return { uid, gid };
}

function clusterUrl(user: string, port: number, db: string, caFile: string): string {
  const q = new URLSearchParams({ sslmode: 'verify-full', sslrootcert: caFile });
  return `postgres://${user}@127.0.0.1:${port}/${encodeURIComponent(db)}?${q.toString()}`;
}

function adminClientConfig(port: number, password: string, caFile: string): pg.ClientConfig {
  return {
    host: '127.0.0.1', port, database: 'postgres', user: ADMIN_ROLE, password,
    connectionTimeoutMillis: WAIT_SECONDS * 1000,
    query_timeout: WAIT_SECONDS * 1000,
    // verify-full: the server certificate names 127.0.0.1
    ssl: { ca: readFileSync(caFile, 'utf8'), rejectUnauthorized: true },
  };
}

/** Handle for a cluster that some other process started (test/run.ts), from its URL and secrets. */
export function attachPgCluster(adminUrl: string, password: string, caFile: string,
  extra: { logFile?: string | null; noPgaudit?: string | null } = {}): PgCluster {
  const port = Number(new URL(adminUrl).port);
  const logFile = extra.logFile ?? process.env[PG_ENV.log] ?? null;
  const noPgaudit = extra.noPgaudit !== undefined ? extra.noPgaudit : (process.env[PG_ENV.noPgaudit] ?? null);
  return {
    url: (db) => clusterUrl(APP_ROLE, port, db, caFile),
    adminUrl,
    caFile,
    password,
    logFile,
    pgaudit: noPgaudit ? { loaded: false, reason: noPgaudit } : { loaded: true },
    async createDatabase() {
      // a connection per call: a long-lived one would keep the test process from exiting
      const client = new pg.Client(adminClientConfig(port, password, caFile));
      client.on('error', () => undefined);
      await client.connect();
      try {
        const name = `sbtest_${randomBytes(8).toString('hex')}`; // [a-z0-9_] only: safe as an identifier
        await client.query(`CREATE DATABASE ${name} OWNER ${APP_ROLE}`);
        return clusterUrl(APP_ROLE, port, name, caFile);
      } finally {
        await client.end();
      }
    },
    async stop() {
      // attached: the process that started the cluster stops it
    },
  };
}

export interface StartedPgCluster extends PgCluster {
  /** For process 'exit' handlers, where nothing async runs. */
  stopSync(): void;
  /** Milliseconds from start() to accepting TLS connections. */
  readonly startupMs: number;
}

function serverConfig(port: number, tls: { ca: string; cert: string; key: string }, pgaudit: boolean): string {
  return [
    ...(pgaudit ? ["shared_preload_libraries = 'pgaudit'"] : []),
    "log_line_prefix = '%m [%p] %q%u@%d '",
    '',
    '# strongbox test cluster',
    "listen_addresses = '127.0.0.1'",
    `port = ${port}`,
    "unix_socket_directories = ''", // TCP only, so every connection goes through pg_hba's hostssl line
    'ssl = on',
    `ssl_cert_file = '${tls.cert}'`,
    `ssl_key_file = '${tls.key}'`,
    `ssl_ca_file = '${tls.ca}'`, // client certificates (the cert line in pg_hba.conf) are checked against the test CA
    "password_encryption = 'scram-sha-256'",
    'max_connections = 100',
    'shared_buffers = 16MB',
    // speed over durability: the cluster is thrown away
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    "timezone = 'UTC'",
    '',
  ].join('\n');
}

/**
 * Starts a fresh cluster; throws if binaries are missing (check findPgBinDir() first).
 * pgaudit is loaded when installed, unless `pgaudit: false` (a test of a server without it).
 */
export async function startPgCluster(opts: { pgaudit?: boolean } = {}): Promise<StartedPgCluster> {
  const started = Date.now();
  const found = findPgBinDir();
  if (found.dir === null) throw new Error(found.reason);
  const bin = (name: string): string => join(found.dir, name);
  const root = mkdtempSync(join(tmpdir(), 'strongbox-pg-'));
  const data = join(root, 'data');
  const logFile = join(root, 'server.log');
  let running = false;
  const pgaudit = opts.pgaudit !== false && existsSync(pgauditLibrary(found.dir));
  const noPgaudit = pgaudit ? null : opts.pgaudit === false ? 'not loaded on request'
    : `pgaudit is not installed (${pgauditLibrary(found.dir)}; apt-get install postgresql-${PG_MAJOR}-pgaudit)`;
  const stopSync = (): void => {
    if (running) {
      try {
        runPg(bin('pg_ctl'), ['-D', data, '-m', 'immediate', '-w', '-t', String(WAIT_SECONDS), 'stop'], root);
      } catch {
        killPostmaster(data);
      }
      running = false;
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const tls = makeCertificates(root);
    const password = randomBytes(18).toString('base64url');
    writeFileSync(join(root, 'pwfile'), `${password}\n`, { mode: 0o600 });
    if (isRoot()) {
      const { uid, gid } = postgresIds();
      chownTree(root, uid, gid);
    }
    runPg(bin('initdb'), ['-D', data, '-U', ADMIN_ROLE, '--auth=scram-sha-256', `--pwfile=${join(root, 'pwfile')}`,
      '--encoding=UTF8', '--no-locale', '--no-sync', '--no-instructions'], root);
    rmSync(join(root, 'pwfile'));
    // CERT_AUTH_ROLE signs in with a client certificate from the test CA (test/postgres/db-tls.security.test.ts)
    writeFileSync(join(data, 'pg_hba.conf'), `hostssl all ${CERT_AUTH_ROLE} 127.0.0.1/32 cert\nhostssl all all 127.0.0.1/32 scram-sha-256\n`);
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      appendFileSync(join(data, 'postgresql.conf'), serverConfig(port, tls, pgaudit)); // later lines win
      try {
        runPg(bin('pg_ctl'), ['-D', data, '-l', logFile, '-w', '-t', String(WAIT_SECONDS), 'start'], root);
        running = true;
        break;
      } catch (err) {
        // another process took the port between freePort() and listen: try another
        if (attempt >= 3 || !readLog(logFile).includes('could not bind')) throw err;
      }
    }
    const adminUrl = clusterUrl(ADMIN_ROLE, port, 'postgres', tls.ca);
    const handle = attachPgCluster(adminUrl, password, tls.ca, { logFile, noPgaudit });
    const client = new pg.Client(adminClientConfig(port, password, tls.ca));
    await client.connect();
    try {
      await client.query(`CREATE ROLE ${APP_ROLE} LOGIN PASSWORD ${client.escapeLiteral(password)}`);
    } finally {
      await client.end();
    }
    return {
      ...handle,
      startupMs: Date.now() - started,
      async stop() {
        stopSync();
      },
      stopSync,
    };
  } catch (err) {
    const log = readLog(logFile).slice(-2000);
    stopSync();
    throw new Error(`could not start the PostgreSQL test cluster: ${(err as Error).message}${log ? `\n--- server log ---\n${log}` : ''}`, { cause: err });
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Last resort when pg_ctl cannot stop it: the postmaster we started, by the pid it wrote. */
function killPostmaster(data: string): void {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 1) process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Environment for child processes so they attach to this cluster instead of starting one. */
export function pgClusterEnv(cluster: PgCluster): Record<string, string> {
  return {
    [PG_ENV.url]: cluster.adminUrl, [PG_ENV.password]: cluster.password, [PG_ENV.ca]: cluster.caFile,
    ...(cluster.logFile ? { [PG_ENV.log]: cluster.logFile } : {}),
    ...(cluster.pgaudit.loaded ? {} : { [PG_ENV.noPgaudit]: cluster.pgaudit.reason }),
  };
}
