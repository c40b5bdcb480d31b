import { X509Certificate } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
/** Longest chain walked when re-checking a connection (leaf, intermediates, anchor). */
const MAX_DEPTH = 8;

/**
 * The CAs whose client certificates are believed (listen.tls.clientCa). OpenSSL verifies each
 * handshake against the same PEM; this copy re-checks a connection's certificate chain in the
 * cases OpenSSL does not: a resumed TLS session (verified when it was first made) and a
 * connection opened before the bundle was reloaded.
 */
export class ClientCaBundle {
  readonly pem: string;
  readonly #certs: readonly X509Certificate[];

  private constructor(pem: string, certs: readonly X509Certificate[]) {
    this.pem = pem;
    this.#certs = certs;
  }

  /** Trusts nothing (a reloaded bundle that no longer parses). */
  static empty(): ClientCaBundle {
    return new ClientCaBundle('', []);
  }

  /** The bundle, or what is wrong with it: no certificate, one unparseable, not a CA, or expired. */
  static parse(pem: string, now: number): ClientCaBundle | { problem: string } {
    const blocks = pem.match(PEM_BLOCK) ?? [];
    if (blocks.length === 0) return { problem: 'holds no PEM certificate' };
    const certs: X509Certificate[] = [];
    for (const [i, block] of blocks.entries()) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(block);
      } catch {
        return { problem: `certificate ${i + 1} is not a valid PEM certificate` };
      }
      if (!cert.ca) return { problem: `certificate ${i + 1} (${cert.subject.replaceAll('\n', ', ')}) is not a CA certificate (basicConstraints CA:TRUE)` };
      if (!(now < Date.parse(cert.validTo))) return { problem: `certificate ${i + 1} (${cert.subject.replaceAll('\n', ', ')}) expired on ${new Date(Date.parse(cert.validTo)).toISOString()}` };
      certs.push(cert);
    }
    return new ClientCaBundle(pem, certs);
  }

  /**
   * True when `chain` (DER, leaf first, as the peer sent it) leads, by issuer names and
   * signatures, to a certificate of this bundle, every link valid at `now` and every issuer a CA.
   */
  verifiesChain(chain: readonly Buffer[], now: number): boolean {
    let current: X509Certificate;
    let rest: X509Certificate[];
    try {
      [current, ...rest] = chain.slice(0, MAX_DEPTH).map((der) => new X509Certificate(der));
    } catch {
      return false;
    }
    if (current === undefined) return false;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      if (!validAt(current, now)) return false;
      const cur = current;
      if (this.#certs.some((ca) => issued(ca, cur) && validAt(ca, now))) return true;
      const next = rest.find((c) => c.ca && issued(c, cur));
      if (next === undefined) return false;
      rest = rest.filter((c) => c !== next);
      current = next;
    }
    return false;
  }
}

function issued(issuer: X509Certificate, cert: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

function validAt(cert: X509Certificate, now: number): boolean {
  return now >= Date.parse(cert.validFrom) && now < Date.parse(cert.validTo);
}
