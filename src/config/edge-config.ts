import type { Cidr } from '../util/cidr.ts';

/** listen.tls: PEM files (absolute paths); the key path may come from STRONGBOX_TLS_KEY_FILE. */
export interface TlsConfig {
  readonly cert: string;
  readonly key: string;
  /** Where the key path came from, for messages: `listen.tls.key` or `STRONGBOX_TLS_KEY_FILE`. */
  readonly keySource: string;
  /** 'TLSv1.3' by default; 'TLSv1.2' only when configured (then ECDHE + AEAD suites only). */
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** mTLS: PEM bundle of the CAs whose client certificates are verified; absent/null = no client certificates asked for. */
  readonly clientCa?: string | null;
  /** mTLS: which verified client certificate is which service account (docs/edge.md). */
  readonly clients?: readonly ClientCertMapping[];
}

/** One pinned client certificate: its SHA-256 fingerprint and the account it signs in as. */
export interface ClientCertMapping {
  /** lower-case hex SHA-256 of the certificate's DER, 64 characters, no colons */
  readonly fingerprint: string;
  /** the account's email (lower-cased), resolved to its row at start */
  readonly account: string;
  /** where it was configured, for messages: `listen.tls.clients[0]` */
  readonly keyPath: string;
}

/** The parts of `listen` that belong to the HTTP edge (docs/edge.md). */
export interface ListenEdgeConfig {
  readonly tls: TlsConfig | null;
  /** Port of the plain-HTTP listener that only redirects to HTTPS; null = none. */
  readonly redirectHttp: number | null;
  /** Peers whose X-Forwarded-For/-Proto/-Host are believed; empty = nobody's. */
  readonly trustedProxies: readonly Cidr[];
  /**
   * Origins browsers reach this server at (`https://vault.example.com`), normalized; a browser's
   * state change must come from one. Empty (default) = the address the request arrived on.
   */
  readonly publicOrigins: readonly string[];
}

export interface HstsConfig {
  readonly maxAge: number; // seconds, default 2 years, at least 1 year
  readonly includeSubDomains: boolean; // default true
  readonly preload: boolean; // default false
}

export interface CorsConfig {
  /** Exact origins (`https://app.example.com`); empty = CORS off (the default). */
  readonly origins: readonly string[];
  readonly credentials: boolean; // default false
  readonly maxAge: number; // seconds a preflight may be cached, default 600
}

export interface RateLimitRule {
  readonly ip: number; // requests per window per client address (IPv6: per /64); 0 = no limit
  readonly account: number; // requests per window per signed-in account; 0 = no limit
}

export interface RateLimitConfig {
  readonly enabled: boolean; // default true
  readonly window: number; // seconds, default 60
  /** Where counters live: 'memory' (one process) or 'database' (shared); 'auto' = database on PostgreSQL. */
  readonly store: 'auto' | 'memory' | 'database';
  readonly auth: RateLimitRule;
  readonly write: RateLimitRule;
  readonly read: RateLimitRule;
}

export interface AdminConfig {
  /** A separate listener for /api/admin/* and /_/; null = served on the main listener. */
  readonly listen: { readonly host: string; readonly port: number } | null;
  /** Client ranges allowed to reach the admin surface; empty = no address restriction. */
  readonly allow: readonly Cidr[];
}

/** Resource limits of the edge (the `limits` section; units in the names' comments). */
export interface EdgeLimits {
  readonly headerSize: number; // bytes, default 16 KiB (request line + headers)
  readonly urlLength: number; // bytes, default 8 KiB
  readonly queryParams: number; // default 32
  readonly jsonDepth: number; // nesting levels, default 32
  readonly headersTimeout: number; // ms, default 10 s: whole header section must arrive
  readonly requestTimeout: number; // ms, default 30 s: whole request must arrive
  readonly keepAliveTimeout: number; // ms, default 5 s idle between requests
  readonly connectionsPerIp: number; // open connections per client address, default 64
  readonly maxEventLoopDelay: number; // ms, default 1000; above it new requests get 503; 0 = off
}

export interface EdgeConfig {
  readonly hsts: HstsConfig;
  readonly cors: CorsConfig;
  readonly rateLimit: RateLimitConfig;
  readonly admin: AdminConfig;
}
