/** A real Strongbox edge on sockets (HTTPS with a test CA, optional redirect/admin listeners) for edge tests. */
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { connect as netConnect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { StrongboxConfig } from '../../src/config/config.ts';
import type { Engine } from '../../src/core/engine.ts';
import type { ListenAddresses } from '../../src/http/edge/edge-listeners.ts';
import type { LoadShedder } from '../../src/http/edge/load-shedder.ts';
import { tlsServerOptions } from '../../src/crypto/tls-options.ts';
import { loadTls } from '../../src/core/edge/tls-material.ts';
import { openTestEngine, testConfig, tempSqlite, type TestConfigOptions } from './test-engine.ts';
import { loopbackCerts } from './test-certs.ts';
import { tempDir } from '../cli/cli-helpers.ts';

export interface EdgeServer {
  readonly engine: Engine;
  readonly app: FastifyInstance;
  readonly addresses: ListenAddresses;
  readonly origin: string;
  readonly ca: string;
  readonly certDir: string;
  request(path: string, opts?: EdgeRequest): Promise<EdgeResponse>;
  close(): Promise<void>;
}

export interface EdgeRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  port?: number;
  plain?: boolean;
  agent?: false | import('node:https').Agent;
  timeoutMs?: number;
  /** mTLS: present this client certificate (PEM texts). */
  clientCert?: { cert: string; key: string };
}

export interface EdgeResponse { status: number; headers: IncomingHttpHeaders; text: string }

export interface EdgeServerOptions extends TestConfigOptions {
  readonly config?: (c: StrongboxConfig) => StrongboxConfig;
  readonly override?: (e: Engine) => Engine;
  readonly shedder?: LoadShedder;
  /** Plain HTTP instead of HTTPS. */
  readonly plain?: boolean;
  readonly proxyOnly?: boolean;
  readonly certDir?: string;
  readonly routes?: (app: FastifyInstance) => void;
  /** Runs on the engine before the server is built (create the accounts listen.tls.clients names). */
  readonly beforeServe?: (engine: Engine) => Promise<void>;
  /** Serve the config's listen.tls through loadTls (its client CA included) instead of the loopback pair. */
  readonly tlsFromConfig?: boolean;
}

export async function startEdge(opts: EdgeServerOptions = {}): Promise<EdgeServer> {
  const tmp = opts.certDir === undefined ? tempDir('strongbox-edge-') : null;
  const certDir = opts.certDir ?? tmp!.dir;
  const certs = loopbackCerts(certDir);
  const { openEngine } = await import('../../src/core/engine.ts');
  const { buildServer } = await import('../../src/http/build-server.ts');
  const base = testConfig(tempSqlite(), opts);
  const config = opts.config ? opts.config(base) : base;
  const real = opts.config ? await openEngine(config) : await openTestEngine(config.database, opts);
  const engine = opts.override ? opts.override(real) : real;
  await opts.beforeServe?.(engine);
  const tls = opts.plain ? null : opts.tlsFromConfig ? loadTls(config.listen.tls!, config.listen.host) : tlsServerOptions({ certPem: readFileSync(certs.cert, 'utf8'), keyPem: readFileSync(certs.key, 'utf8') }, 'TLSv1.3');
  const app = await buildServer(engine, { tls, shedder: opts.shedder, proxyOnly: opts.proxyOnly, routes: opts.routes });
  const addresses = await app.strongboxEdge.listen(app);
  const ca = readFileSync(certs.caCert, 'utf8');
  const scheme = opts.plain ? 'http' : 'https';
  return {
    engine, app, addresses, ca, certDir,
    origin: `${scheme}://127.0.0.1:${addresses.main.port}`,
    request: (path, r = {}) => edgeRequest({ ...r, plain: r.plain ?? opts.plain, port: r.port ?? addresses.main.port, ca }, path),
    async close() {
      await app.close();
      await real.close();
      tmp?.cleanup();
    },
  };
}

export function edgeRequest(r: EdgeRequest & { port: number; ca?: string; host?: string }, path: string): Promise<EdgeResponse> {
  return new Promise((done, fail) => {
    const options = { host: r.host ?? '127.0.0.1', port: r.port, path, method: r.method ?? 'GET', headers: r.headers, agent: r.agent ?? false, timeout: r.timeoutMs ?? 15_000 };
    const cb = (res: import('node:http').IncomingMessage): void => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => { text += d; }).on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', fail);
    };
    const req = r.plain ? httpRequest(options, cb) : httpsRequest({ ...options, ca: r.ca, servername: 'localhost', ...r.clientCert }, cb);
    req.on('timeout', () => req.destroy(new Error(`timed out: ${path}`)));
    req.on('error', fail);
    req.end(r.body);
  });
}

/** Writes raw bytes on a new connection and collects everything until it closes (or timeoutMs). */
export function rawExchange(port: number, data: string, opts: { ca?: string; tls?: boolean; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((done, fail) => {
    const socket = opts.tls === false ? netConnect({ host: '127.0.0.1', port }) : tlsConnect({ host: '127.0.0.1', port, ca: opts.ca, servername: 'localhost' });
    let out = '';
    const timer = setTimeout(() => { socket.destroy(); done(out); }, opts.timeoutMs ?? 10_000);
    socket.setEncoding('utf8');
    socket.on(opts.tls === false ? 'connect' : 'secureConnect', () => socket.write(data));
    socket.on('data', (d: string) => { out += d; });
    socket.on('close', () => { clearTimeout(timer); done(out); });
    socket.on('error', (err) => { clearTimeout(timer); if (out) done(out); else fail(err); });
  });
}

export { tempSqlite };
