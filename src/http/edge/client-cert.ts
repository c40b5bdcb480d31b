import type { FastifyRequest } from 'fastify';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import type { AccountService, AuthContext } from '../../core/auth/account-service.ts';
import type { AuthEvent } from '../../core/auth/auth-events.ts';
import { ServiceAccounts } from '../../core/auth/service-accounts.ts';
import type { Engine } from '../../core/engine.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** mTLS: pinned client certificates as service accounts; null when listen.tls.clientCa is not set. */
    strongboxClientCerts: ClientCertAuth | null;
  }
}

/** Where a connection keeps what its client certificate is: decided once per TLS connection. */
const IDENTITY = Symbol('strongbox.clientCertIdentity');
const MAX_CHAIN = 8;

interface Mapped {
  readonly accountId: string;
  readonly fingerprint: string;
  readonly notAfter: number; // ms since the epoch
  audited: boolean; // auth.mtls.succeeded written for this connection
  refused: boolean; // auth.mtls.refused written for this connection
}
interface Cached { readonly generation: number; identity: Mapped | null }
type CertSocket = TLSSocket & { [IDENTITY]?: Cached };

/**
 * Client certificates to service accounts. A certificate counts only when OpenSSL verified it
 * against listen.tls.clientCa at the handshake, its chain still leads to the current bundle, it
 * is unexpired and its SHA-256 fingerprint is pinned in listen.tls.clients; anything else grants
 * nothing (the request is anonymous unless it carries a token). Headers never carry a
 * certificate: X-Client-Cert, X-SSL-Client-* and the like are not read, from anyone.
 */
export class ClientCertAuth {
  readonly #accounts: ServiceAccounts;
  readonly #sink: AccountService;
  readonly #now: () => number;

  constructor(accounts: ServiceAccounts, sink: AccountService, now: () => number = Date.now) {
    this.#accounts = accounts;
    this.#sink = sink;
    this.#now = now;
  }

  /** Null when listen.tls.clientCa is not set; an unknown or admin account in listen.tls.clients stops the start. */
  static async create(engine: Engine, ca: unknown): Promise<ClientCertAuth | null> {
    const tls = engine.config.listen.tls;
    if (tls === null || tls.clientCa === undefined || tls.clientCa === null) return null;
    if (typeof ca !== 'string') throw new StrongboxError('ERR_TLS_CONFIG', 'listen.tls.clientCa: the HTTPS listener was built without it');
    return new ClientCertAuth(await ServiceAccounts.resolve(engine.db, engine.accounts, tls.clients ?? [], ca), engine.accounts);
  }

  /** The reloaded TLS options: a changed CA bundle makes every connection re-check its certificate. */
  reloaded(tls: { ca?: unknown }): void {
    if (typeof tls.ca === 'string') this.#accounts.trust(tls.ca);
  }

