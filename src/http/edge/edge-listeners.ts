import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { StrongboxConfig } from '../../config/config.ts';
import { ADMIN_LISTENER } from './admin-surface.ts';
import { createEdgeServer, reloadTls, type EdgeHttpServer, type EdgeServerOptions } from './edge-server.ts';
import { createRedirectServer } from './redirect-server.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

declare module 'fastify' {
  interface FastifyInstance {
    /** The listeners around the Fastify app (src/http/edge/edge-listeners.ts). */
    strongboxEdge: EdgeListeners;
  }
}

export interface ListenAddresses {
  readonly main: AddressInfo;
  readonly admin: AddressInfo | null;
  readonly redirect: AddressInfo | null;
}

/**
 * The servers of one Strongbox: the main listener (Fastify's), and optionally the admin
 * listener (admin.listen, same handler, requests marked) and the plain-HTTP redirect listener.
 */
export class EdgeListeners {
  readonly #config: StrongboxConfig;
  readonly #opts: EdgeServerOptions;
  readonly #servers: EdgeHttpServer[] = [];
  readonly #extra: EdgeHttpServer[] = [];
  #handler: Handler | null = null;
  /** Called after every reload with the new options (the mTLS client CA follows the listeners). */
  readonly onReload: ((tls: SecureContextOptions) => void)[] = [];

  constructor(config: StrongboxConfig, opts: EdgeServerOptions) {
    this.#config = config;
    this.#opts = opts;
  }

  get tls(): boolean {
    return this.#opts.tls !== null;
  }

  /** Fastify's serverFactory: called once per bound address (localhost may bind two). */
  readonly factory = (handler: Handler): EdgeHttpServer => {
    this.#handler ??= handler;
    const server = createEdgeServer(handler, this.#opts);
    this.#servers.push(server);
    return server;
  };

  /** Starts Fastify on listen.host:port, then the admin and redirect listeners. */
  async listen(app: FastifyInstance): Promise<ListenAddresses> {
    const { host, port } = this.#config.listen;
    await app.listen({ host, port });
    const main = app.server.address() as AddressInfo;
    let admin: AddressInfo | null = null;
    const adminListen = this.#config.admin.listen;
    if (adminListen !== null) {
      const handler = this.#handler;
      if (handler === null) throw new Error('edge: the admin listener needs the main server first');
      const server = createEdgeServer((req, res) => {
        (req as IncomingMessage & { [ADMIN_LISTENER]?: boolean })[ADMIN_LISTENER] = true;
        handler(req, res);
      }, { ...this.#opts, proxyOnly: false });
      admin = await this.#start(server, adminListen.host, adminListen.port);
    }
    let redirect: AddressInfo | null = null;
    if (this.#config.listen.redirectHttp !== null) {
      redirect = await this.#start(createRedirectServer(main.port, this.#config.limits), host, this.#config.listen.redirectHttp);
    }
    return { main, admin, redirect };
  }

  /** New certificate and key on every HTTPS listener; connections already open are untouched. */
  reload(tls: SecureContextOptions): void {
    for (const s of [...this.#servers, ...this.#extra]) if ('setSecureContext' in s) reloadTls(s, tls);
    for (const f of this.onReload) f(tls);
  }

  /** Closes the extra listeners (Fastify closes its own). */
  async close(): Promise<void> {
    await Promise.all(this.#extra.map((s) => new Promise<void>((done) => {
      s.close(() => done());
      s.closeIdleConnections();
    })));
  }

  #start(server: EdgeHttpServer, host: string, port: number): Promise<AddressInfo> {
    this.#extra.push(server);
    return new Promise((done, fail) => {
      server.once('error', fail);
      server.listen({ host, port }, () => {
        server.off('error', fail);
        done(server.address() as AddressInfo);
      });
    });
  }
}
