import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StrongboxConfig, DatabaseConfig } from '../../src/config/config.ts';
import type { CollectionDef, FieldDef, FieldType, Rules } from '../../src/config/schema.ts';
import type { Engine } from '../../src/core/engine.ts';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { defaultEdge } from '../../src/config/parse-edge.ts';
import type { RateLimitConfig } from '../../src/config/edge-config.ts';

/** A FieldDef with every flag at its default; `extra` sets the type-specific parts. */
export function field(name: string, type: FieldType, extra: Record<string, unknown> = {}): FieldDef {
  const typeDefaults: Record<string, unknown> =
    type === 'text' ? { min: null, max: null, pattern: null }
    : type === 'number' ? { integer: false, min: null, max: null }
    : type === 'select' ? { values: [], multiple: false }
    : type === 'relation' ? { collection: '' }
    : {};
  return {
    name, type, required: false, unique: false, index: false, default: undefined,
    sensitive: false, searchable: false, mask: null, read: null, ...typeDefaults, ...extra,
  } as FieldDef;
}

export function collection(name: string, fields: FieldDef[], rules: Partial<Rules> = {}): CollectionDef {
  return { name, fields, rules: { list: null, view: null, create: null, update: null, delete: null, ...rules } };
}

/** `notes`: owner-only rules, a required title and a body. */
export const NOTES = collection(
  'notes',
  [field('title', 'text', { required: true, max: 200 }), field('body', 'text'), field('tag', 'text', { index: true })],
  {
    list: 'owner = @auth.id',
    view: 'owner = @auth.id',
    create: '@auth.id != null',
    update: 'owner = @auth.id',
    delete: 'owner = @auth.id',
  },
);

export interface TestConfigOptions {
  readonly collections?: readonly CollectionDef[];
  readonly register?: boolean;
  readonly sessionTtl?: number; // seconds
  readonly bodyLimit?: number; // bytes
  /** Rate limiting is off in test fixtures (many requests from one address); on when given. */
  readonly rateLimit?: Partial<RateLimitConfig>;
  /** Overrides of the edge config (docs/edge.md). */
  readonly edge?: Partial<Pick<StrongboxConfig, 'hsts' | 'cors' | 'admin'>> & { limits?: Partial<StrongboxConfig['limits']>; listen?: Partial<StrongboxConfig['listen']> };
  /** clock for sessions and throttling */
  readonly now?: () => Date;
  /** sign-in settings over the defaults */
  readonly auth?: Partial<StrongboxConfig['auth']>;
}

/**
 * Tests share one KEK per run through this variable (test/run.ts sets it; a file run on its own
 * makes one here), so child processes and reopened databases unwrap the same keys.
 */
export const TEST_KEK_ENV = 'STRONGBOX_TEST_KEK';
export function ensureTestKek(): string {
  process.env[TEST_KEK_ENV] ??= `strongbox-kek-v1:${randomBytes(32).toString('base64url')}`;
  return TEST_KEK_ENV;
}

export function testConfig(database: DatabaseConfig, opts: TestConfigOptions = {}): StrongboxConfig {
  const collections: Record<string, CollectionDef> = {};
  for (const c of opts.collections ?? [NOTES]) collections[c.name] = c;
  const edge = defaultEdge();
  return {
    configPath: null,
    baseDir: tmpdir(),
    dev: true,
    database,
    listen: { host: '127.0.0.1', port: 0, ...edge.listen, ...opts.edge?.listen },
    // The per-address registration bound is off in fixtures (many registrations from one address), like rate limiting.
    auth: {
      register: opts.register ?? true, sessionTtl: opts.sessionTtl ?? 3600,
      sessionIdle: 1800, maxSessions: 20, passwordMinLength: 12, passwordMaxBytes: 4096, throttleStore: 'auto', registerPerIp: 0, mfa: {}, ...opts.auth,
    },
    // Load shedding off: one slow hostile body on a busy test machine must not 503 the next request.
    limits: { bodyLimit: opts.bodyLimit ?? 1024 * 1024, perPageMax: 500, perPageDefault: 30, ...edge.limits, maxEventLoopDelay: 0, ...opts.edge?.limits },
    keys: { kek: { kind: 'env', name: ensureTestKek() }, rotationBatch: 500 },
    audit: { checkpoints: join(mkdtempSync(join(tmpdir(), 'sb-audit-')), 'checkpoints'), checkpointEvery: 1000, checkpointInterval: 60, syslog: null },
    backup: { recipients: [], dir: join(tmpdir(), 'strongbox-test-backups'), schedule: null, keep: { count: 14, age: null }, verify: null, offsite: [], rcloneConfig: null },
    collections,
    hsts: opts.edge?.hsts ?? edge.hsts,
    cors: opts.edge?.cors ?? edge.cors,
    admin: opts.edge?.admin ?? edge.admin,
    rateLimit: { ...edge.rateLimit, enabled: false, ...opts.rateLimit },
  };
}

