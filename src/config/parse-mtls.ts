import type { IssueSink, KeyPath } from './config-error.ts';
import type { ClientCertMapping } from './edge-config.ts';
import { checkKeys, describe, isRawMap, own, type RawMap } from './read-value.ts';

/** The mTLS keys of listen.tls (docs/edge.md, "Client certificates"). */
export const MTLS_KEYS = ['clientCa', 'clients'] as const;

/** At most this many pinned client certificates: a longer list belongs in a real PKI with per-account CAs. */
const MAX_CLIENTS = 1000;

/** `sha256:` and 32 bytes of hex, with or without the colons openssl prints between bytes. */
const FINGERPRINT = /^sha256:((?:[0-9a-f]{2}:){31}[0-9a-f]{2}|[0-9a-f]{64})$/i;
/** An email as the accounts store them (checked again against the row at start). */
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/** The fingerprint as 64 lower-case hex digits, or null when it is not `sha256:<32 bytes of hex>`. */
export function parseFingerprint(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = FINGERPRINT.exec(value.trim());
  return m === null ? null : m[1].replaceAll(':', '').toLowerCase();
}

/**
 * listen.tls.clientCa (a PEM bundle) and listen.tls.clients ([{ fingerprint, account }]). Both or
 * neither: a CA without mappings would ask every client for a certificate and grant nothing, and
 * mappings without a CA could never match. A fingerprint may appear once.
 */
export function parseMtls(t: RawMap, tpath: KeyPath, sink: IssueSink, readPath: (key: string) => string | null):
  { clientCa?: string | null; clients?: readonly ClientCertMapping[] } {
  const rawCa = own(t, 'clientCa');
  const rawClients = own(t, 'clients');
  if ((rawCa === undefined || rawCa === null) && (rawClients === undefined || rawClients === null)) return {}; // mTLS off: listen.tls stays as it was
  const clientCa = readPath('clientCa');
  if (clientCa === null && (rawCa === undefined || rawCa === null)) sink.add(tpath, 'clients needs clientCa (a PEM bundle of the CA that issues client certificates)');
  const cpath = [...tpath, 'clients'];
  if (!Array.isArray(rawClients) || rawClients.length === 0) {
    sink.add(rawClients === undefined || rawClients === null ? tpath : cpath,
      `clientCa needs clients (a list of { fingerprint, account }), got ${describe(rawClients)}`);
    return { clientCa, clients: [] };
  }
  if (rawClients.length > MAX_CLIENTS) sink.add(cpath, `at most ${MAX_CLIENTS} client certificates`);
  const seen = new Map<string, number>();
  const clients: ClientCertMapping[] = [];
  rawClients.slice(0, MAX_CLIENTS).forEach((item, i) => {
    const ipath = [...cpath, i];
    if (!isRawMap(item)) {
      sink.add(ipath, `expected a mapping { fingerprint, account }, got ${describe(item)}`);
      return;
    }
    checkKeys(item, ['fingerprint', 'account'], ipath, sink, 'a client certificate');
    const fingerprint = parseFingerprint(own(item, 'fingerprint'));
    if (fingerprint === null) {
      sink.add([...ipath, 'fingerprint'], "expected 'sha256:' and the certificate's SHA-256 fingerprint in hex (openssl x509 -noout -fingerprint -sha256)");
    } else if (seen.has(fingerprint)) {
      sink.add([...ipath, 'fingerprint'], `the same certificate is already mapped by clients[${seen.get(fingerprint)}]`);
    }
    const account = own(item, 'account');
    const email = typeof account === 'string' && EMAIL.test(account.trim()) ? account.trim().toLowerCase() : null;
    if (email === null) sink.add([...ipath, 'account'], "expected the email of an existing account, such as 'svc-billing@example.com'");
    if (fingerprint !== null && !seen.has(fingerprint) && email !== null) {
      seen.set(fingerprint, i);
      clients.push({ fingerprint, account: email, keyPath: `${cpath.join('.')}[${i}]` });
    }
  });
  return { clientCa, clients };
}
