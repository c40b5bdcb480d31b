import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { provisionDatabase } from '../../src/core/provision-database.ts';
import { openEngine } from '../../src/core/engine.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { postgresStatus, testCluster } from '../helpers/dialects.ts';
import { describeWithTool } from '../helpers/require-tool.ts';
import { startPgCluster, type PgCluster, type StartedPgCluster } from '../helpers/pg-cluster.ts';
import { runCli } from '../cli/cli-helpers.ts';
import { NOTES_RAW, roleFixture, type RoleFixture } from './pg-roles-fixture.ts';
import { useTestPepperEnv } from '../helpers/sign-in.ts';

// Production-mode engines in this process need a pepper (docs/sign-in.md).
useTestPepperEnv();

const code = (expected: string) => (err: unknown): true => {
  assert.ok(err instanceof StrongboxError, String(err));
  assert.equal(err.code, expected, err.message);
  return true;
};

describeWithTool(postgresStatus(), 'strongbox db provision [postgres]', () => {
  let cluster: PgCluster;
  const fixtures: RoleFixture[] = [];
  const fixture = async (opts?: { createDatabase?: boolean }): Promise<RoleFixture> => {
    const f = await roleFixture(cluster, opts);
    fixtures.push(f);
    return f;
  };
  before(async () => {
    cluster = await testCluster();
  });
  after(async () => {
    await Promise.all(fixtures.map((f) => f.cleanup()));
  });

  const provision = (f: RoleFixture, extra: Partial<Parameters<typeof provisionDatabase>[1]> = {}) =>
    provisionDatabase(f.config(), { adminUrl: cluster.adminUrl, adminPassword: cluster.password, dryRun: false, readerRole: f.reader, readerPassword: f.passwords.reader, ...extra });

  test('creates least-privilege roles, is idempotent, and stores only SCRAM verifiers', async () => {
    const f = await fixture();
    const first = await provision(f);
    assert.deepEqual(first.roles, { [f.owner]: 'created', [f.app]: 'created', [f.reader]: 'created' });
    assert.equal(first.pgaudit, cluster.pgaudit.loaded);
    const second = await provision(f);
    assert.deepEqual(second.roles, { [f.owner]: 'updated', [f.app]: 'updated', [f.reader]: 'updated' });
    const roles = await f.query('admin', `select rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolinherit,
        rolconnlimit, rolpassword from pg_authid where rolname = any($1) order by rolname`, [[f.owner, f.app, f.reader]]);
    assert.equal(roles.rows.length, 3);
    for (const r of roles.rows) {
      assert.deepEqual([r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls, r.rolinherit], [false, false, false, false, false, false], r.rolname);
      assert.match(r.rolpassword, /^SCRAM-SHA-256\$4096:/);
    }
    assert.equal(roles.rows.find((r) => r.rolname === f.app)?.rolconnlimit, 50);
    const settings = await f.query('admin', `select r.rolname, s.setconfig from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
      join pg_database d on d.oid = s.setdatabase where d.datname = $1`, [f.db]);
    const appSettings = settings.rows.find((r) => r.rolname === f.app)?.setconfig as string[];
    assert.ok(appSettings.includes('statement_timeout=30000ms'), appSettings.join());
    assert.ok(appSettings.includes('search_path=public'));
    if (cluster.pgaudit.loaded) assert.ok(appSettings.includes('pgaudit.log=ddl, role, write'), appSettings.join());
    const schema = await f.query('admin', `select pg_get_userbyid(nspowner) as owner, nspacl::text as acl from pg_namespace where nspname = 'public'`);
    assert.equal(schema.rows[0].owner, f.owner);
    assert.ok(!/(^|[{,])=/.test(schema.rows[0].acl), `PUBLIC keeps no right on the schema: ${schema.rows[0].acl}`);
    // each role logs in with the password from its own secret file
    for (const role of [f.owner, f.app, f.reader]) assert.equal((await f.query(role, 'select current_user as u')).rows[0].u, role);
  });

  test('the owner migrates and owns; the app role serves with exactly its grants; production accepts it', async () => {
    const f = await fixture();
    await provision(f);
    const engine = await openEngine(f.config(), { refuseUnsafeRole: true });
    try {
      await engine.accounts.register('ann@example.com', 'a-long-enough-password');
    } finally {
      await engine.close();
    }
    const owners = await f.query('admin', `select relname, pg_get_userbyid(relowner) as owner from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and relkind = 'r' order by relname`);
    assert.ok(owners.rows.length >= 4);
    for (const r of owners.rows) assert.equal(r.owner, f.owner, r.relname);
    const privs = async (table: string): Promise<string[]> => (await f.query('admin',
      `select p from unnest(array['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p where has_table_privilege($1, $2, p)`,
      [f.app, `public.${table}`])).rows.map((r) => r.p);
    assert.deepEqual(await privs('notes'), ['SELECT', 'INSERT', 'UPDATE', 'DELETE'], 'a collection made by a later migration gets the grants');
    assert.deepEqual(await privs('_sb_sessions'), ['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
    assert.deepEqual(await privs('_sb_migrations'), ['SELECT']);
    assert.deepEqual(await privs('_sb_collections'), ['SELECT']);
    const reader = await f.query('admin', `select has_table_privilege($1, 'public.notes', 'SELECT') as s, has_table_privilege($1, 'public.notes', 'INSERT') as i`, [f.reader]);
    assert.deepEqual(reader.rows[0], { s: true, i: false });
  });

  test('without migrate.database the app role starts on a current schema; a pending change is ERR_MIGRATION, not a half-applied one', async () => {
    const f = await fixture();
    await provision(f);
    await (await openEngine(f.config())).close();
    const appOnly = { ...f.config(), migrate: { database: null } };
    await (await openEngine(appOnly, { refuseUnsafeRole: true })).close();
    const more = f.config({ collections: { ...NOTES_RAW, extra: { fields: { x: { type: 'text' } } } } });
    await assert.rejects(openEngine({ ...more, migrate: { database: null } }), (err) => {
      code('ERR_MIGRATION')(err);
      assert.match((err as Error).message, /strongbox migrate/);
      return true;
    });
    const extra = await f.query('admin', "select to_regclass('public.extra') is null as gone");
    assert.equal(extra.rows[0].gone, true);
  });

  test('production refuses to serve as the owner, as a superuser, or as a role with CREATE on the schema', async () => {
    const f = await fixture();
    await provision(f);
    const asOwner = f.config();
    const ownerServing = { ...asOwner, database: { kind: 'postgres' as const, url: f.url(f.owner), password: f.passwords.owner } };
    await assert.rejects(openEngine(ownerServing, { refuseUnsafeRole: true }), (err) => {
      code('ERR_DB_ROLE_UNSAFE')(err);
      assert.match((err as Error).message, /owns the schema public/);
      assert.match((err as Error).message, /strongbox db provision/, 'says how to fix it');
      return true;
    });
    const superuser = { ...asOwner, migrate: { database: null }, database: { kind: 'postgres' as const, url: f.url('postgres'), password: cluster.password } };
    await assert.rejects(openEngine(superuser, { refuseUnsafeRole: true }), (err) => {
      code('ERR_DB_ROLE_UNSAFE')(err);
      assert.match((err as Error).message, /superuser/);
      return true;
    });
    await f.query('admin', `GRANT CREATE ON SCHEMA public TO ${f.app}`);
    await assert.rejects(openEngine(f.config(), { refuseUnsafeRole: true }), (err) => {
      code('ERR_DB_ROLE_UNSAFE')(err);
      assert.match((err as Error).message, /CREATE on the schema public/);
      assert.doesNotMatch((err as Error).message, /superuser|owns/);
      return true;
    });
    // dev mode does not refuse (documented)
    const dev = await openEngine(f.config({ dev: true }));
    await dev.close();
  });

  test('bad input: an admin that may not create roles, a role with wrong rights, a missing database; nothing half-done', async () => {
    const f = await fixture();
    const weak = `sbweak_${f.db.slice(-10)}`;
    await f.query('admin', `CREATE ROLE ${weak} LOGIN PASSWORD '${f.passwords.app}'`);
    try {
      await assert.rejects(provisionDatabase(f.config(), { adminUrl: f.url(weak), adminPassword: f.passwords.app, dryRun: false }), code('ERR_PROVISION_ADMIN'));
    } finally {
      await f.query('admin', `DROP ROLE ${weak}`);
    }
    await f.query('admin', `CREATE ROLE ${f.app} LOGIN CREATEDB`);
    await assert.rejects(provision(f), (err) => {
      code('ERR_PROVISION_ROLE')(err);
      assert.match((err as Error).message, new RegExp(`"${f.app}".*CREATEDB`));
      return true;
    });
    const left = await f.query('admin', 'select rolname from pg_roles where rolname = any($1)', [[f.owner, f.reader]]);
    assert.deepEqual(left.rows, [], 'no role was created by the refused run');
    const missing = await fixture({ createDatabase: false });
    await assert.rejects(provision(missing), (err) => {
      code('ERR_PROVISION_DATABASE')(err);
      assert.match((err as Error).message, new RegExp(missing.db));
      return true;
    });
  });

  test('CLI: --dry-run prints the SQL with passwords redacted and changes nothing; the admin password never from argv', async () => {
    const f = await fixture();
    writeFileSync(join(f.dir, 'strongbox.yaml'), f.yaml());
    const dry = await runCli(['db', 'provision', '--admin-url', cluster.adminUrl, '--dry-run'], { cwd: f.dir, env: f.env });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`CREATE ROLE "${f.app}" LOGIN NOINHERIT NOSUPERUSER`));
    assert.match(dry.stdout, /REVOKE ALL ON SCHEMA "public" FROM PUBLIC;/);
    assert.match(dry.stdout, /ALTER DEFAULT PRIVILEGES FOR ROLE/);
    assert.match(dry.stdout, /dry run/);
    for (const secret of Object.values(f.passwords)) {
      assert.ok(!dry.stdout.includes(secret) && !dry.stderr.includes(secret), 'no password in the output');
    }
    assert.doesNotMatch(dry.stdout, /SCRAM-SHA-256\$/, 'not even the verifier');
    const none = await f.query('admin', 'select count(*)::int as n from pg_roles where rolname = any($1)', [[f.owner, f.app]]);
    assert.equal(none.rows[0].n, 0);
    const withPw = new URL(cluster.adminUrl);
    withPw.password = 'in-argv';
    const argv = await runCli(['db', 'provision', '--admin-url', withPw.toString()], { cwd: f.dir, env: f.env });
    assert.equal(argv.code, 2);
    assert.match(argv.stderr, /ERR_USAGE: --admin-url must not contain a password/);
    const noSecret = await runCli(['db', 'provision', '--admin-url', cluster.adminUrl], { cwd: f.dir, env: { ...f.env, STRONGBOX_ADMIN_DATABASE_PASSWORD_FILE: '' } });
    assert.equal(noSecret.code, 2, 'no file and no terminal: a usage error, not a hang');
    assert.match(noSecret.stderr, /STRONGBOX_ADMIN_DATABASE_PASSWORD_FILE/);
    const real = await runCli(['db', 'provision', '--admin-url', cluster.adminUrl], { cwd: f.dir, env: f.env });
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, new RegExp(`provisioned ${f.owner} \\(created\\), ${f.app} \\(created\\)`));
  });
});

