import { readFileSync, statSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { isIP } from 'node:net';
import type { TlsConfig } from '../../config/edge-config.ts';
import { certificateProblem, tlsServerOptions, type TlsServerOptions } from '../../crypto/tls-options.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import { ClientCaBundle } from '../../crypto/client-ca.ts';

/** Largest PEM file read (bytes): a long chain is a few KiB. */
const MAX_PEM_BYTES = 256 * 1024;

function readPem(path: string, keyPath: string): string {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    throw new StrongboxError('ERR_TLS_CONFIG', `${keyPath}: cannot read ${path} (${code === 'ENOENT' ? 'no such file' : code})`);
  }
  if (!st.isFile()) throw new StrongboxError('ERR_TLS_CONFIG', `${keyPath}: ${path} is not a regular file`);
  if (st.size > MAX_PEM_BYTES) throw new StrongboxError('ERR_TLS_CONFIG', `${keyPath}: ${path} is larger than 256 KiB`);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new StrongboxError('ERR_TLS_CONFIG', `${keyPath}: cannot read ${path} (${(err as { code?: string }).code ?? 'error'})`);
  }
}

/** Hosts a certificate must name: the listen host, unless it is a wildcard address (then none can be checked). */
export function hostsToCheck(host: string): string[] {
  const h = host.replace(/^\[(.*)\]$/, '$1');
  if (h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0') return [];
  return [isIP(h) ? h : h.toLowerCase()];
}

/**
 * Reads and checks listen.tls: both files readable, a matching pair, valid now, naming the
 * listen host. Any problem is ERR_TLS_CONFIG naming the config key and the file.
 */
export function loadTls(tls: TlsConfig, host: string, now = Date.now()): TlsServerOptions {
  const certPem = readPem(tls.cert, 'listen.tls.cert');
  const keyPem = readPem(tls.key, tls.keySource);
  const problem = certificateProblem({ certPem, keyPem }, hostsToCheck(host), now);
  if (problem !== null) {
    const [keyPath, file] = problem.part === 'cert' ? ['listen.tls.cert', tls.cert] : [tls.keySource, tls.key];
    throw new StrongboxError('ERR_TLS_CONFIG', `${keyPath}: ${file} ${problem.problem}`);
  }
  const options = tlsServerOptions({ certPem, keyPem }, tls.minVersion);
  if (tls.clientCa === undefined || tls.clientCa === null) return options;
  return { ...options, ...clientCaOptions(tls.clientCa, now) };
}

/** listen.tls.clientCa read and checked; client certificates are asked for, never required (tokens still work). */
function clientCaOptions(file: string, now: number): { ca: string; requestCert: true; rejectUnauthorized: false } {
  const ca = readPem(file, 'listen.tls.clientCa');
  const bundle = ClientCaBundle.parse(ca, now);
  if ('problem' in bundle) throw new StrongboxError('ERR_TLS_CONFIG', `listen.tls.clientCa: ${file} ${bundle.problem}`);
  return { ca, requestCert: true, rejectUnauthorized: false };
}

export interface TlsWatcher { close(): void }

const POLL_MS = 1000; // how often the files are stat'ed (ms); polling survives rename-into-place

/**
 * Watches the cert and key files; when either changes and the pair checks out again, `apply`
 * gets the new options (the server swaps its secure context; open connections keep theirs).
 * A bad pair is reported through `onError` and the old one stays in service.
 */
export function watchTls(tls: TlsConfig, host: string, apply: (opts: TlsServerOptions) => void,
  onError: (err: unknown) => void, pollMs = POLL_MS): TlsWatcher {
  let timer: NodeJS.Timeout | null = null;
  const changed = (cur: Stats, prev: Stats): void => {
    if (cur.mtimeMs === prev.mtimeMs && cur.ino === prev.ino && cur.size === prev.size) return;
    // Renewal tools write the two files one after the other: wait for both to settle.
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      try {
        apply(loadTls(tls, host));
      } catch (err) {
        onError(err);
      }
    }, Math.max(50, pollMs / 2));
  };
  // The client CA bundle reloads with the pair (the edge re-checks open connections against it).
  const files = [tls.cert, tls.key, ...(tls.clientCa ? [tls.clientCa] : [])];
  for (const f of files) watchFile(f, { interval: pollMs, persistent: false }, changed);
  return {
    close() {
      if (timer) clearTimeout(timer);
      for (const f of files) unwatchFile(f, changed);
    },
  };
}
