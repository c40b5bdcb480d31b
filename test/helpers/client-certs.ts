/** Client-certificate PKIs for mTLS tests, made with Debian's openssl into a temp folder (never committed). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export interface TestCa { readonly name: string; readonly cert: string; readonly key: string; readonly dir: string }
export interface ClientCert {
  readonly cert: string; // PEM text
  readonly key: string; // PEM text
  readonly certFile: string;
  /** `sha256:AB:CD:…` as `openssl x509 -fingerprint -sha256` prints it */
  readonly fingerprint: string;
}

const run = (args: string[]): void => {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

/** A P-256 CA (CA:TRUE, keyCertSign) valid 30 days: self-signed, or an intermediate issued by `parent`. */
export function makeCa(dir: string, name: string, parent?: TestCa): TestCa {
  const caDir = join(dir, name);
  mkdirSync(join(caDir, 'issued'), { recursive: true });
  const cert = join(caDir, 'ca.pem');
  const key = join(caDir, 'ca-key.pem');
  if (parent === undefined) {
    run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '30',
      '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  } else {
    run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', `${cert}.csr`, '-subj', `/CN=${name}`]);
    writeFileSync(join(parent.dir, 'serial'), randomBytes(8).toString('hex'));
    run(['ca', '-batch', '-notext', '-config', join(parent.dir, 'openssl.cnf'), '-cert', parent.cert, '-keyfile', parent.key, '-in', `${cert}.csr`, '-out', cert, '-extensions', 'intermediate']);
  }
  writeFileSync(join(caDir, 'index.txt'), '');
  writeFileSync(join(caDir, 'openssl.cnf'), [
    '[ca]', 'default_ca = tca', '[tca]', `database = ${join(caDir, 'index.txt')}`, `new_certs_dir = ${join(caDir, 'issued')}`,
    `serial = ${join(caDir, 'serial')}`, 'default_md = sha256', 'policy = any', 'unique_subject = no', 'copy_extensions = none',
    'x509_extensions = client', 'default_days = 30', '[any]', 'commonName = supplied',
    '[client]', 'basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature', 'extendedKeyUsage = clientAuth',
    '[server]', 'basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature', 'extendedKeyUsage = serverAuth',
    '[intermediate]', 'basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign', '',
  ].join('\n'));
  return { name, cert, key, dir: caDir };
}

/**
 * A client certificate for CN=`cn` issued by `ca`; `startdate`/`enddate` (YYYYMMDDHHMMSSZ) make
 * one that is expired or not yet valid; purpose 'server' gives a serverAuth-only certificate.
 */
export function issueClient(ca: TestCa, cn: string, dates: { startdate?: string; enddate?: string; purpose?: 'client' | 'server' } = {}): ClientCert {
  const base = join(ca.dir, `${cn}-${randomBytes(4).toString('hex')}`);
  writeFileSync(join(ca.dir, 'serial'), randomBytes(8).toString('hex'));
  run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}-key.pem`, '-out', `${base}.csr`, '-subj', `/CN=${cn}`]);
  run(['ca', '-batch', '-notext', '-config', join(ca.dir, 'openssl.cnf'), '-cert', ca.cert, '-keyfile', ca.key, '-in', `${base}.csr`, '-out', `${base}.pem`,
    '-extensions', dates.purpose ?? 'client', ...(dates.startdate ? ['-startdate', dates.startdate] : []), ...(dates.enddate ? ['-enddate', dates.enddate] : [])]);
  const out = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', `${base}.pem`], { encoding: 'utf8' });
  const m = /Fingerprint=([0-9A-F:]+)/i.exec(out);
  if (m === null) throw new Error(`no fingerprint in: ${out}`);
  return { cert: readFileSync(`${base}.pem`, 'utf8'), key: readFileSync(`${base}-key.pem`, 'utf8'), certFile: `${base}.pem`, fingerprint: `sha256:${m[1]}` };
}

/** A self-signed "CA-less" client certificate carrying the same subject as another (a forgery attempt). */
export function selfSignedClient(dir: string, cn: string): ClientCert {
  const base = join(dir, `self-${cn}-${randomBytes(4).toString('hex')}`);
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}-key.pem`, '-out', `${base}.pem`, '-days', '30',
    '-subj', `/CN=${cn}`, '-addext', 'extendedKeyUsage=clientAuth']);
  const out = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', `${base}.pem`], { encoding: 'utf8' });
  const m = /Fingerprint=([0-9A-F:]+)/i.exec(out)!;
  return { cert: readFileSync(`${base}.pem`, 'utf8'), key: readFileSync(`${base}-key.pem`, 'utf8'), certFile: `${base}.pem`, fingerprint: `sha256:${m[1]}` };
}
