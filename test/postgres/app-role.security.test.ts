// Attack: code running as Strongbox's app role (an injection, a stolen app password) tries to destroy data, rewrite the audit trail, escalate its role or reach the server's files and secrets.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { provisionDatabase } from '../../src/core/provision-database.ts';
import { openEngine } from '../../src/core/engine.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { inMigrationTransaction } from '../../src/db/migrate/migration-lock.ts';
import { applyAppGrants } from '../../src/db/postgres/app-grants.ts';
import { postgresStatus, testCluster } from '../helpers/dialects.ts';
import { describeWithTool } from '../helpers/require-tool.ts';
import type { PgCluster } from '../helpers/pg-cluster.ts';
import { roleFixture, type RoleFixture } from './pg-roles-fixture.ts';
import { useTestPepperEnv } from '../helpers/sign-in.ts';

// Production-mode engines in this process need a pepper (docs/sign-in.md).
useTestPepperEnv();

describeWithTool(postgresStatus(), 'the app role against PostgreSQL itself [postgres]', () => {
  let cluster: PgCluster;
  let f: RoleFixture;
  before(async () => {
    cluster = await testCluster();
    f = await roleFixture(cluster);
    await provisionDatabase(f.config(), { adminUrl: cluster.adminUrl, adminPassword: cluster.password, dryRun: false });
    const engine = await openEngine(f.config());
    await engine.close();
    const exists = await f.query('admin', "select to_regclass('public._sb_audit') is not null as e");
    if (!exists.rows[0].e) {
      // Until the audit trail's migration is on this branch, make the table the way a migration
      // would: by the owner, with the app role's grants applied in the same transaction.
      const owner = await openDatabase(f.config().migrate!.database!);
      try {
        await inMigrationTransaction(owner, async (trx) => {
          await sql`create table _sb_audit (seq bigint primary key, entry text not null)`.execute(trx);
          await applyAppGrants(trx, { app: f.app });
        });
      } finally {
        await owner.close();
      }
    }
  });
  after(async () => {
    await f?.cleanup();
  });

  const refused = async (statement: string, sqlstate = '42501'): Promise<void> => {
    await assert.rejects(f.query(f.app, statement), (err: { code?: string; message: string }) => {
      assert.equal(err.code, sqlstate, `${statement}: ${err.message}`);
      return true;
    }, statement);
  };

  test('it can do its job: read and write collection records, append to and read the audit trail', async () => {
    await f.query(f.app, "insert into notes (id, created, updated, owner, title) values ('n1', 'x', 'x', null, 't')");
    await f.query(f.app, "update notes set title = 'u' where id = 'n1'");
    assert.equal((await f.query(f.app, 'select count(*)::int as n from notes')).rows[0].n, 1);
    await f.query(f.app, "delete from notes where id = 'n1'");
    const cols = (await f.query('admin', "select string_agg(column_name, ',') as c from information_schema.columns where table_name = '_sb_audit'")).rows[0].c as string;
    assert.ok(cols.length > 0);
    await f.query(f.app, 'select * from _sb_audit limit 1');
  });

  test('every destructive or escalating statement is refused by PostgreSQL (insufficient_privilege)', async () => {
    await refused('DROP TABLE notes');
    await refused('TRUNCATE notes');
    await refused('ALTER TABLE notes ADD COLUMN evil text');
    await refused('CREATE TABLE evil (x int)');
    await refused('CREATE TEMP TABLE evil (x int)');
    await refused('CREATE SCHEMA evil');
    await refused('CREATE FUNCTION evil() RETURNS int LANGUAGE sql AS $$ select 1 $$');
    await refused('UPDATE _sb_audit SET seq = seq');
    await refused('DELETE FROM _sb_audit');
    await refused('TRUNCATE _sb_audit');
    await refused('DROP TABLE _sb_audit');
    await refused("UPDATE _sb_migrations SET name = 'x'");
    await refused('DELETE FROM _sb_migrations');
    await refused('CREATE ROLE evil LOGIN SUPERUSER');
    await refused(`ALTER ROLE ${f.app} SUPERUSER`);
    await refused(`SET ROLE ${f.owner}`);
    await refused('SELECT rolname, rolpassword FROM pg_authid');
    await refused("SELECT pg_read_file('/etc/passwd')");
    const marker = join(f.dir, 'copy-to-program-ran');
    await refused(`COPY (SELECT 1) TO PROGRAM 'touch ${marker}'`);
    await refused(`COPY notes TO '${join(f.dir, 'notes.csv')}'`);
    assert.equal(existsSync(marker), false, 'the program never ran');
  });

  test('the refusals come from the privileges, not from a missing object: the owner may do the same', async () => {
    // control: the same statements are valid SQL that the owner role is allowed to run
    await f.query(f.owner, 'BEGIN');
    try {
      await f.query(f.owner, 'ALTER TABLE notes ADD COLUMN evil text');
      await f.query(f.owner, 'UPDATE _sb_audit SET seq = seq WHERE false'); // rows are guarded by the audit trail's own trigger
      await f.query(f.owner, 'TRUNCATE notes');
    } finally {
      await f.query(f.owner, 'ROLLBACK');
    }
  });
});
