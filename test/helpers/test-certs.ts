/** Certificates for edge tests, made with Debian's openssl into a temp folder (never committed). */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureDevCertificates, type DevCertificates } from '../../src/crypto/dev-certificates.ts';

/** A dev CA and a localhost/127.0.0.1/::1 certificate in `<dir>/tls/`. */
export function loopbackCerts(dir: string): DevCertificates {
  return ensureDevCertificates(dir, '127.0.0.1');
}

/** A self-signed P-256 certificate for `names` (DNS or IP), valid `days` days. */
export function selfSigned(dir: string, name: string, names: readonly string[], days = 1): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key,
    '-out', cert, '-days', String(days), '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${san}`], { stdio: 'ignore' });
  return { cert, key };
}

/** openssl is a CI package (.ci/run); null when it runs, else why not. */
export function opensslMissing(): string | null {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'the openssl command is not installed';
  }
}
