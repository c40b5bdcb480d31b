import { X509Certificate, constants, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';

/** PEM text of a certificate chain and its private key, as read from disk. */
export interface TlsMaterial {
  readonly certPem: string;
  readonly keyPem: string;
}

/** Options for https.createServer / server.setSecureContext. */
export interface TlsServerOptions {
  readonly cert: string;
  readonly key: string;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly maxVersion: 'TLSv1.3';
  readonly ciphers: string;
  readonly honorCipherOrder: true;
  readonly secureOptions: number;
  readonly ecdhCurve: string;
  /** mTLS (listen.tls.clientCa): the CAs client certificates are verified against. */
  readonly ca?: string;
  /** mTLS: ask for a client certificate, but let clients without one (or with a bad one) in: the edge decides (src/http/edge/client-cert.ts). */
  readonly requestCert?: boolean;
  readonly rejectUnauthorized?: boolean;
}

// TLS 1.3 suites are all AEAD; for TLS 1.2 only ECDHE key exchange (forward secrecy) with AEAD.
const TLS13_SUITES = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];
const TLS12_SUITES = [
  'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
];

/** No renegotiation (a DoS lever and an old attack surface), no compression (CRIME). */
const SECURE_OPTIONS = constants.SSL_OP_NO_RENEGOTIATION | constants.SSL_OP_NO_COMPRESSION | constants.SSL_OP_CIPHER_SERVER_PREFERENCE;

export function tlsServerOptions(m: TlsMaterial, minVersion: 'TLSv1.2' | 'TLSv1.3'): TlsServerOptions {
  return {
    cert: m.certPem,
    key: m.keyPem,
    minVersion,
    maxVersion: 'TLSv1.3',
    ciphers: (minVersion === 'TLSv1.2' ? [...TLS13_SUITES, ...TLS12_SUITES] : TLS13_SUITES).join(':'),
    honorCipherOrder: true,
    secureOptions: SECURE_OPTIONS,
    // Elliptic-curve groups only: no finite-field DHE (ffdhe2048 is only 112-bit strong).
    ecdhCurve: 'X25519:prime256v1:secp384r1',
  };
}

/**
 * What is wrong with a certificate/key pair, or null when it can serve: a parseable chain whose
 * first certificate matches the key, is valid at `now`, and names every host in `hosts`.
 */
export function certificateProblem(m: TlsMaterial, hosts: readonly string[], now: number): { part: 'cert' | 'key'; problem: string } | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(m.certPem);
  } catch {
    return { part: 'cert', problem: 'is not a PEM certificate' };
  }
  let key;
  try {
    key = createPrivateKey(m.keyPem);
  } catch {
    return { part: 'key', problem: 'is not a PEM private key (an encrypted key is not supported)' };
  }
  if (!cert.checkPrivateKey(key)) return { part: 'key', problem: 'does not belong to the certificate (mismatched pair)' };
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (!(now < to)) return { part: 'cert', problem: `expired on ${new Date(to).toISOString()}` };
  if (!(now >= from)) return { part: 'cert', problem: `is not valid before ${new Date(from).toISOString()}` };
  for (const host of hosts) {
    const ok = isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host, { subject: 'never' }) !== undefined;
    if (!ok) return { part: 'cert', problem: `does not name the listen host ${host} (subjectAltName)` };
  }
  return null;
}

/** When the certificate stops being valid (ms since the epoch), for warnings; null if unreadable. */
export function certificateExpiry(certPem: string): number | null {
  try {
    return Date.parse(new X509Certificate(certPem).validTo);
  } catch {
    return null;
  }
}