/** A temp SQLite file, for tests that do not loop over dialects (pure edge tests). */
export function tempSqlite(): DatabaseConfig {
  return { kind: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'sb-http-')), 'test.db') };
}

/** The real engine (src/core/engine.ts) on the given database. */
export async function openTestEngine(database: DatabaseConfig, opts: TestConfigOptions = {}): Promise<Engine> {
  const { openEngine } = await import('../../src/core/engine.ts');
  return openEngine(testConfig(database, opts), { now: opts.now });
}

// ---- HTTP helpers -------------------------------------------------------------------------

/** A server on a real engine, driven with app.inject (no socket). */
export interface TestApi {
  readonly engine: Engine;
  readonly app: FastifyInstance;
  inject(opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** Registers (if needed) and logs in; returns the token and the account. */
  signIn(email: string, password?: string): Promise<{ token: string; account: { id: string; email: string; role: string } }>;
  close(): Promise<void>;
}

export interface TestApiOptions extends TestConfigOptions {
  readonly logger?: boolean | Record<string, unknown>;
  /** More routes (e.g. stand-ins under /api/admin for edge tests). */
  readonly routes?: (app: FastifyInstance) => void;
  /** Replace engine parts (e.g. a RecordService that throws) for edge tests. */
  readonly override?: (engine: Engine) => Engine;
}

export async function openTestApi(database: DatabaseConfig, opts: TestApiOptions = {}): Promise<TestApi> {
  const { buildServer } = await import('../../src/http/build-server.ts');
  const real = await openTestEngine(database, opts);
  const engine = opts.override ? opts.override(real) : real;
  const app = await buildServer(engine, { logger: opts.logger ?? false, routes: opts.routes });
  const inject = (o: InjectOptions) => app.inject(o);
  return {
    engine,
    app,
    inject,
    async signIn(email, password = 'correct-password') {
      const existing = await real.db.kysely.selectFrom('_sb_accounts').select('id').where('email', '=', email).executeTakeFirst();
      if (!existing) await real.accounts.register(email, password);
      const res = await inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } });
      if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
      return res.json();
    },
    async close() {
      await app.close();
      await real.close();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Text that must never reach a client: internals, secrets, library and server details. */
export const NEVER_IN_RESPONSES: readonly (string | RegExp)[] = [
  /select\s/i, /insert\s+into/i, /\bfrom\s+"?_sb_/i, '/work/', 'node_modules', /\.ts:\d+/, /\n\s+at /, '$argon2',
  'password_hash', 'token_hash', /sqlite/i, /postgres/i, /kysely/i, /fastify/i, /syntaxerror/i, /unexpected token/i,
  'FST_', /stack/i,
];

export function assertNoLeak(text: string, extra: readonly string[] = []): void {
  for (const p of [...NEVER_IN_RESPONSES, ...extra]) {
    const hit = typeof p === 'string' ? text.includes(p) : p.test(text);
    if (hit) throw new Error(`response leaks ${String(p)}: ${text.slice(0, 300)}`);
  }
}

/** Row counts of the tables a request could write to. */
export async function rowCounts(engine: Engine, tables: readonly string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables) {
    const r = await engine.db.kysely.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    out[t] = Number(r.n);
  }
  return out;
}
