/**
 * A provisioned database of its own for each test: a bare database owned by the admin,
 * unique role names (roles are cluster-wide, test files run concurrently), secret files in a
 * temp folder, and a config that names the app role in `database` and the owner in
 * `migrate.database`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildConfig } from '../../src/config/build-config.ts';
import type { StrongboxConfig } from '../../src/config/config.ts';
import type { PgCluster } from '../helpers/pg-cluster.ts';

export interface RoleFixture {
  readonly db: string;
  readonly owner: string;
  readonly app: string;
  readonly reader: string;
  readonly passwords: { owner: string; app: string; reader: string; admin: string };
  readonly dir: string;
  /** Env naming the secret files, as an operator would set it. */
  readonly env: Record<string, string>;
  /** URL for `role` to this fixture's database (verify-full against the test CA). */
  url(role: string, dbName?: string): string;
  /** strongbox.yaml text for this database (app role in `database`, owner in `migrate.database`). */
  yaml(collections?: string): string;
  config(opts?: { dev?: boolean; collections?: Record<string, unknown> }): StrongboxConfig;
  /** Runs SQL as `role` ('admin' = the cluster superuser) on this database. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(role: string, text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  cleanup(): Promise<void>;
}

export const NOTES_YAML = `
  notes:
    fields:
      title: { type: text, required: true, max: 200 }
    rules:
      list: "owner = @auth.id"
      view: "owner = @auth.id"
      create: "@auth.id != null"
      update: "owner = @auth.id"
      delete: "owner = @auth.id"
`;

export const NOTES_RAW = {
  notes: {
    fields: { title: { type: 'text', required: true, max: 200 } },
    rules: { list: 'owner = @auth.id', view: 'owner = @auth.id', create: '@auth.id != null', update: 'owner = @auth.id', delete: 'owner = @auth.id' },
  },
};

export async function adminClient(cluster: PgCluster, database = 'postgres'): Promise<pg.Client> {
  const u = new URL(cluster.adminUrl);
  const client = new pg.Client({
    host: u.hostname, port: Number(u.port), database, user: decodeURIComponent(u.username), password: cluster.password,
    ssl: { ca: cluster.caFile ? (await import('node:fs')).readFileSync(cluster.caFile, 'utf8') : undefined, rejectUnauthorized: true },
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export async function roleFixture(cluster: PgCluster, opts: { createDatabase?: boolean } = {}): Promise<RoleFixture> {
  const tag = randomBytes(5).toString('hex');
  const db = `sbrole_${tag}`;
  const owner = `sbo_${tag}`;
  const app = `sba_${tag}`;
  const reader = `sbr_${tag}`;
  const passwords = {
    owner: randomBytes(18).toString('base64url'),
    app: randomBytes(18).toString('base64url'),
    reader: randomBytes(18).toString('base64url'),
    admin: cluster.password,
  };
  const dir = mkdtempSync(join(tmpdir(), 'sb-roles-'));
  const secret = (name: string, value: string): string => {
    const file = join(dir, name);
    writeFileSync(file, `${value}\n`, { mode: 0o600 });
    return file;
  };
  const env = {
    STRONGBOX_DATABASE_PASSWORD_FILE: secret('app.pw', passwords.app),
    STRONGBOX_MIGRATE_DATABASE_PASSWORD_FILE: secret('owner.pw', passwords.owner),
    STRONGBOX_READER_DATABASE_PASSWORD_FILE: secret('reader.pw', passwords.reader),
    STRONGBOX_ADMIN_DATABASE_PASSWORD_FILE: secret('admin.pw', passwords.admin),
  };
  if (opts.createDatabase !== false) {
    const admin = await adminClient(cluster);
    try {
      await admin.query(`CREATE DATABASE ${db}`);
    } finally {
      await admin.end();
    }
  }
  const url = (role: string, dbName = db): string => {
    const u = new URL(cluster.adminUrl);
    u.username = role;
    u.pathname = `/${dbName}`;
    return u.toString();
  };
  const clients = new Map<string, pg.Client>();
  const fixture: RoleFixture = {
    db, owner, app, reader, passwords, dir, env, url,
    yaml: (collections = NOTES_YAML) => `database: ${url(app)}\nmigrate:\n  database: ${url(owner)}\ncollections:${collections}`,
    config: (o = {}) => buildConfig({ database: url(app), migrate: { database: url(owner) }, collections: o.collections ?? NOTES_RAW },
      { baseDir: dir, dev: o.dev ?? false, env }),
    async query(role, text, values) {
      let client = clients.get(role);
      if (client === undefined) {
        const password = role === 'admin' ? passwords.admin : role === owner ? passwords.owner : role === app ? passwords.app : passwords.reader;
        const u = new URL(url(role === 'admin' ? decodeURIComponent(new URL(cluster.adminUrl).username) : role));
        client = new pg.Client({
          host: u.hostname, port: Number(u.port), database: db, user: decodeURIComponent(u.username), password,
          ssl: { ca: (await import('node:fs')).readFileSync(cluster.caFile, 'utf8'), rejectUnauthorized: true },
        });
        client.on('error', () => undefined);
        await client.connect();
        clients.set(role, client);
      }
      return client.query(text, values);
    },
    async cleanup() {
      await Promise.all([...clients.values()].map((c) => c.end().catch(() => undefined)));
      clients.clear();
      rmSync(dir, { recursive: true, force: true });
      const admin = await adminClient(cluster);
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
        for (const r of [app, reader, owner]) await admin.query(`DROP ROLE IF EXISTS ${r}`).catch(() => undefined);
      } finally {
        await admin.end();
      }
    },
  };
  return fixture;
}
