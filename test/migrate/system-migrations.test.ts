import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open-database.ts';
import { LATEST_SYSTEM_VERSION, SYSTEM_MIGRATIONS, runSystemMigrations } from '../../src/db/migrate/system-migrations.ts';
import { listTables } from '../../src/db/migrate/introspect.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';
import { eachDialect } from '../helpers/dialects.ts';

const ALL_VERSIONS = SYSTEM_MIGRATIONS.map((m) => m.version).sort((a, b) => a - b);

eachDialect('system migrations', (t) => {
  test('create the system tables once and record each version', async () => {
    const db = await openDatabase(await t.freshDatabase());
    try {
      await runSystemMigrations(db);
      await runSystemMigrations(db); // idempotent
      const tables = await listTables(db.kysely, db.dialect);
      for (const name of ['_sb_migrations', '_sb_accounts', '_sb_sessions', '_sb_collections']) {
        assert.ok(tables.has(name), `${name} exists`);
      }
      const rows = await db.kysely.selectFrom('_sb_migrations').selectAll().execute();
      // versions are fixed per feature branch, so the list may have gaps
      assert.equal(rows.length, SYSTEM_MIGRATIONS.length);
      assert.deepEqual(rows.map((r) => Number(r.version)).sort((a, b) => a - b), SYSTEM_MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
      assert.match(String(rows[0]!.applied), /^\d{4}-\d\d-\d\dT/);
    } finally {
      await db.close();
    }
  });

  test('accounts: email unique; sessions cascade with their account', async () => {
    const db = await openDatabase(await t.freshDatabase());
    try {
      await runSystemMigrations(db);
      const now = new Date().toISOString();
      const acct = { id: 'a1', email: 'x@example.com', password_hash: 'h', role: 'user', created: now, updated: now };
      await db.kysely.insertInto('_sb_accounts').values(acct).execute();
      await assert.rejects(db.kysely.insertInto('_sb_accounts').values({ ...acct, id: 'a2' }).execute());
      await db.kysely.insertInto('_sb_sessions')
        .values({ token_hash: 't1', account_id: 'a1', created: now, expires: now, last_seen: now }).execute();
      await db.kysely.deleteFrom('_sb_accounts').where('id', '=', 'a1').execute();
      const left = await db.kysely.selectFrom('_sb_sessions').selectAll().execute();
      assert.equal(left.length, 0, 'session deleted with its account');
    } finally {
      await db.close();
    }
  });

  test('a database from a newer Strongbox is refused and left untouched', async () => {
    const db = await openDatabase(await t.freshDatabase());
    try {
      await runSystemMigrations(db);
      await db.kysely.insertInto('_sb_migrations')
        .values({ version: LATEST_SYSTEM_VERSION + 1, name: 'from the future', applied: 'x' }).execute();
      await assert.rejects(runSystemMigrations(db), (err: unknown) => {
        assert.ok(err instanceof StrongboxError);
        assert.equal(err.code, 'ERR_MIGRATION');
        assert.match(err.message, /newer/);
        return true;
      });
      const rows = await db.kysely.selectFrom('_sb_migrations').select('version').execute();
      assert.equal(rows.length, SYSTEM_MIGRATIONS.length + 1);
    } finally {
      await db.close();
    }
  });

  test('an older database gets only the missing migrations', async () => {
    const db = await openDatabase(await t.freshDatabase());
    try {
      // a database that knows version 0: only the bookkeeping table exists
      await db.kysely.schema.createTable('_sb_migrations')
        .addColumn('version', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').addColumn('applied', 'text').execute();
      await runSystemMigrations(db);
      const tables = await listTables(db.kysely, db.dialect);
      assert.ok(tables.has('_sb_accounts'));
      const rows = await db.kysely.selectFrom('_sb_migrations').select('version').execute();
      assert.deepEqual(rows.map((r) => Number(r.version)).sort((a, b) => a - b), ALL_VERSIONS);
    } finally {
      await db.close();
    }
  });

  test('a version-1 database is upgraded by migration 2 alone, keeping its sessions', async () => {
    const db = await openDatabase(await t.freshDatabase());
    try {
      await runSystemMigrations(db);
      // roll the bookkeeping and the index back to how version 1 left them
      await db.kysely.deleteFrom('_sb_migrations').where('version', '=', 2).execute();
      await db.kysely.schema.dropIndex('ix__sb_sessions__account_expires').execute();
      await db.kysely.schema.createIndex('ix__sb_sessions__account_id').on('_sb_sessions').column('account_id').execute();
      const now = new Date().toISOString();
      await db.kysely.insertInto('_sb_accounts').values({ id: 'a1', email: 'x@example.com', password_hash: 'h', role: 'user', created: now, updated: now }).execute();
      await db.kysely.insertInto('_sb_sessions').values({ token_hash: 't1', account_id: 'a1', created: now, expires: now, last_seen: now }).execute();
      await runSystemMigrations(db);
      const versions = await db.kysely.selectFrom('_sb_migrations').select('version').execute();
      assert.deepEqual(versions.map((r) => Number(r.version)).sort((a, b) => a - b), ALL_VERSIONS);
      assert.equal((await db.kysely.selectFrom('_sb_sessions').selectAll().execute()).length, 1);
      // the old index is gone: creating it again succeeds
      await db.kysely.schema.createIndex('ix__sb_sessions__account_id').on('_sb_sessions').column('account_id').execute();
    } finally {
      await db.close();
    }
  });
});
