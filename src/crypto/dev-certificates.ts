import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StrongboxError } from '../errors/strongbox-error.ts';
import { certificateProblem } from './tls-options.ts';

/** Files of the dev certificate authority and the localhost certificate it signs. */
export interface DevCertificates {
  readonly dir: string;
  readonly caCert: string; // trust this one
  readonly cert: string;
  readonly key: string; // mode 0600
  /** True when this call created the CA (first run): the caller prints how to trust it. */
  readonly createdCa: boolean;
}

const CA_DAYS = 825; // days the dev CA lives
const LEAF_DAYS = 90; // days a localhost certificate lives; renewed on start in its last 7
const RENEW_MS = 7 * 86_400_000;
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/**
 * The dev CA can sign only loopback names (X.509 name constraints), so a leaked data folder
 * cannot mint a certificate a trusting browser would accept for any real site.
 */
const CA_EXTENSIONS = [
  'basicConstraints = critical, CA:TRUE, pathlen:0',
  'keyUsage = critical, keyCertSign, cRLSign',
  'subjectKeyIdentifier = hash',
  'nameConstraints = critical, permitted;DNS:localhost, permitted;IP:127.0.0.0/255.0.0.0, '
    + 'permitted;IP:0:0:0:0:0:0:0:1/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF',
];

/** A complete openssl config, so nothing from the system's openssl.cnf (default extensions) leaks in. */
function requestConfig(subject: readonly string[], extensions: readonly string[]): string {
  return ['[req]', 'prompt = no', 'distinguished_name = dn', 'x509_extensions = ext', '[dn]', ...subject, '[ext]', ...extensions, ''].join('\n');
}

function openssl(args: readonly string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  } catch (err) {
    const missing = (err as { code?: unknown }).code === 'ENOENT';
    throw new StrongboxError('ERR_TLS_CONFIG', missing
      ? 'serve --dev needs the openssl command to create its local certificate authority (Debian: apt-get install openssl)'
      : `openssl failed while creating the dev certificate (${String((err as { stderr?: unknown }).stderr ?? '').trim().split('\n')[0]})`,
    undefined, { cause: err });
  }
}

function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f; // positive
  return `0x${b.toString('hex')}`;
}

/**
 * Makes sure `<dataDir>/tls/` holds a dev CA and a current certificate for `host` and the
 * loopback names, creating or renewing what is missing, expiring or not naming the host.
 * Keys are written 0600 inside a 0700 folder.
 */
export function ensureDevCertificates(dataDir: string, host: string, now = Date.now()): DevCertificates {
  const dir = join(dataDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  // Several servers started at once on one folder (a dev cluster, a test) would each make a CA
  // and a certificate and rename them over each other's, leaving a certificate signed by a CA
  // that is no longer there: one makes them while the others wait, then they find them valid.
  return withFolderLock(dir, () => ensureIn(dir, host, now));
}

const LOCK_WAIT_MS = 60_000; // an openssl run takes well under a second
const LOCK_STALE_MS = 120_000; // a lock this old was left by a killed process

/** Runs fn while holding `dir/.lock` (created exclusively); waits for another holder, breaks a stale lock. */
function withFolderLock<T>(dir: string, fn: () => T): T {
  const lock = join(dir, '.lock');
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const start = Date.now();
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let age: number;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age > LOCK_STALE_MS) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() - start > LOCK_WAIT_MS) {
        throw new StrongboxError('ERR_UNAVAILABLE', `Another process holds ${lock} (making the development certificates).`);
      }
      Atomics.wait(sleeper, 0, 0, 25); // synchronous: this runs once, at start-up
    }
  }
  try {
    return fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // gone already
    }
  }
}

function ensureIn(dir: string, host: string, now: number): DevCertificates {
  const files = { caCert: join(dir, 'ca.pem'), caKey: join(dir, 'ca-key.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  const names = [...new Set([...LOOPBACK_NAMES, host.replace(/^\[(.*)\]$/, '$1')])];
  const valid = (cert: string, key: string, hosts: readonly string[], margin: number): boolean =>
    existsSync(cert) && existsSync(key)
    && certificateProblem({ certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') }, hosts, now + margin) === null;

  const work = mkdtempSync(join(dir, '.new-'));
  try {
    let createdCa = false;
    const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    if (!valid(files.caCert, files.caKey, [], RENEW_MS)) {
      writeFileSync(join(work, 'ca.cnf'), requestConfig(
        ['O = Strongbox development', `CN = Strongbox dev CA ${new Date(now).toISOString().slice(0, 10)}`], CA_EXTENSIONS));
      openssl(['req', '-x509', '-config', 'ca.cnf', ...newKey, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-sha256',
        '-days', String(CA_DAYS), '-set_serial', serial()], work);
      chmodSync(join(work, 'ca-key.pem'), 0o600);
      renameSync(join(work, 'ca-key.pem'), files.caKey);
      renameSync(join(work, 'ca.pem'), files.caCert);
      createdCa = true;
    }
    if (createdCa || !valid(files.cert, files.key, names, RENEW_MS)) {
      const san = names.map((n) => (/^[\d.]+$/.test(n) || n.includes(':') ? `IP:${n}` : `DNS:${n}`)).join(', ');
      writeFileSync(join(work, 'leaf.cnf'), requestConfig(['CN = localhost'], [
        'basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = serverAuth',
        'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid', `subjectAltName = ${san}`,
      ]));
      // One openssl run: new key, and a certificate for it signed by the CA (req -x509 -CA, OpenSSL 3).
      openssl(['req', '-x509', '-config', 'leaf.cnf', ...newKey, '-keyout', 'key.pem', '-out', 'cert.pem', '-sha256',
        '-CA', files.caCert, '-CAkey', files.caKey, '-days', String(LEAF_DAYS), '-set_serial', serial()], work);
      chmodSync(join(work, 'key.pem'), 0o600);
      renameSync(join(work, 'key.pem'), files.key);
      renameSync(join(work, 'cert.pem'), files.cert);
    }
    for (const f of [files.caKey, files.key]) chmodSync(f, 0o600);
    return { dir, caCert: files.caCert, cert: files.cert, key: files.key, createdCa };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