describeWithTool(postgresStatus(), 'db provision on a server without pgaudit [postgres]', () => {
  let bare: StartedPgCluster;
  let f: RoleFixture;
  before(async () => {
    bare = await startPgCluster({ pgaudit: false });
    f = await roleFixture(bare);
  });
  after(async () => {
    await f?.cleanup();
    await bare?.stop();
  });

  test('refuses with ERR_PROVISION_PGAUDIT and what to add to postgresql.conf; --skip-pgaudit proceeds', async () => {
    const base = { adminUrl: bare.adminUrl, adminPassword: bare.password, dryRun: false };
    await assert.rejects(provisionDatabase(f.config(), base), (err) => {
      code('ERR_PROVISION_PGAUDIT')(err);
      assert.match((err as Error).message, /shared_preload_libraries = 'pgaudit'/);
      return true;
    });
    const none = await f.query('admin', 'select count(*)::int as n from pg_roles where rolname = any($1)', [[f.owner, f.app]]);
    assert.equal(none.rows[0].n, 0, 'nothing was created');
    const skipped = await provisionDatabase(f.config(), { ...base, skipPgaudit: true });
    assert.equal(skipped.pgaudit, false);
    assert.ok(!skipped.statements.some((s) => s.text.includes('pgaudit')));
  });
});