  /**
   * The request's authentication by client certificate, or null when its certificate (if any)
   * grants nothing. A mapped certificate whose account is gone, disabled or now an admin is
   * refused (ERR_UNAUTHENTICATED); the row is read on every such request, so that takes effect at once.
   */
  async authenticate(req: FastifyRequest): Promise<AuthContext | null> {
    const socket = req.raw.socket as CertSocket;
    if ((socket as { encrypted?: boolean }).encrypted !== true) return null;
    const generation = this.#accounts.generation;
    let cached = socket[IDENTITY];
    if (cached === undefined || cached.generation !== generation) {
      cached = { generation, identity: await this.#identify(req, socket) };
      socket[IDENTITY] = cached;
    }
    const id = cached.identity;
    if (id === null) return null;
    if (this.#now() >= id.notAfter) {
      // It expired while the connection stayed open.
      cached.identity = null;
      await this.#unverified(req, id.fingerprint, 'CERT_HAS_EXPIRED');
      return null;
    }
    const account = await this.#accounts.current(id.accountId);
    if (typeof account === 'string') {
      if (!id.refused) {
        await this.#refused(req, id.accountId, account, id.fingerprint);
        id.refused = true;
      }
      throw new StrongboxError('ERR_UNAUTHENTICATED', 'The client certificate\'s account may not sign in.');
    }
    const tokenId = `c-${id.fingerprint.slice(0, 16)}`;
    if (!id.audited) {
      // Fail-closed like a login: without its event the connection is not signed in.
      await this.#sink.audit({ type: 'auth.mtls.succeeded', accountId: account.id, ip: req.ip, requestId: String(req.id), role: account.role, tokenId });
      id.audited = true;
    }
    return { caller: account, kind: 'client-cert', sessionHash: null, mfaPending: false, scopes: null, tokenId };
  }

  /**
   * A request with a certificate-authenticated account AND another credential (Authorization
   * header or session cookie): that credential wins when it is valid and names the same account
   * (an API token's narrower scopes then apply); anything else is refused, never one or the other.
   */
  async combine(req: FastifyRequest, viaCert: AuthContext, presented: boolean, viaToken: AuthContext | null): Promise<AuthContext> {
    if (!presented) return viaCert;
    if (viaToken !== null && viaToken.caller.id === viaCert.caller.id) return viaToken;
    await this.#refused(req, viaCert.caller.id, 'mixed-credentials', null);
    throw new StrongboxError('ERR_UNAUTHENTICATED', 'The client certificate and the token name different accounts.');
  }

  async #identify(req: FastifyRequest, socket: CertSocket): Promise<Mapped | null> {
    const cert = socket.getPeerCertificate(true);
    if (cert === null || typeof cert !== 'object' || !Buffer.isBuffer(cert.raw)) return null; // no certificate: nothing to say
    const fingerprint = String(cert.fingerprint256 ?? '').replaceAll(':', '').toLowerCase();
    if (!socket.authorized) {
      await this.#unverified(req, fingerprint, String(socket.authorizationError ?? 'UNVERIFIED'));
      return null;
    }
    // A resumed session, or one made before the bundle was reloaded, was verified against what was trusted then.
    if (!this.#accounts.verifiesChain(chainOf(cert), this.#now())) {
      await this.#unverified(req, fingerprint, 'NOT_TRUSTED_NOW');
      return null;
    }
    const accountId = this.#accounts.accountFor(fingerprint);
    if (accountId === undefined) {
      await this.#audit(req, { type: 'auth.mtls.unmapped', accountId: null, detail: { fingerprint } });
      return null;
    }
    return { accountId, fingerprint, notAfter: Date.parse(cert.valid_to), audited: false, refused: false };
  }

  /** A certificate that is no caller: OpenSSL's verify error, NOT_TRUSTED_NOW (re-check) or CERT_HAS_EXPIRED (while connected). */
  #unverified(req: FastifyRequest, fingerprint: string, reason: string): Promise<void> {
    return this.#audit(req, { type: 'auth.mtls.unverified', accountId: null, detail: { fingerprint, reason } });
  }

  /** A mapped certificate refused: its account gone, disabled or admin, or a token of another account beside it. */
  #refused(req: FastifyRequest, accountId: string | null, reason: string, fingerprint: string | null): Promise<void> {
    return this.#audit(req, { type: 'auth.mtls.refused', accountId, detail: { reason, fingerprint } });
  }

  /** Fail-closed like every sign-in event: a lost event fails the request (the connection is decided again next time). */
  #audit(req: FastifyRequest, event: AuthEvent): Promise<void> {
    return this.#sink.audit({ ...event, ip: req.ip, requestId: String(req.id) });
  }
}

/** The peer's chain as DER, leaf first, as Node links it (the root points at itself). */
function chainOf(cert: DetailedPeerCertificate): Buffer[] {
  const out: Buffer[] = [];
  let c: DetailedPeerCertificate | undefined = cert;
  while (c !== undefined && Buffer.isBuffer(c.raw) && out.length < MAX_CHAIN) {
    out.push(c.raw);
    if (c.issuerCertificate === c) break;
    c = c.issuerCertificate;
  }
  return out;
}
